"""Password guessing: after N failures from one address, that (username, address) is paused for
the cool-off, even with the right password; other addresses and other users are not."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.security.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

GUESSER, OWNER = "198.51.100.7", "192.0.2.10"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def guess(client, username, times, ip=GUESSER):
    return [sign_in(client, username, "wrong-password-guess", ip=ip) for _ in range(times)]


def test_failures_below_the_limit_leave_the_right_password_working(client, member):
    responses = guess(client, member.username, 2)
    assert [r.status_code for r in responses] == [200, 200]
    assert b"Please enter a correct username and password" in responses[-1].content
    assert signed_in(sign_in(client, member.username, PASSWORD, ip=GUESSER))


def test_after_the_limit_the_right_password_is_refused_during_the_cool_off(client, member):
    responses = guess(client, member.username, 3)
    assert responses[-1].status_code == 429
    page = responses[-1].content.decode()
    assert "Sign-in paused" in page and "15 minutes" in page and member.username in page

    refused = sign_in(client, member.username, PASSWORD, ip=GUESSER)
    assert refused.status_code == 429
    assert not refused.wsgi_request.user.is_authenticated
    assert "_auth_user_id" not in client.session


def test_the_pause_ends_after_the_cool_off(client, member):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        guess(client, member.username, 3)
        clock.shift(dt.timedelta(minutes=14))
        assert sign_in(client, member.username, PASSWORD, ip=GUESSER).status_code == 429
        # The refused attempt started the pause again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
        clock.shift(dt.timedelta(minutes=16))
        assert signed_in(sign_in(client, member.username, PASSWORD, ip=GUESSER))


def test_failures_from_another_address_never_lock_the_user_out(client, member):
    guess(client, member.username, 10, ip=GUESSER)
    assert signed_in(sign_in(client, member.username, PASSWORD, ip=OWNER))


def test_a_locked_pair_does_not_lock_other_users_at_the_same_address(client, member):
    from tests.factories import UserFactory

    colleague = UserFactory(username="colleague")
    guess(client, member.username, 3)
    assert signed_in(sign_in(client, colleague.username, PASSWORD, ip=GUESSER))


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client, member, settings):
    """One proxy in front: its address is every request's peer, so the address that counts is the
    one it appended; an address the client wrote further left is ignored."""
    settings.RISKBOARD_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(3):
        sign_in(client, member.username, "wrong-password-guess", ip=proxy,
                HTTP_X_FORWARDED_FOR=f"{OWNER}, {GUESSER}")  # forged OWNER, real GUESSER
    assert sign_in(client, member.username, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=GUESSER).status_code == 429
    assert signed_in(sign_in(client, member.username, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=OWNER))


def test_lockout_and_failures_are_logged_without_the_password(client, member, caplog):
    with caplog.at_level("INFO", logger="riskboard.security"):
        guess(client, member.username, 3)
    events = [getattr(r, "event", None) for r in caplog.records if r.name == "riskboard.security"]
    assert events.count("login_failed") == 3 and "lockout" in events
    lockout = next(r for r in caplog.records if getattr(r, "event", None) == "lockout")
    assert lockout.username == member.username and lockout.ip == GUESSER
    assert "wrong-password-guess" not in caplog.text


def test_a_real_lockout_is_recorded_once_with_the_guessers_address(client, member):
    """The lockout signal of the installed django-axes reaches the audit trail (not only a direct
    call of the receiver): one "Locked out" attempt for the guessed username and the guesser's address."""
    from accounts.models import SignIn

    guess(client, member.username, 3)
    locked = SignIn.objects.filter(outcome=SignIn.Outcome.LOCKED_OUT)
    assert [(s.username, s.ip_address) for s in locked] == [(member.username, GUESSER)]
    assert SignIn.objects.filter(outcome=SignIn.Outcome.FAILED, ip_address=GUESSER).count() >= 2
