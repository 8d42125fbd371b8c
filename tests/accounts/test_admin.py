"""User and group administration goes through riskboard.permissions: administrators only, and
superuser status never through the web."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from riskboard.roles import Role
from tests.admin_helpers import form_data
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff(*, role=None, superuser=False, username=None):
    """A staff account with every Django permission on users and groups, and ``role`` (if any)."""
    user = UserFactory(is_staff=True, is_superuser=superuser, **({"username": username} if username else {}))
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))
    if role is not None:
        MembershipFactory(user=user, role=role, team=None)
    return user


def _user_form(page, **changes) -> dict:
    """The user change form's data as shown (its date is split in two inputs), with ``changes``."""
    data = form_data(page, **changes)
    joined = page.context["adminform"].form.initial["date_joined"]
    data.pop("date_joined", None)
    data.update(date_joined_0=joined.strftime("%Y-%m-%d"), date_joined_1=joined.strftime("%H:%M:%S"))
    return data


def _change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


@pytest.fixture
def administrator():
    return _staff(role=Role.ADMINISTRATOR, username="chief")


def test_staff_with_change_user_but_no_administrator_role_cannot_change_users(client):
    staff = _staff(username="clerk")
    victim = UserFactory(username="victim")
    client.force_login(staff)

    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(_change_url(victim)).status_code == 403
    response = client.post(_change_url(staff), {"username": "clerk", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 403
    staff.refresh_from_db()
    assert staff.is_superuser is False
    index = client.get(reverse("admin:index"))
    assert reverse("admin:auth_user_changelist") not in index.content.decode()
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    assert client.post(reverse("admin:auth_group_add"), {"name": "Mine"}).status_code == 403
    assert not Group.objects.filter(name="Mine").exists()


def test_an_administrator_manages_users_but_the_form_never_offers_superuser_status(client, administrator):
    user = UserFactory(username="promoted")
    client.force_login(administrator)
    page = client.get(_change_url(user))
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    assert 'name="is_superuser"' not in page.content.decode()

    response = client.post(_change_url(user), _user_form(page, is_staff="on", is_superuser="on"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff is True and user.is_superuser is False


def test_an_administrator_cannot_make_themself_superuser(client, administrator):
    client.force_login(administrator)
    page = client.get(_change_url(administrator))
    client.post(_change_url(administrator), _user_form(page, is_superuser="on"))
    administrator.refresh_from_db()
    assert administrator.is_superuser is False


def test_even_a_superuser_cannot_grant_superuser_status_on_the_web(client):
    root = _staff(superuser=True, username="root")
    user = UserFactory(username="hopeful")
    client.force_login(root)
    page = client.get(_change_url(user))
    assert "is_superuser" not in page.context["adminform"].form.fields
    client.post(_change_url(user), _user_form(page, is_superuser="on"))
    user.refresh_from_db()
    assert user.is_superuser is False


def test_an_administrator_cannot_change_a_superusers_account(client, administrator):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(administrator)
    response = client.post(_change_url(root), {"username": "root", "email": "mine@example.org"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.email != "mine@example.org"
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.post(password_url, {"password1": "Taken-over-123", "password2": "Taken-over-123"}).status_code == 403


def test_an_administrator_manages_groups(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:auth_group_add"), {"name": "Reviewers"})
    assert response.status_code == 302
    assert Group.objects.filter(name="Reviewers").exists()


def test_superuser_status_is_granted_on_the_command_line_by_a_superuser(capsys):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    user = UserFactory(username="deputy")
    call_command("superuser_grant", "deputy", "--by", root.username)
    user.refresh_from_db()
    assert user.is_superuser is True and user.is_staff is True
    assert "deputy is now a superuser" in capsys.readouterr().out

    call_command("superuser_grant", "deputy", "--by", root.username, "--revoke")
    user.refresh_from_db()
    assert user.is_superuser is False


def test_the_command_line_refuses_a_grant_by_someone_who_is_not_a_superuser():
    administrator = MembershipFactory(team=None, role=Role.ADMINISTRATOR).user
    user = UserFactory(username="deputy")
    with pytest.raises(CommandError, match="Only an active superuser"):
        call_command("superuser_grant", "deputy", "--by", administrator.username)
    with pytest.raises(CommandError, match="No such user"):
        call_command("superuser_grant", "nobody-here", "--by", administrator.username)
    user.refresh_from_db()
    assert user.is_superuser is False
