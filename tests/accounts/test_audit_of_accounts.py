"""Accounts, groups, memberships, API tokens and sign-ins leave entries on /audit/, never a secret.

Needs PostgreSQL: the trail is written by triggers.
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import SignIn
from accounts.receivers import _locked_out
from api import services as api_services
from audit.models import ApiTokenEvent, GroupEvent, SignInEvent, UserEvent, UserGroupEvent
from audit.tracking import SECRET_CHANGED
from riskboard.roles import Role
from tests.accounts.test_admin import _user_form
from tests.audit.conftest import postgres_only
from tests.factories import MembershipFactory, UserFactory

pytestmark = [*postgres_only, pytest.mark.django_db]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture
def administrator():
    return MembershipFactory(team=None, role=Role.ADMINISTRATOR, user=UserFactory(username="admin1")).user


def _history(client, reader, **filters) -> str:
    client.force_login(reader)
    response = client.get(reverse("audit:global"), filters)
    assert response.status_code == 200
    return response.content.decode()


def _updates_since(user, mark: int) -> list:
    return list(UserEvent.objects.filter(pgh_obj_id=user.pk, pgh_label="update", pgh_id__gt=mark))


def _mark() -> int:
    last = UserEvent.objects.order_by("-pgh_id").first()
    return last.pgh_id if last else 0


def _rows_mentioning(page: str, text: str) -> list[str]:
    return [row for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S) if text in row]


@pytest.mark.parametrize(("flag", "label"), [("is_staff", "Staff status"), ("is_superuser", "Superuser status")])
def test_promoting_a_user_leaves_an_entry_on_the_history_page(client, administrator, flag, label):
    user = UserFactory(username="promoted")
    mark = _mark()
    setattr(user, flag, True)
    user.save()

    [event] = _updates_since(user, mark)
    assert event.pgh_before[flag] is False and event.pgh_after[flag] is True
    page = _history(client, administrator, model="auth.user")
    [row] = [row for row in _rows_mentioning(page, f"User #{user.pk} · promoted") if label in row and "Changed" in row]
    assert re.search(r"before: </span>No</del>.*after: </span>Yes</ins>", row, flags=re.S)


def test_a_promotion_in_the_admin_names_who_made_it_and_from_where(client, administrator):
    user = UserFactory(username="promoted")
    mark = _mark()
    administrator.is_staff = True
    administrator.save()
    administrator.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))
    client.force_login(administrator)
    url = reverse("admin:auth_user_change", args=[user.pk])
    response = client.post(url, _user_form(client.get(url), is_staff="on"), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302

    [event] = _updates_since(user, mark)
    assert event.pgh_context.metadata["user"] == administrator.pk
    assert event.pgh_context.metadata["ip"] == "192.0.2.7"
    page = _history(client, administrator, model="auth.user")
    [row] = [row for row in _rows_mentioning(page, f"User #{user.pk} · promoted") if "Staff status" in row
             and "Changed" in row]
    assert "admin1" in row and "192.0.2.7" in row


def test_a_password_change_is_recorded_without_the_hash(client, administrator):
    user = UserFactory(username="renewed")
    old_hash = user.password
    mark = _mark()
    user.set_password("another-long-password")
    user.save()

    [event] = _updates_since(user, mark)
    assert "password" not in event.pgh_before
    assert event.pgh_after["password"] == SECRET_CHANGED
    [created] = UserEvent.objects.filter(pgh_obj_id=user.pk, pgh_label="create")
    assert "password" not in created.pgh_after
    page = _history(client, administrator)
    assert old_hash not in page and user.password not in page
    assert SECRET_CHANGED in page


def test_signing_in_leaves_an_entry_with_the_account_and_address(client, administrator):
    user = UserFactory(username="arriving")
    mark = _mark()
    response = client.post(
        reverse("login"), {"username": "arriving", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302

    [event] = SignInEvent.objects.filter(pgh_after__outcome=SignIn.Outcome.SIGNED_IN, pgh_after__user_id=user.pk)
    assert event.pgh_after["ip_address"] == "198.51.100.4"
    assert event.pgh_context.metadata["user"] == user.pk
    # A sign-in alone is not an account change.
    assert _updates_since(user, mark) == []
    client.logout()
    page = _history(client, administrator, model="accounts.signin")
    [row] = _rows_mentioning(page, "198.51.100.4")
    assert "Signed in" in row and "arriving" in row


def test_a_failed_sign_in_keeps_the_username_typed_and_never_the_password(client, administrator):
    UserFactory(username="target")
    response = client.post(
        reverse("login"), {"username": "target", "password": "Guess-Number-1"}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200  # the form again, with its error

    [event] = SignInEvent.objects.filter(pgh_after__outcome=SignIn.Outcome.FAILED)
    assert event.pgh_after["username"] == "target" and event.pgh_after["ip_address"] == "203.0.113.9"
    assert "Guess-Number-1" not in str(event.pgh_after)
    assert event.pgh_context is None or event.pgh_context.metadata.get("user") is None
    page = _history(client, administrator, model="accounts.signin")
    [row] = _rows_mentioning(page, "203.0.113.9")
    assert "Sign-in failed" in row and "target" in row and "Guess-Number-1" not in page


def test_a_lockout_leaves_an_entry(client, administrator, rf):
    UserFactory(username="guessed")
    _locked_out(sender=None, request=rf.post("/accounts/login/", REMOTE_ADDR="203.0.113.10"),
                username="guessed", ip_address="203.0.113.10")
    page = _history(client, administrator, model="accounts.signin")
    [row] = _rows_mentioning(page, "203.0.113.10")
    assert "Locked out" in row and "guessed" in row


def test_groups_their_members_and_permissions_are_recorded(client, administrator):
    group = Group.objects.create(name="Reviewers")
    user = UserFactory(username="member")
    user.groups.add(group)
    group.permissions.add(Permission.objects.get(codename="change_user"))

    assert GroupEvent.objects.filter(pgh_obj_id=group.pk, pgh_label="create").exists()
    [link] = UserGroupEvent.objects.filter(pgh_after__user_id=user.pk)
    assert link.pgh_after["group_id"] == group.pk
    # The link shows in the user's own history.
    client.force_login(administrator)
    response = client.get(reverse("audit:object", args=["auth.user", user.pk]))
    assert response.status_code == 200
    assert "User-group relationship" in response.content.decode()


def test_membership_changes_show_in_the_users_history(client, administrator):
    membership = MembershipFactory(role=Role.ANALYST)
    client.force_login(administrator)
    response = client.get(reverse("audit:object", args=["auth.user", membership.user_id]))
    assert f"Membership #{membership.pk}" in response.content.decode()


def test_api_tokens_are_recorded_without_their_key_or_hash(client, administrator):
    token, key = api_services.api_token_create(
        client="Case system", scope="read", user=None, team=None, expires_at=None, actor=administrator
    )
    [event] = ApiTokenEvent.objects.filter(pgh_label="create")
    stored = str(event.pgh_after)
    assert event.pgh_after["name"] == "Case system" and event.pgh_after["prefix"] == token.prefix
    assert "hashed_key" not in event.pgh_after and "id" not in event.pgh_after
    assert token.hashed_key not in stored and key.split(".")[-1] not in stored
    page = _history(client, administrator, model="api.apitoken")
    assert "Case system" in page and token.hashed_key not in page
