"""Bulk-create a large synthetic portfolio for benchmarks."""

import argparse

from django.core.management.base import BaseCommand

from assessments.demo import portfolio_generate
from audit.context import audit_actor


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


class Command(BaseCommand):
    help = (
        "Generate N agreements with K approved assessments each, rating every category of the default "
        "catalogue (N=20000, K=5 gives 1,000,000 ratings). References start with GEN-S<seed>-; a seed "
        "that was already generated is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=_positive, required=True, help="Number of agreements (N).")
        parser.add_argument("--history", type=_positive, default=5, help="Approved assessments per agreement.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; also names the portfolio.")
        parser.add_argument("--team-count", type=_positive, default=5, help="Teams owning the agreements.")
        parser.add_argument("--partners", type=_positive, default=None, help="Partners (default N / 50).")
        parser.add_argument("--batch-size", type=_positive, default=5000, help="Rows per INSERT.")

    def handle(self, *args, **options):
        from catalogue.services import catalogue_default_ensure

        with audit_actor(actor=None, command="generate_portfolio"):
            result = portfolio_generate(
                catalogue=catalogue_default_ensure(), agreements=options["agreements"], history=options["history"],
                seed=options["seed"], team_count=options["team_count"], partners=options["partners"],
                batch_size=options["batch_size"], progress=options["verbosity"] > 0,
            )
        if result.skipped:
            self.stdout.write(self.style.WARNING(
                f"A portfolio with references {result.prefix}* already exists; nothing was generated. "
                "Choose another --seed to generate a second one."
            ))
            return
        counts = ", ".join(f"{value:,} {name}" for name, value in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated {counts} in {result.seconds:.1f} s."))
