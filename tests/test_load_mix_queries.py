"""Every page and endpoint of ``make bench-load``'s mix runs the same number of queries on a small
portfolio and on one grown around it (issue 12): no statement per row, per partner or per
assessment of history. The dashboard and its drill-downs are pinned in tests/dashboards/test_views.py
the same way; these are the rest of the mix, as analysts, managers and API clients use them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.assessments.test_views_assessment_form import browser_form, levels
from tests.dashboards.test_views import grow

pytestmark = pytest.mark.django_db

API_LISTS = ("assessments", "agreements", "partners")


def _count(client: Client, method: str, url: str, data=None, headers=None, status=200) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, headers=headers or {})
    assert response.status_code == status, (url, response.status_code)
    return len(queries.captured_queries)


def _mix(world, draft, submitted, token_key: str, *, save_level: int) -> dict[str, int]:
    """Queries of each request of the mix, each warmed once first (catalogue reads are cached after
    the first request, as they are in a running server)."""
    analyst, manager, api = Client(), Client(), Client()
    analyst.force_login(world.analyst)
    manager.force_login(world.manager)
    edit = reverse("assessments:assessment-edit", args=[draft.pk])
    gets = {
        "analyst: form": (analyst, edit),
        "analyst: agreements": (analyst, reverse("assessments:agreement-list")),
        "manager: agreements": (manager, reverse("assessments:agreement-list")),
        "manager: agreement": (manager, reverse("assessments:agreement-detail", args=[submitted.agreement_id])),
        "manager: review": (manager, reverse("assessments:assessment-review", args=[submitted.pk])),
        **{f"manager: api {name}": (manager, f"/api/v1/{name}/?page_size=100") for name in API_LISTS},
    }
    out = {}
    for name, (client, url) in gets.items():
        client.get(url)
        out[name] = _count(client, "get", url)
    token = {"Authorization": f"Token {token_key}"}
    for name in API_LISTS:
        api.get(f"/api/v1/{name}/", headers=token)
        out[f"token: api {name}"] = _count(api, "get", f"/api/v1/{name}/?page_size=100", headers=token)
    # Saving the form as a browser sends it, every category's levels changed.
    data = browser_form(analyst.get(edit))
    for category in draft.catalogue.categories.all():
        data.update(levels(category, il=save_level, ii=save_level, rl=save_level, ri=save_level))
    out["analyst: save"] = _count(analyst, "post", edit, data, status=302)
    return out


def test_the_load_mix_costs_the_same_queries_at_two_portfolio_sizes(world, settings):
    from api.services import api_token_create

    # The API's sync feed holds back rows of the last few seconds (api/pagination.py); the rows
    # made here are that fresh, and a list with rows costs more queries than an empty one, so the
    # two sizes would compare a full list with an empty one or not, as the clock fell.
    settings.RISKBOARD_API_SYNC_SETTLE_SECONDS = 0
    grow(world, 2)
    draft, submitted = world.draft(rated=True), world.submitted()
    _, key = api_token_create(client="Load mix", scope="read", user=None, team=None, expires_at=None)
    small = _mix(world, draft, submitted, key, save_level=2)
    grow(world, 20)  # ten times the agreements, partners, assessments and ratings
    large = _mix(world, draft, submitted, key, save_level=3)
    assert large == small, (small, large)
    assert 0 not in small.values()
