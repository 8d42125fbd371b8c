"""Security events to the ``riskboard.security`` log (never a password, never a token's key).

The audit trail records sign-ins too (audit/); these receivers only log, and set up the new
session's limits and gate.
"""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import gate, sessions
from .client import client_ip

security_log = logging.getLogger("riskboard.security")


def _address(request) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="riskboard.security.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)
        gate.start(request, user)
    security_log.info("Signed in: user %s", user.pk,
                      extra={"event": "login", "user_id": user.pk, "ip": _address(request)})


@receiver(user_logged_out, dispatch_uid="riskboard.security.signed_out")
def signed_out(sender, request, user, **kwargs):
    security_log.info("Signed out", extra={"event": "logout", "user_id": getattr(user, "pk", None),
                                           "ip": _address(request)})


@receiver(user_login_failed, dispatch_uid="riskboard.security.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the name is logged.
    username = str(credentials.get("username", ""))[:150]
    security_log.warning("Sign-in failed for %r", username,
                         extra={"event": "login_failed", "username": username, "ip": _address(request),
                                "locked_out": bool(getattr(request, "axes_locked_out", False))})


@receiver(user_locked_out, dispatch_uid="riskboard.security.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs):
    security_log.warning("Locked out: %r from %s", username, ip_address,
                         extra={"event": "lockout", "username": username, "ip": ip_address})
