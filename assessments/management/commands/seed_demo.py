"""Load the demo portfolio: teams, users, partners, agreements and two years of assessments."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.demo import PASSWORD_ENV, DemoPasswordError, demo_password_resolve, demo_seed, demo_totals
from audit.context import audit_actor


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {name}" for name, value in counts.items())


class Command(BaseCommand):
    help = (
        "Load the default catalogue and the demo data (idempotent: a second run creates nothing). "
        f"The demo users' password comes from {PASSWORD_ENV}; in debug mode one is generated if it is unset."
    )

    def handle(self, *args, **options):
        # Imported here so that the command loads even while the catalogue service is being written.
        from catalogue.services import catalogue_default_ensure

        try:
            password, generated = demo_password_resolve(debug=settings.DEBUG)
        except DemoPasswordError as exc:
            raise CommandError(str(exc)) from exc
        with audit_actor(actor=None, command="seed_demo"):
            created = demo_seed(catalogue=catalogue_default_ensure(), password=password)
        self.stdout.write(f"Created: {_counts(created)}.")
        self.stdout.write(f"In the database: {_counts(demo_totals())}.")
        if generated:
            self.stdout.write(self.style.WARNING(f"Demo password for all demo users: {password}"))
        else:
            self.stdout.write(f"The demo users' password is the value of {PASSWORD_ENV}.")
