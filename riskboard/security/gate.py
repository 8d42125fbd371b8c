"""What a signed-in user must do before any other page: a required password change, then the
second factor (enrol a device when it is required and there is none; give a code when there is one).

Decided once at sign-in and kept in the session, so that pages cost no query for it.
"""

from __future__ import annotations

from django.conf import settings

from riskboard.roles import Role

CHANGE_PASSWORD = "change_password"  # noqa: S105 (a step name, not a password)
OTP_ENROL = "otp_enrol"
OTP_VERIFY = "otp_verify"
GATE_KEY = "riskboard_gate"

STEP_VIEWS = {
    CHANGE_PASSWORD: "security:password-change",
    OTP_ENROL: "security:two-factor",
    OTP_VERIFY: "security:two-factor-verify",
}
API_MESSAGES = {
    CHANGE_PASSWORD: "An administrator asked you to choose a new password: change it on the site before using the API.",
    OTP_ENROL: "Your role needs two-factor authentication: set it up on the site before using the API.",
    OTP_VERIFY: "Give your two-factor code on the site before using the API.",
}
# Pages open whatever the gate says: the steps themselves, signing out, the health checks.
OPEN_VIEWS = frozenset({
    "security:password-change", "security:two-factor", "security:two-factor-verify", "logout", "login",
    "healthz", "readyz",
})
ROLES_NEEDING_2FA = (Role.ADMINISTRATOR, Role.MANAGER)


def two_factor_required(user) -> bool:
    """Administrators and managers (and any account that may use the Django admin) need a second
    factor when ``RISKBOARD_REQUIRE_2FA`` is on; for everyone else it is optional."""
    if not settings.RISKBOARD_REQUIRE_2FA:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.memberships.filter(role__in=ROLES_NEEDING_2FA).exists()


def compute(user) -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import PasswordChangeRequirement

    must_change = PasswordChangeRequirement.objects.filter(user=user).exists()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        otp = OTP_VERIFY
    elif two_factor_required(user):
        otp = OTP_ENROL
    else:
        otp = None
    return {"password": must_change, "otp": otp}


def state(request) -> dict:
    session = request.session
    value = session.get(GATE_KEY)
    if not isinstance(value, dict):  # a session from before the gate
        value = session[GATE_KEY] = compute(request.user)
    return value


def next_step(request) -> str | None:
    value = state(request)
    if value.get("password"):
        return CHANGE_PASSWORD
    otp = value.get("otp")
    if otp and not request.user.is_verified():
        return otp
    return None


def start(request, user) -> None:
    """At sign-in."""
    request.session[GATE_KEY] = compute(user)


def clear_password_step(session) -> None:
    value = dict(session.get(GATE_KEY) or {})
    value["password"] = False
    session[GATE_KEY] = value


def set_otp_step(session, step: str | None) -> None:
    value = dict(session.get(GATE_KEY) or {})
    value["otp"] = step
    session[GATE_KEY] = value
