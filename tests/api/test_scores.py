"""Score and heatmap endpoints: the numbers the pages show the same caller, and nothing of another team.

Two teams share a partner (``two_teams``): ``world.team``'s agreement scores 12.00 everywhere, the
other team's 1.00 (shared partner) and 25.00 (a partner only it works with).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import aggregation
from assessments.aggregation.dirty import agreements_mark_dirty
from assessments.models import DirtyAgreement, ScoreSnapshot

pytestmark = pytest.mark.django_db


def rows(client, url, **params) -> list[dict]:
    """Every row of a list, following ``next``."""
    out, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        out += body["results"]
        if body["next"] is None:
            return out
        response = client.get(body["next"])


def by_partner(client, **params) -> dict[int, dict]:
    return {row["partner"]["id"]: row for row in rows(client, "/api/v1/scores/partners/", **params)}


def by_category(client, **params) -> dict[str, dict]:
    return {row["category"]["code"]: row for row in rows(client, "/api/v1/scores/categories/", **params)}


def shown(tally, scale) -> dict:
    """How a page shows a tally, in the API's words."""
    band, worst = scale.band_of_mean(tally), scale.band(tally.worst_rank)
    return {
        "counted": tally.n,
        "score": f"{tally.score:.2f}" if tally.n else None,
        "score_low": f"{tally.score_low:.2f}" if tally.n else None,
        "score_high": f"{tally.score_high:.2f}" if tally.n else None,
        "band": band.code if band else None,
        "worst_band": worst.code if worst else None,
        "band_counts": {scale.bands[rank].code: n for rank, n in enumerate(tally.band_counts, 1) if n},
    }


def api_part(row: dict) -> dict:
    return {name: row[name] for name in ("counted", "score", "score_low", "score_high", "band", "worst_band",
                                         "band_counts")}


def page_context(client, user, url, data=None):
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == 200, url
    return response.context


# --- Every number as the pages show it to the same user, and nothing of another team --------------


def test_partner_and_portfolio_scores_are_the_dashboards_for_a_team_user(api, client, world, tokens, two_teams):
    t = two_teams
    dashboard = page_context(client, world.manager, reverse("dashboards:dashboard"))
    scale = dashboard["rules"].scale
    partners = by_partner(api.with_key(tokens["read_manager"]))

    assert set(partners) == {row.partner_id for row in dashboard["heatmap"].rows} == {t.shared.pk, t.own_only.pk}
    for row in dashboard["heatmap"].rows:
        assert api_part(partners[row.partner_id]) == shown(row.tally, scale)
        assert partners[row.partner_id]["partner"]["name"] == row.name
    # The shared partner counts this team's agreement alone: 12.00, not the mean with theirs (6.50).
    assert api_part(partners[t.shared.pk])["counted"] == 1 and partners[t.shared.pk]["score"] == "12.00"

    portfolio = api.with_key(tokens["read_manager"]).get("/api/v1/scores/portfolio/").json()
    assert api_part(portfolio) == shown(dashboard["portfolio"], scale)
    assert portfolio["counted"] == 1 and portfolio["score"] == "12.00" and portfolio["band_counts"] == {
        scale.bands[t.mine.agreement.score.band_rank].code: 1}


def test_scores_match_the_score_pages_for_the_same_user(api, client, world, tokens, two_teams):
    t = two_teams
    client.force_login(world.manager)
    partner_page = client.get(reverse("scores:partner", args=[t.shared.pk])).context["explanation"]
    portfolio_page = client.get(reverse("scores:portfolio")).context["explanation"]
    partners = by_partner(api.with_key(tokens["read_manager"]))
    categories = by_category(api.with_key(tokens["read_manager"]))
    portfolio = api.with_key(tokens["read_manager"]).get("/api/v1/scores/portfolio/").json()

    assert partners[t.shared.pk]["fingerprint"] == partner_page.tally.fingerprint
    assert partners[t.shared.pk]["computed_at"] == partner_page.freshness.computed_at.isoformat().replace(
        "+00:00", "Z")
    assert portfolio["fingerprint"] == portfolio_page.tally.fingerprint
    assert portfolio["pending"] is portfolio_page.freshness.pending is False
    assert set(categories) == {row.category_code for row, _ in portfolio_page.breakdown}
    for code, row in categories.items():
        page = client.get(reverse("scores:category", args=[code])).context["explanation"]
        assert row["counted"] == page.tally.n == 1  # our one rating: not theirs
        assert (row["score"], row["fingerprint"]) == (f"{page.tally.score:.2f}", page.tally.fingerprint)


@pytest.mark.parametrize(("token", "shared", "own_only", "other_only", "portfolio"), [
    ("read_manager", ("12.00", 1), ("12.00", 1), None, 1),
    ("read_team", ("12.00", 1), ("12.00", 1), None, 1),
    ("read_other_team", ("1.00", 1), None, ("25.00", 1), 2),
    ("write_other_manager", ("1.00", 1), None, ("25.00", 1), 2),
    ("read_all", ("6.50", 2), ("12.00", 1), ("25.00", 1), 3),
    ("read_auditor", ("6.50", 2), ("12.00", 1), ("25.00", 1), 3),
])
def test_each_caller_counts_the_agreements_of_its_teams_only(api, world, tokens, two_teams, token, shared,
                                                             own_only, other_only, portfolio):
    t = two_teams
    client = api.with_key(tokens[token])
    partners = by_partner(client)
    expected = {t.shared.pk: shared, t.own_only.pk: own_only, t.other_only.pk: other_only}
    assert {pk: (row["score"], row["counted"]) for pk, row in partners.items()} == {
        pk: value for pk, value in expected.items() if value is not None}
    assert client.get("/api/v1/scores/portfolio/").json()["counted"] == portfolio
    assert {c["counted"] for c in by_category(client).values()} == {portfolio}  # one rating per agreement
    theirs = {t.theirs.agreement_id, t.theirs_only.agreement_id}
    listed = {row["agreement"]["id"] for row in rows(client, "/api/v1/scores/agreements/")}
    assert listed == ({t.mine.agreement_id} if own_only else set()) | (theirs if other_only else set())


def test_an_agreement_score_is_what_its_pages_show(api, client, world, tokens, two_teams):
    t = two_teams
    agreement = t.mine.agreement
    row = api.with_key(tokens["read_manager"]).get(f"/api/v1/scores/agreements/{agreement.pk}/").json()
    client.force_login(world.manager)
    page = client.get(reverse("scores:agreement", args=[agreement.pk])).context["explanation"]
    assert (row["score"], row["score_low"], row["score_high"]) == (
        f"{page.result.score:.2f}", f"{page.result.score_low:.2f}", f"{page.result.score_high:.2f}")
    assert (row["band"], row["worst_band"], row["fingerprint"]) == (
        page.band.code, page.worst_band.code, page.score.fingerprint)
    assert row["counted"] is True and row["pending"] is False and row["team"]["slug"] == world.team.slug
    assert row["assessment"] == t.mine.pk
    theirs = api.with_key(tokens["read_manager"]).get(f"/api/v1/scores/agreements/{t.theirs.agreement_id}/")
    unscored = api.with_key(tokens["read_manager"]).get(f"/api/v1/scores/agreements/{world.agreement().pk}/")
    assert theirs.status_code == unscored.status_code == 404
    assert "no stored score" in unscored.json()["detail"] and "no stored score" not in theirs.json()["detail"]


def test_the_heatmap_is_the_dashboards_with_the_same_filters(api, client, world, tokens, two_teams):
    t = two_teams
    for params in ({}, {"status": "any"}, {"team": world.team.pk}, {"region": t.shared.region, "status": "any"}):
        dashboard = page_context(client, world.manager, reverse("dashboards:dashboard"), params)
        heatmap, scale = dashboard["heatmap"], dashboard["rules"].scale
        body = api.with_key(tokens["read_manager"]).get("/api/v1/heatmap/", params).json()
        assert [c["code"] for c in body["categories"]] == [code for code, _ in heatmap.categories]
        assert [r["partner"]["id"] for r in body["rows"]] == [r.partner_id for r in heatmap.rows], params
        for api_row, row in zip(body["rows"], heatmap.rows, strict=True):
            assert api_part(api_row) == shown(row.tally, scale)
            assert api_row["last_assessed"] == str(row.last_assessed)
            cells = {c["category"]: c for c in api_row["cells"]}
            assert set(cells) == {code for code, _ in heatmap.categories if heatmap.cell(row.partner_id, code)}
            for code, cell in cells.items():
                assert api_part(cell) == shown(heatmap.cell(row.partner_id, code).tally, scale)
        assert t.other_only.pk not in [r["partner"]["id"] for r in body["rows"]]
        assert all(c["counted"] == 1 for r in body["rows"] for c in r["cells"])  # our agreement only


def test_the_heatmap_csv_is_the_dashboards(api, client, world, tokens, two_teams):
    client.force_login(world.manager)
    page = client.get(reverse("dashboards:export", args=["heatmap"]), {"status": "any"}).content.decode()
    response = api.with_key(tokens["read_manager"]).get("/api/v1/heatmap/", {"format": "csv", "status": "any"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    expected = [row for row in csv.reader(io.StringIO(page)) if row and row[0] != "Filters"]  # the page adds filters
    assert list(csv.reader(io.StringIO(body))) == expected
    assert "Other Only Bureau" not in body


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "nonsense"}, "status"), ({"region": "atlantis"}, "region"), ({"page": 0}, "page"),
    ({"page": 9}, "page"), ({"page_size": 201}, "page_size"), ({"team": "<other>"}, "team"),
])
def test_heatmap_filters_the_dashboard_would_drop_are_400s(api, world, tokens, two_teams, params, field):
    if params.get("team") == "<other>":
        params = {"team": world.other_team.pk}
    response = api.with_key(tokens["read_manager"]).get("/api/v1/heatmap/", params)
    assert response.status_code == 400 and field in response.json()["fields"], response.content


@pytest.mark.parametrize("endpoint", ["partners", "categories", "portfolio"])
def test_a_team_parameter_narrows_to_one_of_the_callers_teams(api, world, tokens, two_teams, endpoint):
    client = api.with_key(tokens["read_all"])
    url = f"/api/v1/scores/{endpoint}/"
    mine = client.get(url, {"team": world.team.pk}).json()
    theirs = api.with_key(tokens["read_team"]).get(url).json()
    assert mine.get("results", mine) == theirs.get("results", theirs)
    refused = api.with_key(tokens["read_team"]).get(url, {"team": world.other_team.pk})
    unknown = client.get(url, {"team": 999999})
    assert refused.status_code == unknown.status_code == 400 and "team" in refused.json()["fields"]


# --- as_of: as things stood that day, from the snapshots -------------------------------------------


@pytest.fixture
def history(world, two_teams):
    """The snapshots of ``two_teams`` recorded ten days ago; since then ``world.team`` approved a
    second agreement with the shared partner (residual 1 x 1), and today's snapshot has it."""
    today = timezone.localdate()
    ScoreSnapshot.objects.update(day=today - dt.timedelta(days=10))
    world.approved(world.agreement(partners=[two_teams.shared]), inherent=(1, 1), residual=(1, 1))
    aggregation.scores_full_recompute()
    return today


def test_as_of_answers_as_things_stood_that_day_for_the_callers_teams(api, world, tokens, two_teams, history):
    t, today = two_teams, history
    client = api.with_key(tokens["read_manager"])
    past = {"as_of": (today - dt.timedelta(days=5)).isoformat()}
    then, now = by_partner(client, **past), by_partner(client)
    assert (then[t.shared.pk]["counted"], then[t.shared.pk]["score"]) == (1, "12.00")
    assert (now[t.shared.pk]["counted"], now[t.shared.pk]["score"]) == (2, "6.50")
    assert then[t.shared.pk]["as_of"] == past["as_of"] and then[t.shared.pk]["pending"] is False
    assert t.other_only.pk not in then  # their snapshots are not summed
    assert client.get("/api/v1/scores/portfolio/", past).json()["counted"] == 1
    assert client.get("/api/v1/scores/portfolio/").json()["counted"] == 2
    assert {c["counted"] for c in by_category(client, **past).values()} == {1}
    assert client.get("/api/v1/scores/portfolio/", {"as_of": today.isoformat()}).json()["counted"] == 2  # today: live
    theirs = by_partner(api.with_key(tokens["read_other_team"]), **past)
    assert (theirs[t.shared.pk]["counted"], theirs[t.shared.pk]["score"]) == (1, "1.00")


@pytest.mark.parametrize("endpoint", ["partners", "categories", "portfolio"])
@pytest.mark.parametrize(("as_of", "says"), [
    ("<before>", "No scores were recorded before"), ("<tomorrow>", "today or an earlier day"),
    ("2026-02-30", "Date has wrong format"), ("yesterday", "Date has wrong format"),
])
def test_a_bad_or_out_of_range_as_of_is_a_400_naming_it(api, world, tokens, history, endpoint, as_of, says):
    today = history
    as_of = {"<before>": (today - dt.timedelta(days=11)).isoformat(),
             "<tomorrow>": (today + dt.timedelta(days=1)).isoformat()}.get(as_of, as_of)
    response = api.with_key(tokens["read_manager"]).get(f"/api/v1/scores/{endpoint}/", {"as_of": as_of})
    assert response.status_code == 400
    [message] = response.json()["fields"]["as_of"]
    assert message.startswith(says) or says in message, message
    if as_of == (today - dt.timedelta(days=11)).isoformat():
        assert (today - dt.timedelta(days=10)).isoformat() in message  # the first day recorded


def test_agreement_scores_refuse_as_of_and_say_where_history_is(api, world, tokens, two_teams):
    response = api.with_key(tokens["read_all"]).get("/api/v1/scores/agreements/", {"as_of": "2026-01-01"})
    assert response.status_code == 400 and "/assessments/" in response.json()["fields"]["as_of"][0]


# --- Freshness, sync, paging, conditional GET, CSV ---------------------------------------------------


def test_a_pending_recompute_is_said_where_it_applies(api, world, tokens, two_teams):
    t = two_teams
    agreements_mark_dirty(agreement_ids=[t.theirs.agreement_id], reason="test")
    assert DirtyAgreement.objects.exists()
    mine, theirs = api.with_key(tokens["read_manager"]), api.with_key(tokens["read_other_team"])
    assert not any(row["pending"] for row in by_partner(mine).values())  # not ours
    assert mine.get("/api/v1/scores/portfolio/").json()["pending"] is False
    assert {pk: row["pending"] for pk, row in by_partner(theirs).items()} == {t.shared.pk: True,
                                                                             t.other_only.pk: False}
    assert theirs.get("/api/v1/scores/portfolio/").json()["pending"] is True
    assert all(row["pending"] for row in by_category(theirs).values())
    listed = {r["agreement"]["id"]: r["pending"] for r in rows(theirs, "/api/v1/scores/agreements/")}
    assert listed == {t.theirs.agreement_id: True, t.theirs_only.agreement_id: False}


def test_paging_by_cursor_returns_every_score_once_and_resume_brings_recomputed_ones(api, world, tokens):
    for _ in range(5):
        world.approved()
    aggregation.scores_full_recompute()
    client = api.with_key(tokens["read_all"])
    for endpoint, key in (("agreements", lambda r: r["agreement"]["id"]), ("partners", lambda r: r["partner"]["id"]),
                          ("categories", lambda r: r["category"]["code"])):
        url = f"/api/v1/scores/{endpoint}/"
        everything = [key(r) for r in client.get(url, {"page_size": 200}).json()["results"]]
        paged, response = [], client.get(url, {"page_size": 2})
        while True:
            body = response.json()
            paged += [key(r) for r in body["results"]]
            if body["next"] is None:
                break
            response = client.get(body["next"])
        assert sorted(paged, key=str) == sorted(everything, key=str) and len(paged) == len(set(paged)) >= 3
        assert client.get(body["resume"]).json()["results"] == []  # nothing recomputed since
    # One more approval, recomputed: its agreement and partner come with the next sync, nothing else.
    resumes = {e: rows_and_resume(client, f"/api/v1/scores/{e}/") for e in ("agreements", "partners")}
    later = world.approved()
    aggregation.scores_full_recompute()
    assert [r["agreement"]["id"] for r in client.get(resumes["agreements"]).json()["results"]] == [later.agreement_id]
    assert [r["partner"]["id"] for r in client.get(resumes["partners"]).json()["results"]] == [
        later.agreement.partners.get().pk]


def rows_and_resume(client, url) -> str:
    return client.get(url, {"page_size": 200}).json()["resume"]


def test_updated_since_selects_by_computed_at(api, world, tokens, two_teams):
    client = api.with_key(tokens["read_all"])
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    for endpoint in ("agreements", "partners", "categories"):
        url = f"/api/v1/scores/{endpoint}/"
        assert rows(client, url, updated_since=future) == []
        assert rows(client, url, updated_since=past) == rows(client, url)
        response = client.get(url, {"updated_since": "last week"})
        assert response.status_code == 400 and "updated_since" in response.json()["fields"]


@pytest.mark.parametrize("url", ["/api/v1/scores/agreements/", "/api/v1/scores/partners/",
                                 "/api/v1/scores/categories/", "/api/v1/scores/portfolio/", "/api/v1/heatmap/"])
def test_conditional_get_answers_304_until_a_number_changes(api, world, tokens, two_teams, url):
    client = api.with_key(tokens["read_manager"])
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    world.approved(world.agreement(partners=[two_teams.shared]), inherent=(1, 1), residual=(1, 1))
    aggregation.scores_full_recompute()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_score_lists_stream_csv_with_the_same_filters(api, world, tokens, two_teams):
    client = api.with_key(tokens["read_manager"])
    response = client.get("/api/v1/scores/partners/", {"format": "csv", "page_size": 1})
    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(int(r["partner_id"]), r["score"], r["counted"]) for r in lines] == [
        (row["partner"]["id"], row["score"], str(row["counted"])) for row in rows(client, "/api/v1/scores/partners/")]
    response = client.get("/api/v1/scores/agreements/", {"format": "csv", "band": "LOW"})
    assert b"".join(response.streaming_content).decode().count("\n") == 1  # the header: no LOW agreement


def test_scores_are_read_only(api, world, tokens):
    client = api.with_key(tokens["write_administrator"])
    for url in ("/api/v1/scores/agreements/", "/api/v1/scores/partners/", "/api/v1/scores/portfolio/",
                "/api/v1/heatmap/"):
        response = client.post(url, {})
        assert response.status_code == 405 and response.json()["code"] == "method_not_allowed", url


# --- Cost: constant in the page size; the heatmap is throttled as heavy -----------------------------


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("url", "ceiling"), [
    # The token, its user's grants, then: the page; + partner names and pending marks; + pending marks;
    # the heatmap's partners and its cells.
    ("/api/v1/scores/agreements/", 3), ("/api/v1/scores/partners/", 5), ("/api/v1/scores/categories/", 4),
    ("/api/v1/heatmap/", 5),
])
def test_a_score_list_costs_the_same_queries_whatever_its_page_size(api, world, tokens, url, ceiling):
    for _ in range(12):
        world.approved()
    aggregation.scores_full_recompute()
    client = api.with_key(tokens["read_manager"])  # a user's token: the grants query counts too
    client.get(url)  # the token's first use is recorded, and catalogue rules and bands cached
    small = _queries(client, url, page_size=2)
    large = _queries(client, url, page_size=20)
    assert small == large <= ceiling, (small, large)


def test_the_heatmap_has_the_heavy_rate(api, world, tokens, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api": "100/min", "api_heavy": "1/min"}}
    client = api.with_key(tokens["read_all"])
    assert client.get("/api/v1/heatmap/").status_code == 200
    refused = client.get("/api/v1/heatmap/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get("/api/v1/scores/partners/").status_code == 200
