"""Administrators force a password change; a second factor is optional, and required of
administrators and managers when RISKBOARD_REQUIRE_2FA is on."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskboard.roles import Role
from riskboard.security.models import PasswordChangeRequirement
from riskboard.security.services import user_password_change_require
from tests.admin_helpers import staff_user
from tests.security.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller

NEW_PASSWORD = "a-new-long-passphrase-42"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_a_required_password_change_comes_before_every_page(client, member):
    user_password_change_require(user=member)
    response = sign_in(client, member.username)
    landing = client.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"].startswith(reverse("security:password-change"))
    page = client.get(landing["Location"])
    assert "An administrator asked you to choose a new password" in page.content.decode()
    api = client.get("/api/v1/agreements/")
    assert api.status_code == 403 and "choose a new password" in api.json()["detail"]

    done = client.post(reverse("security:password-change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert done.status_code == 302
    assert client.get("/agreements/").status_code == 200
    assert not PasswordChangeRequirement.objects.filter(user=member).exists()


def test_administrators_require_a_change_from_the_admin(client, member):
    administrator = staff_user(Role.ADMINISTRATOR)
    client.force_login(administrator)
    response = client.post(reverse("admin:security_passwordchangerequirement_add"), {"user": member.pk})
    assert response.status_code == 302
    requirement = PasswordChangeRequirement.objects.get(user=member)
    assert requirement.requested_by == administrator
    listing = client.get(reverse("admin:security_passwordchangerequirement_changelist")).content.decode()
    assert member.username in listing


def test_a_staff_account_without_the_administrator_role_cannot(client, member):
    client.force_login(staff_user(Role.MANAGER))
    response = client.post(reverse("admin:security_passwordchangerequirement_add"), {"user": member.pk})
    assert response.status_code == 403
    assert not PasswordChangeRequirement.objects.exists()


def enrol(client: Client) -> TOTPDevice:
    page = client.get(reverse("security:two-factor"))
    assert page.status_code == 200 and "otpauth://totp/" in page.content.decode() and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    response = client.post(reverse("security:two-factor"), {"otp_token": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_optional_two_factor_once_enrolled_is_asked_at_each_sign_in(member, clock):
    first = Client()
    sign_in(first, member.username)
    wrong = first.post(reverse("security:two-factor"), {"otp_token": "000000"})
    assert wrong.status_code == 200 and "That code is not valid" in wrong.content.decode()
    throttled = first.post(reverse("security:two-factor"), {"otp_token": "000000"})
    assert "Too many wrong codes" in throttled.content.decode()
    clock.shift(dt.timedelta(seconds=5))
    device = enrol(first)

    second = Client()
    sign_in(second, member.username, ip="192.0.2.11")
    response = second.get("/agreements/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:two-factor-verify"))
    # The code used to enrol cannot be used again (a replayed code is refused).
    replayed = second.post(reverse("security:two-factor-verify"), {"otp_token": current_code(device)})
    assert replayed.status_code == 200 and "not valid" in replayed.content.decode()
    assert second.get("/agreements/").status_code == 302
    clock.shift(dt.timedelta(seconds=31))  # the next code, past django-otp's throttle
    device.refresh_from_db()
    accepted = second.post(reverse("security:two-factor-verify"),
                           {"otp_token": current_code(device), "next": "/agreements/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/agreements/"
    assert second.get("/agreements/").status_code == 200


def test_optional_two_factor_can_be_turned_off(client, member):
    sign_in(client, member.username)
    enrol(client)
    response = client.post(reverse("security:two-factor"), {"action": "remove"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()


@pytest.mark.parametrize("persona", ["manager", "administrator"])
def test_when_required_managers_and_administrators_must_enrol_first(client, world, settings, persona):
    settings.RISKBOARD_REQUIRE_2FA = True
    user = getattr(world, persona)
    sign_in(client, user.username)
    response = client.get("/agreements/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("security:two-factor"))
    assert "Your role requires two-factor authentication" in client.get(response["Location"]).content.decode()
    enrol(client)
    assert client.get("/agreements/").status_code == 200
    removal = client.post(reverse("security:two-factor"), {"action": "remove"})
    assert removal.status_code == 200 and TOTPDevice.objects.filter(user=user).exists()


def test_when_required_analysts_may_still_go_without(client, world, settings):
    settings.RISKBOARD_REQUIRE_2FA = True
    sign_in(client, world.analyst.username)
    assert client.get("/agreements/").status_code == 200


def test_the_next_address_never_leaves_the_site(client, member):
    sign_in(client, member.username)
    device = TOTPDevice.objects.create(user=member, name="app", confirmed=False)
    response = client.post(reverse("security:two-factor"),
                           {"otp_token": current_code(device), "next": "https://evil.example.org/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
