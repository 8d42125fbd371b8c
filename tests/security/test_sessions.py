"""Sessions end after 30 minutes idle or 12 hours in all, when the password changes (every other
session of the user) and when the account is deactivated."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.security.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

PAGE = "/agreements/"
NEW = "a-new-long-passphrase-42"


def signed_in_at(client: Client, url: str = PAGE) -> bool:
    response = client.get(url)
    return response.status_code == 200


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_a_session_idle_for_30_minutes_ends(client, member, clock):
    assert sign_in(client, member.username).status_code == 302
    clock.shift(dt.timedelta(minutes=29))
    assert signed_in_at(client)
    clock.shift(dt.timedelta(minutes=29))  # active 29 minutes ago: still fine
    assert signed_in_at(client)
    clock.shift(dt.timedelta(minutes=30))
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login_page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in login_page
    assert not signed_in_at(client)  # and it stays ended


def test_an_active_session_ends_after_12_hours(client, member, clock):
    assert sign_in(client, member.username).status_code == 302
    for _ in range(11 * 4 + 3):  # a page every 15 minutes, 11 h 45 in all
        clock.shift(dt.timedelta(minutes=15))
        assert signed_in_at(client)
    clock.shift(dt.timedelta(minutes=15))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "signed in more than 12 hours ago" in client.get(response["Location"]).content.decode()


def test_the_limits_come_from_the_settings(client, member, clock, settings):
    settings.RISKBOARD_SESSION_IDLE_SECONDS = 5 * 60
    assert sign_in(client, member.username).status_code == 302
    clock.shift(dt.timedelta(minutes=6))
    assert not signed_in_at(client)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(member):
    laptop, phone = Client(), Client()
    assert sign_in(laptop, member.username).status_code == 302
    assert sign_in(phone, member.username, ip="192.0.2.11").status_code == 302
    response = laptop.post(reverse("security:password-change"), {
        "old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW,
    })
    assert response.status_code == 302
    assert signed_in_at(laptop)
    assert not signed_in_at(phone)
    member.refresh_from_db()
    assert member.check_password("a-new-long-passphrase-42")


def test_a_wrong_current_password_changes_nothing(client, member):
    sign_in(client, member.username)
    response = client.post(reverse("security:password-change"), {
        "old_password": "not-it", "new_password1": NEW, "new_password2": NEW,
    })
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_deactivating_the_account_ends_its_sessions(client, member):
    sign_in(client, member.username)
    assert signed_in_at(client)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert not signed_in_at(client)


def test_the_header_links_to_the_password_change(client, member):
    sign_in(client, member.username)
    html = client.get(PAGE).content.decode()
    assert f'href="{reverse("security:password-change")}"' in html
