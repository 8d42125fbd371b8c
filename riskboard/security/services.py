"""Writes of riskboard.security: required password changes and TOTP devices."""

from __future__ import annotations

import logging

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import gate
from .models import PasswordChangeRequirement

security_log = logging.getLogger("riskboard.security")


def user_password_change_require(*, user, requested_by=None) -> PasswordChangeRequirement:
    """Make ``user``'s next sign-in (and any page of a session signed in after this) lead to the
    password change. Their current sessions keep going until their next sign-in, unless the
    administrator also sets a new password (which ends them)."""
    requirement, _ = PasswordChangeRequirement.objects.update_or_create(
        user=user, defaults={"requested_by": requested_by}
    )
    security_log.info("Password change required for user %s", user.pk,
                      extra={"event": "password_change_required", "target_user_id": user.pk,
                             "requested_by": getattr(requested_by, "pk", None)})
    return requirement


@transaction.atomic
def user_password_change(*, request, user, form) -> None:
    """Save the new password from Django's ``PasswordChangeForm`` (already valid). Every other
    session of the user ends (their session hash changes); this one goes on."""
    form.save()
    PasswordChangeRequirement.objects.filter(user=user).delete()
    update_session_auth_hash(request, user)
    gate.clear_password_step(request.session)
    security_log.info("Password changed", extra={"event": "password_changed", "user_id": user.pk})


def totp_device_unconfirmed(*, user) -> TOTPDevice:
    """The device being enrolled: created unconfirmed, so that nothing asks for it until the user
    has proved they hold the secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, request, device: TOTPDevice) -> None:
    """The user gave a valid code for ``device``: confirm it, drop any other device, and count this
    session as verified."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    gate.set_otp_step(request.session, gate.OTP_VERIFY)
    security_log.info("Two-factor device enrolled", extra={"event": "otp_enrolled", "user_id": device.user_id})


@transaction.atomic
def totp_device_remove(*, request, user) -> None:
    """Turn two-factor authentication off (only where it is not required)."""
    TOTPDevice.objects.filter(user=user).delete()
    gate.set_otp_step(request.session, None)
    security_log.info("Two-factor device removed", extra={"event": "otp_removed", "user_id": user.pk})
