from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.services import superuser_grant


class Command(BaseCommand):
    help = (
        "Grant (or, with --revoke, remove) superuser status. The only way to grant it: the admin never "
        "offers it. --by names the superuser who decides; the audit trail records them. (The first "
        "superuser of an empty database is made with `manage.py createsuperuser`.)"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account to change.")
        parser.add_argument("--by", required=True, help="Username of the superuser who grants it.")
        parser.add_argument("--revoke", action="store_true", help="Remove superuser status instead.")

    def handle(self, *args, username: str, by: str, revoke: bool, **options):
        users = get_user_model()._default_manager
        try:
            account = users.get_by_natural_key(username)
            granted_by = users.get_by_natural_key(by)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No such user: {error}") from error
        try:
            superuser_grant(account=account, granted_by=granted_by, revoke=revoke)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        state = "no longer a superuser" if revoke else "now a superuser"
        self.stdout.write(f"{account.get_username()} is {state} (by {granted_by.get_username()}).")
