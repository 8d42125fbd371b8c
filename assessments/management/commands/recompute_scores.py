"""Recompute stored scores now, in this process: the same code the Celery tasks run."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from assessments import aggregation
from assessments.models import DirtyAgreement
from riskboard.dashboards.services import dashboard_summaries_refresh


class Command(BaseCommand):
    help = (
        "Recompute scores synchronously, with a progress bar. By default, recompute the agreements marked "
        "dirty (the per-minute sweeper's job); with --full, rebuild every score from the ratings and take "
        "today's snapshot (the nightly job). Then refresh the dashboard summaries that are out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild every score and take today's snapshot.")
        parser.add_argument("--batch-size", type=int, default=500, help="Dirty agreements per transaction.")

    def handle(self, *args, full: bool, batch_size: int, verbosity: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        progress = {"disable": verbosity == 0, "file": self.stderr._out}
        try:
            if full:
                with tqdm(total=len(aggregation.STAGES), unit="stage", **progress) as bar:
                    def advance(stage: str) -> None:
                        bar.set_postfix_str(stage)
                        bar.update(1)

                    result = aggregation.scores_full_recompute(on_stage=advance)
                rows = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in result.rows.items())
                message = f"Full recompute done in {result.seconds:.2f} s (rows written or deleted: {rows})."
            else:
                with tqdm(total=DirtyAgreement.objects.count(), unit="agreement", **progress) as bar:
                    sweep = aggregation.scores_sweep(batch_size=batch_size, max_seconds=float("inf"),
                                                     on_batch=bar.update)
                message = (
                    "Too many dirty agreements: ran a full recompute. " if sweep.full else ""
                ) + f"Recomputed {sweep.agreements} dirty agreement{'s' if sweep.agreements != 1 else ''}."
        except ValueError as exc:  # a catalogue in use cannot be scored
            raise CommandError(str(exc)) from exc
        refreshed = dashboard_summaries_refresh()
        message += f" Dashboard summaries refreshed: {refreshed}."
        if verbosity:
            self.stdout.write(self.style.SUCCESS(message))
