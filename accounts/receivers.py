"""Sign-ins, failed sign-ins, sign-outs and lockouts become audit records (``accounts.services``).

The lockout signal is django-axes'; without axes installed there are no lockouts to record.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import SignIn
from .services import sign_in_record


def _username(user) -> str:
    return getattr(user, get_user_model().USERNAME_FIELD, "") or ""


@receiver(user_logged_in, dispatch_uid="accounts_signed_in")
def _signed_in(sender, request, user, **kwargs):
    sign_in_record(outcome=SignIn.Outcome.SIGNED_IN, username=_username(user), user=user, request=request)


@receiver(user_logged_out, dispatch_uid="accounts_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        sign_in_record(outcome=SignIn.Outcome.SIGNED_OUT, username=_username(user), user=user, request=request)


@receiver(user_login_failed, dispatch_uid="accounts_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # ``credentials`` comes with its secrets masked by Django; only the username is kept.
    username = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    sign_in_record(outcome=SignIn.Outcome.FAILED, username=str(username), request=request)


def _locked_out(sender, request, username, ip_address, **kwargs):
    sign_in_record(
        outcome=SignIn.Outcome.LOCKED_OUT, username=str(username or ""), request=request, ip_address=ip_address
    )


def connect_lockouts() -> bool:
    """Record django-axes' lockouts, when axes is an installed app (importing its signals module
    otherwise would load models of an app Django does not know). True when connected."""
    if not apps.is_installed("axes"):
        return False
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="accounts_locked_out")
    return True
