"""API tokens: created by administrators or manage.py, stored as hashes, shown once, sent in the
Authorization header only, refused once expired or revoked, and limited to their scope and team."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_create, api_token_record_use
from riskboard.permissions import Action, can, grants_for
from riskboard.roles import Role
from tests.admin_helpers import staff_user

pytestmark = pytest.mark.django_db
LIST = "/api/v1/agreements/"


# --- Creating tokens -------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_hash(world):
    token, key = api_token_create(client="Registry", scope="read")
    prefix, secret = key.split(".")
    assert token.prefix == prefix and len(secret) == 32
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in stored.values())
    assert token.hashed_key.startswith("sha512$$")


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"scope": "write"}, "user", "acts for a named user"),
    ({"scope": "read", "user": "nobody"}, "user", "has no role"),
    ({"scope": "write", "user": "auditor"}, "scope", "may not edit or review"),
    ({"scope": "read", "user": "analyst", "team": "other_team"}, "team", "has no role in team cyber"),
    ({"scope": "admin"}, "scope", "Choose read or write"),
    ({"scope": "read", "expires_at": "past"}, "expiry_date", "in the future"),
])
def test_a_token_that_could_not_work_as_meant_is_refused(world, kwargs, field, message):
    values = {name: getattr(world, value) if name in ("user", "team") else value for name, value in kwargs.items()}
    if values.get("expires_at") == "past":
        values["expires_at"] = timezone.now() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as raised:
        api_token_create(client="Registry", **values)
    assert message in " ".join(raised.value.message_dict[field])
    assert not ApiToken.objects.exists()


def test_only_administrators_create_tokens(world):
    with pytest.raises(Exception, match="does not allow"):
        api_token_create(client="Registry", scope="read", actor=world.manager)
    token, _ = api_token_create(client="Registry", scope="read", actor=world.administrator)
    assert token.created_by == world.administrator


def test_the_command_prints_the_key_as_its_last_line_and_the_key_works(world, api):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "--client", "Registry", "--scope", "write", "--user", "analyst",
                 "--team", "strategic", "--expires-days", "30", stdout=out, stderr=err)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert (token.scope, token.user, token.team) == ("write", world.analyst, world.team)
    assert token.expiry_date.date() == (timezone.now() + dt.timedelta(days=30)).date()
    assert "stored only as a hash" in err.getvalue()
    assert api.with_key(key).get(LIST).status_code == 200


def test_the_command_explains_what_it_refuses(world):
    with pytest.raises(CommandError, match="acts for a named user"):
        call_command("create_api_token", "--client", "X", "--scope", "write", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No team"):
        call_command("create_api_token", "--client", "X", "--scope", "read", "--team", "nope", stdout=io.StringIO())
    call_command("create_api_token", "--client", "X", "--scope", "read", "--expires-days", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.get().expiry_date is None


# --- Authentication ----------------------------------------------------------------------------


def _error(response) -> str:
    return response.json()["detail"]


def test_a_valid_token_reads(api, tokens):
    response = api.with_key(tokens["read_all"]).get(LIST)
    assert response.status_code == 200


@pytest.mark.parametrize(("header", "message"), [
    (None, "send your API token"),
    ("Token", "Authorization: Token <key>"),
    ("Token abc def", "Authorization: Token <key>"),
    ("Token nodot", "Invalid token"),
    ("Token AAAAAAAA.wrong", "Invalid token"),
])
def test_missing_or_bad_credentials_are_401(api, tokens, header, message):
    response = api.get(LIST, headers={"Authorization": header} if header else None)
    assert response.status_code == 401
    assert message in _error(response)
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_a_wrong_secret_with_a_real_prefix_is_401(api, tokens):
    prefix = tokens["read_all"].split(".")[0]
    response = api.with_key(f"{prefix}.{'x' * 32}").get(LIST)
    assert response.status_code == 401 and _error(response) == "Invalid token."


@pytest.mark.parametrize("name", ["token", "api_key", "access_token", "KEY"])
def test_a_token_in_the_query_string_is_refused_even_with_the_header(api, tokens, name):
    response = api.with_key(tokens["read_all"]).get(f"{LIST}?{name}={tokens['read_all']}")
    assert response.status_code == 401
    assert "Authorization header" in _error(response) and "never in the URL" in _error(response)


@pytest.mark.parametrize(("name", "message"), [("expired", "expired on"), ("revoked", "revoked")])
def test_expired_and_revoked_tokens_are_401_and_say_so(api, tokens, name, message):
    response = api.with_key(tokens[name]).get(LIST)
    assert response.status_code == 401 and message in _error(response)


def test_a_token_of_a_deactivated_user_is_401(api, world, tokens):
    world.analyst.is_active = False
    world.analyst.save()
    response = api.with_key(tokens["write_analyst"]).get(LIST)
    assert response.status_code == 401 and "no longer active" in _error(response)


def test_last_use_is_recorded_at_most_once_a_minute(api, tokens, django_assert_num_queries):
    token = tokens.objects["read_all"]
    assert token.last_used_at is None
    api.with_key(tokens["read_all"]).get(LIST)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api.with_key(tokens["read_all"]).get(LIST)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: not written again
    with django_assert_num_queries(0):
        api_token_record_use(token=token, now=first + dt.timedelta(seconds=59))
    later = first + dt.timedelta(seconds=61)
    api_token_record_use(token=token, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later


# --- What a token may do -----------------------------------------------------------------------


def _principal(api, key):
    """The principal the API sees for ``key``, as grants (through a request, like any client)."""
    from api.authentication import ApiTokenAuthentication

    return ApiTokenAuthentication().authenticate_key(key)[0]


def test_a_token_narrows_its_users_grants_and_never_widens_them(world, tokens, api):
    manager_read = _principal(api, tokens["read_manager"])
    assert can(manager_read, Action.VIEW, world.team.pk)
    assert not can(manager_read, Action.EDIT, world.team.pk)  # the manager could; the read token cannot
    admin_on_cyber = _principal(api, tokens["write_admin_team"])
    assert can(admin_on_cyber, Action.REVIEW, world.other_team.pk)
    assert not can(admin_on_cyber, Action.VIEW, world.team.pk)
    assert Action.ADMINISTER not in grants_for(admin_on_cyber).everywhere
    read_team = _principal(api, tokens["read_team"])
    assert grants_for(read_team).per_team == {world.team.pk: frozenset({Action.VIEW})}
    assert grants_for(_principal(api, tokens["read_all"])).everywhere == frozenset({Action.VIEW})


@pytest.mark.parametrize("endpoint", ["agreements", "assessments", "partners"])
def test_a_team_restricted_token_never_sees_another_team(api, world, tokens, endpoint):
    ours, theirs = world.approved(), world.draft(world.agreement(team=world.other_team), actor=world.other_analyst)
    rows = api.with_key(tokens["read_team"]).get(f"/api/v1/{endpoint}/").json()["results"]
    every = api.with_key(tokens["read_all"]).get(f"/api/v1/{endpoint}/").json()["results"]
    assert len(every) > len(rows) > 0
    if endpoint == "agreements":
        assert {r["owner_team"]["id"] for r in rows} == {world.team.pk}
    elif endpoint == "assessments":
        assert {r["team_id"] for r in rows} == {world.team.pk}
    else:
        assert {r["id"] for r in rows} == set(ours.agreement.partners.values_list("pk", flat=True))
        assert not set(theirs.agreement.partners.values_list("pk", flat=True)) & {r["id"] for r in rows}
    csv = b"".join(api.with_key(tokens["read_team"]).get(f"/api/v1/{endpoint}/?format=csv").streaming_content)
    assert csv.count(b"\n") == len(rows) + 1


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = staff_user(Role.ADMINISTRATOR, username="staff-administrator")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="api"))
    client.force_login(user)
    return client


def test_administrators_create_a_token_in_the_admin_and_see_its_key_once(admin_client, world, api):
    response = admin_client.post(reverse("admin:api_apitoken_add"), {
        "name": "Case management", "scope": "write", "user": world.manager.pk, "team": world.team.pk,
        "expiry_date_0": "2099-01-01", "expiry_date_1": "00:00:00",
    }, follow=True)
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    key = shown[0].split(" is: ")[1].split(" ")[0]
    assert key.startswith(token.prefix + ".") and api.with_key(key).get(LIST).status_code == 200
    listing = admin_client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token.prefix in listing and key.split(".")[1] not in listing


def test_the_admin_refuses_a_write_token_without_a_user(admin_client):
    response = admin_client.post(reverse("admin:api_apitoken_add"), {"name": "X", "scope": "write"})
    assert response.status_code == 200 and "acts for a named user" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_administrators_revoke_tokens_in_the_admin(admin_client, tokens, api):
    token = tokens.objects["read_all"]
    admin_client.post(reverse("admin:api_apitoken_changelist"),
                      {"action": "revoke", "_selected_action": [token.pk]})
    assert api.with_key(tokens["read_all"]).get(LIST).status_code == 401
    change = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert 'name="scope"' not in change  # nothing of a token is edited
    assert admin_client.get(reverse("admin:api_apitoken_delete", args=[token.pk])).status_code == 403


def test_only_administrators_see_tokens_in_the_admin(client, tokens):
    manager = staff_user(Role.MANAGER, username="staff-manager")
    manager.user_permissions.add(*Permission.objects.filter(content_type__app_label="api"))
    client.force_login(manager)
    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 403


def test_the_librarys_unscoped_key_model_is_not_in_the_admin(admin_client):
    assert "rest_framework_api_key" not in admin_client.get(reverse("admin:index")).content.decode()
