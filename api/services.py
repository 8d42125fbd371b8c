"""Writes of API tokens: create (the key is returned once, never stored), revoke, record use."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from riskboard.permissions import Action, TokenScope, grants_for, require

from .models import ApiToken

DEFAULT_EXPIRY_DAYS = 365


def _require_administrator(actor) -> None:
    # None: manage.py, whose operator already holds the server.
    if actor is not None:
        require(actor, Action.ADMINISTER, None)


@transaction.atomic
def api_token_create(
    *,
    client: str,
    scope: str,
    user=None,
    team=None,
    expires_at: dt.datetime | None = None,
    actor=None,
) -> tuple[ApiToken, str]:
    """Create a token for ``client``; returns it with its key, which exists nowhere else afterwards.

    A write token needs ``user``. A token with a user must be able to do something within its team
    restriction (a token that would see nothing is refused, as is a write token whose user may not
    edit or review there). ``expires_at``, when given, must be in the future. Administrators only
    (``actor``); ``None`` for manage.py.
    """
    _require_administrator(actor)
    errors: dict[str, list[str]] = {}
    if scope not in [s.value for s in TokenScope]:
        errors["scope"] = [f"Choose {' or '.join([s.value for s in TokenScope])}."]
    if scope == TokenScope.WRITE and user is None:
        errors["user"] = ["A write token acts for a named user: the actor in the audit trail and for four eyes."]
    if user is not None and not user.is_active:
        errors["user"] = [f"{user.get_username()} is not active."]
    if user is not None and not errors:
        grants = grants_for(user).narrowed(actions=frozenset(Action), team_id=team.pk if team else None)
        where = f"in team {team.slug}" if team else "anywhere"
        if not grants.everywhere and not grants.per_team:
            errors["team" if team else "user"] = [
                f"{user.get_username()} has no role {where}: the token would see nothing."
            ]
        elif scope == TokenScope.WRITE and not (
            {Action.EDIT, Action.REVIEW} & (grants.everywhere | {a for acts in grants.per_team.values() for a in acts})
        ):
            errors["scope"] = [f"{user.get_username()} may not edit or review {where}: give the token read scope."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expiry_date"] = ["Choose an expiry in the future."]
    if errors:
        raise ValidationError(errors)
    token = ApiToken(name=client.strip(), scope=scope, user=user, team=team, expiry_date=expires_at,
                     created_by=actor if actor is not None and actor.is_authenticated else None)
    key = ApiToken.objects.assign_key(token)
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke ``token`` for good: its next request answers 401. Administrators only (``actor``)."""
    _require_administrator(actor)
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    token.refresh_from_db()
    return token


def api_token_record_use(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record that ``token`` was used now, at most once per ``RISKBOARD_API_TOKEN_TOUCH_SECONDS``.

    One conditional UPDATE, and only when the recorded time is older than that: a client making
    a hundred requests a second writes once a minute, never once a request.
    """
    now = now or timezone.now()
    interval = dt.timedelta(seconds=settings.RISKBOARD_API_TOKEN_TOUCH_SECONDS)
    if token.last_used_at is not None and now - token.last_used_at < interval:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - interval), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
