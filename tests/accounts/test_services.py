"""The client's address recorded with a sign-in and with every change of a request."""

import pytest

from accounts.models import SignIn
from accounts.services import client_address, sign_in_record
from tests.factories import UserFactory


def test_without_a_proxy_the_peer_address_counts_and_x_forwarded_for_is_ignored(rf, settings):
    settings.RISKBOARD_TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert client_address(request) == "198.51.100.1"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_claims(rf, settings):
    settings.RISKBOARD_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.9")
    assert client_address(request) == "198.51.100.9"
    # A header shorter than the proxies in front: the peer address.
    assert client_address(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


@pytest.mark.django_db
def test_a_failed_attempt_names_the_account_when_the_username_exists_and_cuts_long_input(rf):
    user = UserFactory(username="known")
    attempt = sign_in_record(outcome=SignIn.Outcome.FAILED, username="known", request=rf.post("/"))
    assert attempt.user == user and attempt.ip_address == "127.0.0.1"
    long = sign_in_record(outcome=SignIn.Outcome.FAILED, username="x" * 500, request=rf.post("/"))
    assert long.user is None and long.username == "x" * 150
