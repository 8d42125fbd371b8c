"""Who may use which page: role x scope x action over every HTML view.

Every named URL of the project must have a row in MATRIX (a meta-test fails otherwise), giving
for each persona the status of a GET and, for pages that change something, of a POST:

- anonymous: a redirect to the login page (LOGIN), and nothing changes;
- a user of another team, or with no role: 404 (the object's existence is not revealed);
- a role that may see the object but not take the action: 403;
- a role that may: 200 (or 302 where the page redirects by design).

Objects belong to ``world.team``. ``analyst`` authored the submitted assessment, so ``manager``
(not an author) may review it; four eyes for authors is tested in test_views_review.py. The row
builders also find the persona's user as ``objects["user"]`` (``None`` when anonymous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils.http import urlencode

from assessments.choices import AssessmentStatus
from assessments.models import Assessment
from assessments.reviewed import reviewed_dumps

pytestmark = pytest.mark.django_db

LOGIN = "login"
PERSONAS = (
    "anonymous", "analyst", "manager", "auditor", "administrator", "other_analyst", "other_manager", "nobody",
)
# Namespaces outside this matrix, and why.
EXEMPT_NAMESPACES = {
    "admin": "Django's admin: staff only, with its own permission system and tests of its own",
    "api-v1": "the REST API: its own matrix over sessions and every kind of token, tests/api/test_access_matrix.py",
}


@dataclass
class Row:
    """One URL: how to build it from the fixtures, and the expected status per persona."""

    args: Callable[[dict], list]
    get: dict[str, int | str]
    # The query string of the GET, if the page needs one.
    query: Callable[[dict], dict] | None = None
    # For pages that change state: the POST data, and expected status per persona.
    post_data: Callable[[dict], dict] | None = None
    post: dict[str, int | str] = field(default_factory=dict)
    # Did the POST change anything? Checked for every persona whose POST is refused.
    changed: Callable[[dict], bool] | None = None


def everyone(status, **overrides):
    return {persona: status for persona in PERSONAS if persona != "anonymous"} | {"anonymous": LOGIN} | overrides


VIEWERS = {"analyst": 200, "manager": 200, "auditor": 200, "administrator": 200}
OUT_OF_SCOPE = {"other_analyst": 404, "other_manager": 404, "nobody": 404}
EDITORS = {"analyst": 200, "manager": 200, "administrator": 200, "auditor": 403}
# The audit trail: administrators and auditors only, whatever the team.
AUDIT_READERS = everyone(403, auditor=200, administrator=200)
REVIEWERS = {"manager": 200, "administrator": 200, "analyst": 403, "auditor": 403}


def _status(objects, name):
    objects[name].refresh_from_db()
    return objects[name].status


def _reviewed(objects) -> dict:
    """What the review page's decision links carry: the version of the submitted assessment read by the user."""
    submitted, user = objects["submitted"], objects["user"]
    token = reviewed_dumps(assessment_id=submitted.pk, user_id=user.pk if user else 0, version=submitted.version,
                           last_transition_id=0, states=[])
    return {"reviewed": token}


def _draft_form(objects) -> dict:
    draft = objects["draft"]
    category = draft.catalogue.categories.first()
    return {
        "version": draft.version,
        "snapshot": "",
        "intent": "save",
        f"c{category.pk}-inherent_likelihood": "3",
        f"c{category.pk}-confidence": "high",
        **{f"c{c.pk}-confidence": "medium" for c in draft.catalogue.categories.exclude(pk=category.pk)},
    }


MATRIX: dict[str, Row] = {
    "home": Row(args=lambda o: [], get=everyone(302)),
    "login": Row(args=lambda o: [], get=everyone(302, anonymous=200)),
    "logout": Row(
        args=lambda o: [],
        get=everyone(405),
        post_data=lambda o: {},
        post=everyone(302),
    ),
    # Health checks answer anyone (load balancers do not sign in); they hold no data.
    "healthz": Row(args=lambda o: [], get=everyone(200, anonymous=200)),
    "readyz": Row(args=lambda o: [], get=everyone(200, anonymous=200)),
    # Account pages: every signed-in user, for their own account only (tests/security/).
    "security:password-change": Row(args=lambda o: [], get=everyone(200)),
    "security:two-factor": Row(args=lambda o: [], get=everyone(200)),
    # Without a device there is no code to give: on to the set-up page.
    "security:two-factor-verify": Row(args=lambda o: [], get=everyone(302)),
    "assessments:agreement-list": Row(args=lambda o: [], get=everyone(200)),
    # Every signed-in user may search; each finds only partners of agreements they may see.
    "assessments:partner-search": Row(args=lambda o: [], get=everyone(200)),
    "assessments:agreement-detail": Row(
        args=lambda o: [o["agreement"].pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "assessments:assessment-start": Row(
        args=lambda o: [o["fresh_agreement"].pk],
        get={"anonymous": LOGIN, **EDITORS, **OUT_OF_SCOPE},
        post_data=lambda o: {"as_of": "2025-01-31"},
        post={"anonymous": LOGIN, **dict.fromkeys(EDITORS, 302), "auditor": 403, **OUT_OF_SCOPE},
        changed=lambda o: Assessment.objects.filter(agreement=o["fresh_agreement"]).exists(),
    ),
    "assessments:assessment-detail": Row(
        args=lambda o: [o["draft"].pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "assessments:assessment-edit": Row(
        args=lambda o: [o["draft"].pk],
        get={"anonymous": LOGIN, **EDITORS, **OUT_OF_SCOPE},
        post_data=_draft_form,
        post={"anonymous": LOGIN, **dict.fromkeys(EDITORS, 302), "auditor": 403, **OUT_OF_SCOPE},
        changed=lambda o: Assessment.objects.get(pk=o["draft"].pk).version != o["draft"].version,
    ),
    "assessments:assessment-review": Row(
        args=lambda o: [o["submitted"].pk], get={"anonymous": LOGIN, **REVIEWERS, **OUT_OF_SCOPE}
    ),
    "assessments:assessment-approve": Row(
        args=lambda o: [o["submitted"].pk],
        get={"anonymous": LOGIN, **REVIEWERS, **OUT_OF_SCOPE},
        query=_reviewed,
        post_data=lambda o: {**_reviewed(o), "comment": ""},
        post={"anonymous": LOGIN, **dict.fromkeys(REVIEWERS, 302), "analyst": 403, "auditor": 403, **OUT_OF_SCOPE},
        changed=lambda o: _status(o, "submitted") != AssessmentStatus.SUBMITTED,
    ),
    "assessments:assessment-return": Row(
        args=lambda o: [o["submitted"].pk],
        get={"anonymous": LOGIN, **REVIEWERS, **OUT_OF_SCOPE},
        query=_reviewed,
        post_data=lambda o: {**_reviewed(o), "comment": "Check the partner's record."},
        post={"anonymous": LOGIN, **dict.fromkeys(REVIEWERS, 302), "analyst": 403, "auditor": 403, **OUT_OF_SCOPE},
        changed=lambda o: _status(o, "submitted") != AssessmentStatus.SUBMITTED,
    ),
    # Scores: agreement and partner pages are scoped like the agreement; portfolio-wide pages need a role.
    "scores:agreement": Row(args=lambda o: [o["agreement"].pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}),
    "scores:partner": Row(
        args=lambda o: [o["agreement"].partners.get().pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "scores:portfolio": Row(args=lambda o: [], get=everyone(200, nobody=404)),
    "scores:category": Row(
        args=lambda o: [o["draft"].catalogue.categories.first().code], get=everyone(200, nobody=404)
    ),
    # Dashboards count what each user may see, so every role may open them (no role: an empty page).
    # Analysts' home is for those who assess; the auditor is sent to the dashboard instead (403).
    "dashboards:dashboard": Row(args=lambda o: [], get=everyone(200)),
    "dashboards:analyst-home": Row(args=lambda o: [], get=everyone(200, auditor=403)),
    "dashboards:matrix-cell": Row(args=lambda o: ["residual", 2, 3], get=everyone(200)),
    "dashboards:export": Row(args=lambda o: ["heatmap"], get=everyone(200)),
    # A partner is seen through an agreement of one's teams; its cell likewise.
    "dashboards:heatmap-cell": Row(
        args=lambda o: [o["agreement"].partners.get().pk, o["draft"].catalogue.categories.first().code],
        get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE},
    ),
    "dashboards:partner-detail": Row(
        args=lambda o: [o["agreement"].partners.get().pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "dashboards:partner-export": Row(
        args=lambda o: [o["agreement"].partners.get().pk], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "dashboards:agreement-export": Row(
        args=lambda o: [o["agreement"].pk, "history"], get={"anonymous": LOGIN, **VIEWERS, **OUT_OF_SCOPE}
    ),
    "audit:global": Row(args=lambda o: [], get=AUDIT_READERS),
    "audit:object": Row(args=lambda o: ["assessments.agreement", o["agreement"].pk], get=AUDIT_READERS),
}


@pytest.fixture
def objects(world):
    return {
        "agreement": world.agreement(),
        "fresh_agreement": world.agreement(),
        "draft": world.draft(),
        "submitted": world.submitted(),
    }


def _client_for(client, world, persona, objects):
    objects["user"] = None if persona == "anonymous" else getattr(world, persona)
    if objects["user"] is not None:
        client.force_login(objects["user"])
    return client


def _check(response, expected, url):
    if expected == LOGIN:
        assert response.status_code == 302, (url, response.status_code)
        assert response.url.startswith(reverse("login") + "?next="), response.url
    else:
        assert response.status_code == expected, (url, response.status_code, expected)


GET_CASES = [(name, persona) for name, row in MATRIX.items() for persona in PERSONAS]
POST_CASES = [(name, persona) for name, row in MATRIX.items() if row.post_data for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), GET_CASES)
def test_get(client, world, objects, name, persona):
    row = MATRIX[name]
    client = _client_for(client, world, persona, objects)
    url = reverse(name, args=row.args(objects))
    if row.query:
        url += "?" + urlencode(row.query(objects))
    _check(client.get(url), row.get[persona], url)


@pytest.mark.parametrize(("name", "persona"), POST_CASES)
def test_post(client, world, objects, name, persona):
    row = MATRIX[name]
    client = _client_for(client, world, persona, objects)
    url = reverse(name, args=row.args(objects))
    expected = row.post[persona]
    _check(client.post(url, row.post_data(objects)), expected, url)
    if row.changed is not None:
        # Refused means refused: nothing was written. Allowed means it took effect.
        assert row.changed(objects) is (expected == 302), (name, persona)


def _named_urls(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def uncovered(urlconf=None) -> list[str]:
    names = _named_urls(get_resolver(urlconf))
    return sorted(n for n in set(names) - set(MATRIX) if ":" not in n or n.split(":")[0] not in EXEMPT_NAMESPACES)


def test_every_url_is_in_the_matrix():
    """A new page cannot ship without saying who may use it."""
    missing = uncovered()
    assert not missing, f"URLs without a row in the access matrix: {missing}"


def test_the_meta_test_catches_a_page_missing_from_the_matrix():
    assert uncovered(__name__) == ["<unnamed unlisted/>", "extra:agreement-export"]


def _page(request):  # pragma: no cover - never requested
    raise AssertionError


# A URLconf with two pages the matrix does not know, for the test above.
urlpatterns = [
    *get_resolver("riskboard.urls").url_patterns,
    path("export/", include(([path("", _page, name="agreement-export")], "extra"))),
    path("unlisted/", _page),
]


def test_every_matrix_row_is_a_url_and_covers_every_persona():
    names = set(_named_urls(get_resolver()))
    assert set(MATRIX) <= names, sorted(set(MATRIX) - names)
    for name, row in MATRIX.items():
        assert set(row.get) == set(PERSONAS), name
        if row.post_data:
            assert set(row.post) == set(PERSONAS), name
