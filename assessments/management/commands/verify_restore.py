"""Check a restored database: scores recomputed from the ratings equal the stored ones, and the
audit trail is whole (every event table there, every trigger installed and enabled)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from assessments.aggregation.reference import scores_compute_in_python, scores_differences, scores_stored
from assessments.models import DirtyAgreement
from audit.integrity import audit_entry_counts, audit_table_problems, audit_trigger_problems

SHOWN = 20  # differences listed in full; the rest are counted


class Command(BaseCommand):
    help = (
        "Verify a restored database without changing it: recompute every score from the ratings (in "
        "memory, nothing is written), compare with the stored scores, and check the audit tables and "
        "triggers. Exits non-zero with a report of what differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-audit", action="store_true", help="Check the scores only (e.g. on SQLite).")

    def handle(self, *args, skip_audit: bool, **options):
        failures = []
        self.stdout.write("Scores: recomputing from the ratings of approved assessments (nothing is written)...")
        expected, stored = scores_compute_in_python(), scores_stored()
        differences = scores_differences(expected, stored)
        self.stdout.write(
            f"  {len(expected.agreements)} agreements and {len(expected.tallies)} totals recomputed; "
            f"{len(stored.agreements)} agreements and {len(stored.tallies)} totals stored."
        )
        if differences:
            failures.append(f"{len(differences)} stored scores differ from the recomputation")
            for line in differences[:SHOWN]:
                self.stdout.write(f"  DIFFERS {line}")
            if len(differences) > SHOWN:
                self.stdout.write(f"  ... and {len(differences) - SHOWN} more")
            dirty = DirtyAgreement.objects.count()
            if dirty:
                self.stdout.write(
                    f"  note: {dirty} agreements were waiting to be recomputed when the backup was taken; "
                    "run `manage.py recompute_scores` and verify again."
                )
        else:
            self.stdout.write("  OK: every stored score equals its recomputation.")

        if skip_audit:
            self.stdout.write("Audit trail: not checked (--skip-audit).")
        else:
            self.stdout.write(f"Audit trail ({connection.vendor}):")
            problems = audit_trigger_problems() + (
                audit_table_problems() if connection.vendor == "postgresql" else []
            )
            if problems:
                failures.append(f"{len(problems)} problems with the audit trail")
                for line in problems[:SHOWN]:
                    self.stdout.write(f"  PROBLEM {line}")
                if len(problems) > SHOWN:
                    self.stdout.write(f"  ... and {len(problems) - SHOWN} more")
            else:
                counts = audit_entry_counts()
                self.stdout.write(
                    f"  OK: {len(counts)} event tables, {sum(counts.values())} entries, every trigger installed "
                    "and enabled."
                )
        if failures:
            raise CommandError("Restore NOT verified: " + "; ".join(failures) + ".")
        self.stdout.write(self.style.SUCCESS("Restore verified."))
