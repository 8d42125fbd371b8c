from django.core.management.base import BaseCommand, CommandError

from audit.roles import RoleError, grant_runtime_privileges


class Command(BaseCommand):
    help = (
        "Give the runtime database role (the one the web server and workers use) exactly the rights it "
        "needs: read and write the application's tables, only INSERT and SELECT on the audit trail's event "
        "tables. Run it as the owner role (the one that runs migrate), after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runtime-role", required=True, help="The PostgreSQL role of the web and workers.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, runtime_role: str, database: str, **options):
        try:
            report = grant_runtime_privileges(runtime_role=runtime_role, using=database)
        except RoleError as error:
            raise CommandError(f"Refused: {error}.") from error
        self.stdout.write(
            f'Granted "{report.runtime_role}" its rights on {report.tables} tables owned by "{report.owner_role}"; '
            f"{len(report.append_only_tables)} audit tables are INSERT and SELECT only."
        )
