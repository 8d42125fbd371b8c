"""Fixtures of the API tests: tokens of every kind, and a client that speaks JSON with a token."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from tests.dashboards.conftest import two_teams  # noqa: F401 (the dashboards' two teams: scores and heatmap tests)


@dataclass
class ApiClient:
    """Django's test client with ``Authorization: Token <key>`` and JSON bodies."""

    client: Client
    key: str | None = None

    def _headers(self, headers: dict | None) -> dict:
        out = dict(headers or {})
        if self.key:
            out.setdefault("Authorization", f"Token {self.key}")
        return out

    def get(self, url, data=None, headers=None, **extra):
        return self.client.get(url, data, headers=self._headers(headers), **extra)

    def head(self, url, data=None, headers=None, **extra):
        return self.client.head(url, data, headers=self._headers(headers), **extra)

    def post(self, url, body=None, headers=None, **extra):
        return self.client.post(url, json.dumps(body if body is not None else {}),
                                content_type="application/json", headers=self._headers(headers), **extra)

    def patch(self, url, body=None, headers=None, **extra):
        return self.client.patch(url, json.dumps(body if body is not None else {}),
                                 content_type="application/json", headers=self._headers(headers), **extra)

    def with_key(self, key):
        return ApiClient(Client(), key)


@dataclass
class Tokens:
    """One key per kind of token (see ``tokens``), by name."""

    keys: dict[str, str]
    objects: dict

    def __getitem__(self, name: str) -> str:
        return self.keys[name]


@pytest.fixture
def tokens(world) -> Tokens:
    """Tokens of every kind over ``world``:

    - ``read_all`` (no user, every team), ``read_team`` / ``read_other_team`` (no user, one team);
    - ``read_manager`` (acts for ``manager``, read scope), ``write_analyst``, ``write_manager``,
      ``write_reviewer``, ``write_administrator``, ``write_auditor`` (auditor: may read only),
      ``write_other_manager`` (the other team), ``write_admin_team`` (administrator, ``other_team`` only);
    - ``expired`` and ``revoked`` (otherwise like ``read_all``).
    """
    from api.services import api_token_create, api_token_revoke

    def make(name, scope, user=None, team=None, expires_at=None):
        token, key = api_token_create(client=name, scope=scope, user=user, team=team, expires_at=expires_at)
        return name, token, key

    made = [
        make("read_all", "read"),
        make("read_team", "read", team=world.team),
        make("read_other_team", "read", team=world.other_team),
        make("read_manager", "read", user=world.manager),
        make("write_analyst", "write", user=world.analyst),
        make("write_manager", "write", user=world.manager),
        make("write_reviewer", "write", user=world.reviewer),
        make("write_administrator", "write", user=world.administrator),
        make("write_other_manager", "write", user=world.other_manager),
        make("write_admin_team", "write", user=world.administrator, team=world.other_team),
        make("read_auditor", "read", user=world.auditor),
        make("expired", "read", expires_at=timezone.now() + dt.timedelta(seconds=1)),
        make("revoked", "read"),
    ]
    keys = {name: key for name, _, key in made}
    objects = {name: token for name, token, _ in made}
    api_token_revoke(token=objects["revoked"])
    type(objects["expired"]).objects.filter(pk=objects["expired"].pk).update(
        expiry_date=timezone.now() - dt.timedelta(minutes=1)
    )
    return Tokens(keys, objects)


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture(autouse=True)
def _no_settle_and_no_throttle(settings):
    """Rows are served as soon as written, and no test hits a rate limit unless it sets one."""
    settings.RISKBOARD_API_SYNC_SETTLE_SECONDS = 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min", "api_heavy": "100000/min"},
    }
