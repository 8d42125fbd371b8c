"""Who may use which endpoint: every endpoint x every principal, session or token.

The same single rule as the pages (tests/test_access_matrix.py), over the API's principals:

- no credentials, or a token that is unknown, expired or revoked, or a token sent in the query
  string: 401, and nothing changes;
- an object outside the principal's scope (another team's, or outside a token's team): 404;
- an action the role or the token's scope does not allow: 403 (a read token never writes);
- allowed: 200 or 201.

A refused write changes nothing. Every URL of the ``api-v1`` namespace must have a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments.choices import AssessmentStatus
from assessments.models import Assessment
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

SESSIONS = ("analyst", "manager", "auditor", "administrator", "other_analyst", "nobody")
TOKENS = (
    "read_all", "read_team", "read_other_team", "read_manager", "read_auditor", "write_analyst", "write_manager",
    "write_administrator", "write_other_manager", "write_admin_team", "expired", "revoked",
)
PRINCIPALS = ("anonymous", "query_token", *(f"session:{s}" for s in SESSIONS), *TOKENS)
REFUSED_CREDENTIALS = {"anonymous": 401, "query_token": 401, "expired": 401, "revoked": 401}

# Who sees ``world.team``'s objects, and who does not.
IN_SCOPE = ("session:analyst", "session:manager", "session:auditor", "session:administrator", "read_all",
            "read_team", "read_manager", "read_auditor", "write_analyst", "write_manager", "write_administrator")
OUT_OF_SCOPE = ("session:other_analyst", "session:nobody", "read_other_team", "write_other_manager", "write_admin_team")


def expect(in_scope: int, out_of_scope: int = 404, **overrides) -> dict[str, int]:
    table = {**REFUSED_CREDENTIALS, **dict.fromkeys(IN_SCOPE, in_scope), **dict.fromkeys(OUT_OF_SCOPE, out_of_scope)}
    return {**table, **{name.replace("__", ":"): status for name, status in overrides.items()}}


LISTS = expect(200, 200)
DETAIL = expect(200)
HISTORY = expect(403, **{"session__auditor": 200, "session__administrator": 200, "read_auditor": 200,
                         "write_administrator": 200})
EDITORS = expect(403, **{"session__analyst": 200, "session__manager": 200, "session__administrator": 200,
                         "write_analyst": 200, "write_manager": 200, "write_administrator": 200})
REVIEWERS = expect(403, **{"session__manager": 200, "session__administrator": 200, "write_manager": 200,
                           "write_administrator": 200})
PUBLIC = dict.fromkeys(PRINCIPALS, 200)


@dataclass
class Row:
    name: str
    args: Callable[[dict], list]
    expected: dict[str, int]
    method: str = "get"
    body: Callable[[dict], dict] | None = None
    if_match: Callable[[dict], int] | None = None
    changed: Callable[[dict], bool] | None = None
    query: dict = field(default_factory=dict)


def _status(objects, name):
    objects[name].refresh_from_db()
    return objects[name].status


def _first_code(objects):
    return objects["draft"].catalogue.categories.order_by("display_order", "code").first().code


ROWS = [
    Row("catalogue-list", lambda o: [], LISTS),
    Row("catalogue-detail", lambda o: [o["draft"].catalogue_id], expect(200, 200, session__nobody=404)),
    Row("catalogue-history", lambda o: [o["draft"].catalogue_id],
        expect(403, 403, session__nobody=404, session__auditor=200, session__administrator=200, read_auditor=200,
               write_administrator=200, write_admin_team=403)),
    Row("partner-list", lambda o: [], LISTS),
    Row("partner-detail", lambda o: [o["partner"].pk], DETAIL),
    Row("partner-history", lambda o: [o["partner"].pk], HISTORY),
    Row("agreement-list", lambda o: [], LISTS),
    Row("agreement-detail", lambda o: [o["agreement"].pk], DETAIL),
    Row("agreement-history", lambda o: [o["agreement"].pk], HISTORY),
    Row("assessment-list", lambda o: [], LISTS),
    Row("assessment-detail", lambda o: [o["draft"].pk], DETAIL),
    Row("assessment-history", lambda o: [o["draft"].pk], HISTORY),
    Row(
        "assessment-list", lambda o: [],
        # Starting an assessment names the agreement in the body: another team's is an unknown id (400).
        {**{k: (201 if v == 200 else v) for k, v in EDITORS.items()}, **dict.fromkeys(OUT_OF_SCOPE, 400)},
        method="post", body=lambda o: {"agreement": o["fresh_agreement"].pk},
        changed=lambda o: Assessment.objects.filter(agreement=o["fresh_agreement"]).exists(),
    ),
    Row(
        "assessment-detail", lambda o: [o["draft"].pk], EDITORS, method="patch",
        body=lambda o: {"ratings": [{"category": _first_code(o), "inherent_likelihood": 4}]},
        if_match=lambda o: o["draft"].version,
        changed=lambda o: Assessment.objects.get(pk=o["draft"].pk).version != o["draft"].version,
    ),
    Row(
        "assessment-submit", lambda o: [o["rated"].pk], EDITORS, method="post", body=lambda o: {},
        if_match=lambda o: o["rated"].version, changed=lambda o: _status(o, "rated") == AssessmentStatus.SUBMITTED,
    ),
    Row(
        "assessment-approve", lambda o: [o["submitted"].pk], REVIEWERS, method="post", body=lambda o: {},
        if_match=lambda o: o["submitted"].version,
        changed=lambda o: _status(o, "submitted") != AssessmentStatus.SUBMITTED,
    ),
    Row(
        "assessment-return", lambda o: [o["submitted"].pk], REVIEWERS, method="post",
        body=lambda o: {"comment": "Check the partner's record."}, if_match=lambda o: o["submitted"].version,
        changed=lambda o: _status(o, "submitted") != AssessmentStatus.SUBMITTED,
    ),
    # Scores and the heatmap: read only; lists count the caller's teams only (tests/api/test_scores.py).
    Row("score-agreement-list", lambda o: [], LISTS),
    Row("score-agreement-detail", lambda o: [o["scored"].agreement_id], DETAIL),
    Row("score-partner-list", lambda o: [], LISTS),
    Row("score-category-list", lambda o: [], LISTS),
    Row("score-portfolio", lambda o: [], LISTS),
    Row("heatmap", lambda o: [], LISTS),
    Row("schema", lambda o: [], PUBLIC),
    Row("docs", lambda o: [], PUBLIC),
]


@pytest.fixture
def objects(world):
    from assessments.aggregation import scores_full_recompute

    agreement = world.agreement()
    scored = world.approved()
    scores_full_recompute()
    return {
        "scored": scored,
        "agreement": agreement,
        "partner": agreement.partners.get(),
        "fresh_agreement": world.agreement(),
        "draft": world.draft(),
        "rated": world.draft(rated=True),
        "submitted": world.submitted(),
    }


def call(world, tokens, principal: str, row: Row, objects: dict):
    url = reverse(f"api-v1:{row.name}", args=row.args(objects))
    headers = {}
    if row.if_match is not None:
        headers["If-Match"] = f'"v{row.if_match(objects)}"'
    client = ApiClient(Client())
    if principal.startswith("session:"):
        client.client.force_login(getattr(world, principal.split(":")[1]))
    elif principal == "query_token":
        url += f"?token={tokens['read_all']}"
    elif principal != "anonymous":
        client.key = tokens[principal]
    if row.method == "get":
        return client.get(url, headers=headers)
    return getattr(client, row.method)(url, row.body(objects), headers=headers)


def _check(row: Row, principal: str, response, objects) -> list[str]:
    expected = row.expected[principal]
    problems = []
    if response.status_code != expected:
        problems.append(f"{principal}: {response.status_code} (expected {expected}) {response.content[:200]!r}")
    elif expected >= 400:
        body = response.json()
        if body["status"] != expected or not body["detail"]:
            problems.append(f"{principal}: error body {body}")
        if expected == 401 and not response["WWW-Authenticate"].startswith("Token"):
            problems.append(f"{principal}: 401 without WWW-Authenticate: Token")
    if row.changed is not None and row.changed(objects) is not (expected < 300):
        # Refused means refused: nothing was written. Allowed means it took effect.
        problems.append(f"{principal}: changed={row.changed(objects)} with {response.status_code}")
    return problems


@pytest.mark.parametrize("index", range(len(ROWS)), ids=[f"{row.method}-{row.name}" for row in ROWS])
def test_access(world, tokens, objects, index):
    """Each principal in turn, each inside a transaction rolled back after it: every write starts afresh."""
    row = ROWS[index]
    problems = []
    for principal in PRINCIPALS:
        with transaction.atomic():
            response = call(world, tokens, principal, row, objects)
            problems += _check(row, principal, response, objects)
            transaction.set_rollback(True)
        for obj in objects.values():
            obj.refresh_from_db()
    assert not problems, f"{row.method.upper()} {row.name}:\n" + "\n".join(problems)


def _names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and namespace.startswith("api-v1:"):
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_endpoint_is_in_the_matrix():
    """A new endpoint cannot ship without saying who may use it (the JSON 404 catch-all aside)."""
    names = {name.removeprefix("api-v1:") for name in _names(get_resolver())} - {"not-found"}
    assert names == {row.name for row in ROWS}, sorted(names ^ {row.name for row in ROWS})


def test_every_row_covers_every_principal():
    for row in ROWS:
        assert set(row.expected) == set(PRINCIPALS), (row.name, set(PRINCIPALS) ^ set(row.expected))
