"""Create an API token; its key is the last line of the output, shown this once only."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import services
from assessments.models import Team
from riskboard.permissions import TokenScope


class Command(BaseCommand):
    help = (
        "Create an API token for a client system. A read token without --user reads every team, or only "
        "--team; a write token acts for --user (the actor in the audit trail and for four eyes). The key is "
        "printed as the last line: it is stored only as a hash."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="The system that will use the token.")
        parser.add_argument("--scope", required=True, choices=[s.value for s in TokenScope])
        parser.add_argument("--user", help="Username of the user the token acts for (required for write).")
        parser.add_argument("--team", help="Slug of the only team the token may see.")
        parser.add_argument(
            "--expires-days", type=int, default=services.DEFAULT_EXPIRY_DAYS,
            help=f"Days until the token expires (default {services.DEFAULT_EXPIRY_DAYS}; 0: never).",
        )

    def handle(self, *args, client, scope, user, team, expires_days, **options):
        if not client.strip():
            raise CommandError("--client must name the client system.")
        if expires_days < 0:
            raise CommandError("--expires-days must be 0 (never) or more.")
        user_obj = None
        if user:
            user_obj = get_user_model()._default_manager.filter(username=user).first()
            if user_obj is None:
                raise CommandError(f"No user named {user!r}.")
        team_obj = None
        if team:
            team_obj = Team.objects.filter(slug=team).first()
            if team_obj is None:
                raise CommandError(f"No team with the slug {team!r}.")
        expires_at = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
        try:
            token, key = services.api_token_create(
                client=client, scope=scope, user=user_obj, team=team_obj, expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        acting = f"acting for {user_obj.get_username()}" if user_obj else "acting for no user"
        where = f"team {team_obj.slug} only" if team_obj else "every team it may see"
        expiry = f"expires {expires_at:%Y-%m-%d}" if expires_at else "never expires"
        self.stderr.write(
            f"Created {scope} token {token.prefix} for {token.name!r}, {acting}, {where}, {expiry}.\n"
            "Copy the key below now: it is stored only as a hash and cannot be shown again."
        )
        self.stdout.write(key)
