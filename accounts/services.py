"""Writes of the accounts app: the record of a sign-in attempt."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from audit.context import audit_actor

from .models import SignIn

# The longest username an attempt keeps: the field's length (a longer one is cut, never refused).
_USERNAME_MAX = SignIn._meta.get_field("username").max_length


def client_address(request) -> str | None:
    """The client's IP address (the same rule as the login lockout's, setting included):
    ``REMOTE_ADDR``, or, behind ``RISKBOARD_TRUSTED_PROXY_COUNT`` trusted
    proxies (the TLS proxy in front of gunicorn), the address the outermost of them saw, read from
    the right of ``X-Forwarded-For`` (entries further left are whatever the client sent)."""
    if request is None:
        return None
    proxies = int(getattr(settings, "RISKBOARD_TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies] or None
    return request.META.get("REMOTE_ADDR") or None


def sign_in_record(*, outcome: str, username: str, user=None, request=None, ip_address: str | None = None) -> SignIn:
    """Record one sign-in attempt (``SignIn.Outcome``), attributed to ``user`` when known.

    ``username`` is what was typed (cut to the field's length); ``user`` is looked up from it when
    not given, so a failed attempt on a real account names the account. Never give a password.
    """
    username = (username or "")[:_USERNAME_MAX]
    if user is None and username:
        user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    address = ip_address or client_address(request)
    # The actor of a sign-in or sign-out is the account itself; of a failure or lockout, nobody.
    actor = user if outcome in (SignIn.Outcome.SIGNED_IN, SignIn.Outcome.SIGNED_OUT) else None
    with audit_actor(actor=actor, ip=address):
        return SignIn.objects.create(outcome=outcome, username=username, user=user, ip_address=address)


def superuser_grant(*, account, granted_by, revoke: bool = False):
    """Make ``account`` a superuser (or, with ``revoke``, no longer one), as ``granted_by``.

    Called from the command line only (``manage.py superuser_grant``): the web never grants it
    (``riskboard.permissions.can_grant_superuser_on_the_web``). ``granted_by`` must be an active
    superuser; the change is recorded in the audit trail with them as the actor.
    """
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    if granted_by is None or not granted_by.is_active or not granted_by.is_superuser:
        raise PermissionDenied("Only an active superuser may grant or revoke superuser status.")
    with transaction.atomic(), audit_actor(actor=granted_by, command="superuser_grant"):
        account.is_superuser = not revoke
        account.is_staff = account.is_staff or not revoke
        account.save(update_fields=["is_superuser", "is_staff"])
    return account
