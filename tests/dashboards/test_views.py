"""The dashboard pages as their users meet them: scoped numbers, drill-downs, CSV, empty states."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import aggregation, services
from assessments.choices import AgreementStatus, Region
from assessments.models import Assessment, PortfolioScore, ScoreLevel, ScoreSnapshot
from riskboard.dashboards import selectors
from riskboard.dashboards.filtersets import dashboard_filters
from riskboard.dashboards.services import dashboard_summaries_refresh
from tests.factories import PartnerFactory

from .conftest import SECRET, figure

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboards:dashboard")
CHARTS = ("heatmap", "partners", "matrix", "bands", "top-agreements", "trends", "movers", "reviews", "approvals")


def get(client, user, url, data=None):
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return response


def text(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text(response))))


# --- Scoping: nothing of another team, in any form -----------------------------------------------


def test_a_manager_sees_no_partner_score_or_rationale_of_the_other_teams(client, world, two_teams):
    t = two_teams
    html = text(get(client, world.manager, DASHBOARD))
    heatmap = figure(html, "heatmap")["data"][0]

    assert heatmap["y"] == ["Own Signals Agency", "Shared Maritime Office"]  # both 12.00: by name
    shared_row = heatmap["y"].index("Shared Maritime Office")
    # The shared partner's score is this team's agreement alone: 12.00, not the mean with theirs (6.50).
    assert heatmap["text"][shared_row][0] == "12.00"
    assert set(heatmap["text"][shared_row][1:]) == {"12.00"}
    assert all(cell[4] == 1 for cell in heatmap["customdata"][shared_row])  # one agreement in each hover
    for leaked in ("Other Only Bureau", t.theirs.agreement.reference, t.theirs_only.agreement.reference,
                   "Their covert programme", SECRET):
        assert leaked not in html, leaked
    matrix = figure(html, "matrix")["data"]
    assert sum(int(n.replace(",", "")) for row in matrix[1]["text"] for n in row) == 3  # our 3 ratings only
    assert '<span class="kpi__value" data-kpi="agreements">1</span>' in html


def test_drill_downs_and_partner_pages_show_only_the_viewers_agreements(client, world, two_teams):
    t = two_teams
    code = world.catalogue.categories.first().code
    client.force_login(world.manager)
    pages = [
        reverse("dashboards:heatmap-cell", args=[t.shared.pk, code]),
        reverse("dashboards:partner-detail", args=[t.shared.pk]),
        reverse("dashboards:partner-export", args=[t.shared.pk]),
        reverse("dashboards:matrix-cell", args=["residual", 1, 1]),  # where their ratings sit
        reverse("dashboards:matrix-cell", args=["residual", 4, 3]),
    ]
    for url in pages:
        html = text(get(client, world.manager, url))
        for leaked in (t.theirs.agreement.reference, "Their covert programme", SECRET, "Other Only Bureau"):
            assert leaked not in html, (url, leaked)
    cell = text(get(client, world.manager, pages[0]))
    assert t.mine.agreement.reference in cell and "Rationale for" in cell
    assert '<dd data-agreements>1</dd>' in cell
    assert "No ratings in this cell" in text(get(client, world.manager, pages[3]))
    partner = text(get(client, world.manager, pages[1]))
    assert "<strong data-value>12.00</strong>" in partner
    for hidden in (reverse("dashboards:partner-detail", args=[t.other_only.pk]),
                   reverse("dashboards:heatmap-cell", args=[t.other_only.pk, code])):
        assert client.get(hidden).status_code == 404


@pytest.mark.parametrize("chart", CHARTS)
def test_every_csv_is_scoped_like_the_page(client, world, two_teams, chart):
    t = two_teams
    response = get(client, world.manager, reverse("dashboards:export", args=[chart]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="riskboard-{chart}-')
    body = text(response)
    for leaked in ("Other Only Bureau", t.theirs.agreement.reference, "Their covert programme", SECRET):
        assert leaked not in body, leaked
    auditor = text(get(client, world.auditor, reverse("dashboards:export", args=[chart])))
    if chart in ("heatmap", "partners"):
        assert "Other Only Bureau" in auditor  # the auditor sees every team


def test_csv_rows_match_the_chart_and_say_what_they_were_filtered_by(client, world, two_teams):
    rows = csv_rows(get(client, world.manager, reverse("dashboards:export", args=["heatmap"]),
                        {"region": Region.EUROPE}))
    assert rows[0] == ["Partner", "Category", "Score", "Likely low", "Likely high", "Band", "Agreements",
                       "Last assessed"]
    body = [row for row in rows[1:] if row and row[0] != "Filters"]
    assert {row[0] for row in body} == {"Shared Maritime Office", "Own Signals Agency"}
    assert {row[2] for row in body} == {"12.00"} and {row[5] for row in body} == {"High"}
    assert rows[-1] == ["Filters", "Partner region: Europe"]


def test_a_csv_cell_never_starts_a_formula(client, world):
    world.approved(world.agreement(partners=[PartnerFactory(name="=HYPERLINK(1)")]))
    aggregation.scores_full_recompute()
    rows = csv_rows(get(client, world.manager, reverse("dashboards:export", args=["partners"])))
    assert rows[1][0] == "'=HYPERLINK(1)"


# --- The dashboard -----------------------------------------------------------------------------------


def test_drill_down_links_keep_the_filters(client, world, two_teams):
    html = text(get(client, world.manager, DASHBOARD, {"region": Region.EUROPE, "period": "91"}))
    heatmap = figure(html, "heatmap")["data"][0]
    url = heatmap["customdata"][0][1][0]
    assert url.startswith("/dashboard/heatmap/") and url.endswith("?region=europe&period=91")
    matrix = figure(html, "matrix")["data"][1]
    assert matrix["customdata"][2][3][0] == reverse("dashboards:matrix-cell", args=["residual", 3, 4]) + (
        "?region=europe&period=91")
    assert 'href="/dashboard/export/heatmap.csv?region=europe&amp;period=91"' in html
    assert "Trends, last 3 months" in html


def test_a_filter_without_matches_says_so_and_offers_to_clear_it(client, world, two_teams):
    html = text(get(client, world.manager, DASHBOARD, {"kind": "liaison"}))
    assert "No scored agreement matches these filters" in html
    assert figure(html, "heatmap") is None


def test_an_unusable_filter_is_reported_and_the_rest_applies(client, world, two_teams):
    html = text(get(client, world.manager, DASHBOARD, {"team": world.other_team.pk, "status": "bogus"}))
    assert "Some filters were not applied" in html
    assert "Other Only Bureau" not in html
    assert figure(html, "heatmap")["data"][0]["y"]  # the manager's own portfolio, with the defaults


def test_a_new_installation_says_what_to_do_instead_of_drawing_empty_axes(client, world):
    world.agreement()
    html = text(get(client, world.manager, DASHBOARD))
    assert "No agreement has a score yet" in html and "Scores appear here once an assessment is approved" in html
    assert "-figure" not in html and "plotly" not in html.lower().split("</main>")[0]


def test_a_user_without_a_team_is_told_how_to_get_one(client, world):
    assert "You are not in a team yet" in text(get(client, world.nobody, DASHBOARD))
    assert "You are not in a team yet" in text(get(client, world.nobody, reverse("dashboards:analyst-home")))


def test_approvals_queue_offers_review_to_managers_and_only_a_view_to_auditors(client, world):
    submitted = world.submitted()
    world.approved()
    aggregation.scores_full_recompute()
    review = reverse("assessments:assessment-review", args=[submitted.pk])
    detail = reverse("assessments:assessment-detail", args=[submitted.pk])
    manager = text(get(client, world.manager, DASHBOARD))
    auditor = text(get(client, world.auditor, DASHBOARD))
    assert f'href="{review}"' in manager
    assert f'href="{review}"' not in auditor and f'href="{detail}"' in auditor
    assert "/approve/" not in auditor
    # An author never gets the review link (four eyes): the analyst wrote it.
    assert f'href="{review}"' not in text(get(client, world.analyst, DASHBOARD))


def test_trends_say_which_filters_they_ignore(client, world, two_teams):
    html = text(get(client, world.manager, DASHBOARD, {"region": Region.EUROPE}))
    assert "these filters do not apply to trends or movers: partner region" in html
    assert "not recorded yet" not in html  # per-team history exists: no team is refused its trends


def test_trends_and_movers_for_every_team_come_from_the_snapshots(client, world, two_teams):
    today = dt.date.today()
    earlier = today - dt.timedelta(days=40)
    for row in ScoreSnapshot.objects.all():  # the recompute's snapshot, moved back, and a worse one of it
        row.pk, row.day = None, earlier
        row.score_sum_c -= 100 * row.n
        row.save()
    html = text(get(client, world.auditor, DASHBOARD, {"period": "30"}))
    trends = figure(html, "trends")
    assert trends is not None and trends["data"][2]["name"] == "Portfolio"
    movers = figure(html, "movers")["data"][0]
    assert movers["y"] and all(x == 1.0 for x in movers["x"])  # every score one point higher now
    assert ScoreSnapshot.objects.filter(level=ScoreLevel.PORTFOLIO).count() == 2 * PortfolioScore.objects.count()

    # A manager's trends and movers: the manager's team alone.
    html = text(get(client, world.manager, DASHBOARD, {"period": "30"}))
    trends = figure(html, "trends")["data"][2]
    assert trends["y"][-1] == float(PortfolioScore.objects.get(team=world.team).tally.score)
    movers = figure(html, "movers")["data"][0]
    own = {f"Partner: {p.name}" for a in world.team.agreements.all() for p in a.partners.all()}
    assert movers["y"] and set(movers["y"]) <= own | {f"Category: {c.name}" for c in world.catalogue.categories.all()}
    assert "Partner: Other Only Bureau" not in movers["y"]
    assert all(x == 1.0 for x in movers["x"])


def _compared(html: str) -> list[str]:
    """The partners the trend chooser lists as compared (checked boxes)."""
    found = re.search(r"<ul class=\"checkbox-list\" data-trend-partners>(.*?)</ul>", html, re.S)
    return re.findall(r"<label for=\"trend-partner-\d+\">([^<]*)</label>", found.group(1)) if found else []


def test_the_trend_chooser_adds_partners_by_part_of_a_name_without_javascript(client, world, two_teams):
    """The plain-form fallback of the partner combobox: the typed text adds the partners of the
    viewer's teams whose name contains it, kept as checked boxes, in the trends CSV link too."""
    html = text(get(client, world.manager, DASHBOARD, {"trend_partner_name": "maritime"}))
    assert _compared(html) == ["Shared Maritime Office"]
    assert f"trend_partner={two_teams.shared.pk}" in html  # the trends CSV link carries it
    assert 'id="trend-partner-name" value=""' in html  # added: the box is empty again
    # As the combobox sends it: the chosen id, and its name as the text (which adds nothing more).
    html = text(get(client, world.manager, DASHBOARD, {"trend_partner": [two_teams.own_only.pk, ""],
                                                       "trend_partner_name": "Own Signals Agency"}))
    assert _compared(html) == ["Own Signals Agency"]
    assert "field-error" not in html.split('id="trend-partner-name_label"')[1][:600]


def test_the_trend_chooser_never_finds_another_teams_partner(client, world, two_teams):
    html = text(get(client, world.manager, DASHBOARD, {"trend_partner_name": "Other Only"}))
    assert _compared(html) == []
    assert "No partner you can see has a name containing “Other Only”." in html
    assert 'value="Other Only"' in html and 'aria-invalid="true"' in html  # the input is kept, marked
    # Nor by id.
    assert _compared(text(get(client, world.manager, DASHBOARD, {"trend_partner": two_teams.other_only.pk}))) == []


def test_the_trend_chooser_holds_six_partners(client, world):
    partners = [PartnerFactory(name=f"Liaison office {i}") for i in range(8)]
    world.approved(world.agreement(partners=partners))
    aggregation.scores_full_recompute()
    html = text(get(client, world.manager, DASHBOARD, {"trend_partner_name": "liaison"}))
    assert _compared(html) == [f"Liaison office {i}" for i in range(6)]
    more = {"trend_partner": [p.pk for p in partners[:6]], "trend_partner_name": "Liaison office 7"}
    html = text(get(client, world.manager, DASHBOARD, more))
    assert len(_compared(html)) == 6 and "Up to 6 partners can be compared: remove one to add another." in html


def test_heatmap_pages_are_fifty_partners_long(client, world):
    partners = [PartnerFactory(name=f"Partner {i:03d}") for i in range(52)]
    world.approved(world.agreement(partners=partners))
    aggregation.scores_full_recompute()
    first = text(get(client, world.manager, DASHBOARD))
    assert len(figure(first, "heatmap")["data"][0]["y"]) == 50
    assert "Showing 1 to 50 of 52" in first
    second = figure(text(get(client, world.manager, DASHBOARD, {"page": 2})), "heatmap")
    assert second["data"][0]["y"] == ["Partner 050", "Partner 051"]


def test_the_matrix_drill_down_lists_ratings_a_page_at_a_time(client, world):
    for _ in range(9):
        world.approved(world.agreement(), residual=(2, 3))  # three categories each: 27 ratings
    aggregation.scores_full_recompute()
    url = reverse("dashboards:matrix-cell", args=["residual", 2, 3])
    html = text(get(client, world.manager, url))
    assert "27 ratings in this cell" in html and html.count("data-rationale-link") == 25
    assert text(get(client, world.manager, url, {"page": 2})).count("data-rationale-link") == 2
    client.force_login(world.manager)
    assert client.get("/dashboard/matrix/residual/6/1/").status_code == 404
    assert client.get(reverse("dashboards:matrix-cell", args=["sideways", 1, 1])).status_code == 404


def test_a_heatmap_cell_leads_to_each_rating_and_its_rationale(client, world, two_teams):
    code = world.catalogue.categories.first().code
    html = text(get(client, world.manager, reverse("dashboards:heatmap-cell", args=[two_teams.shared.pk, code])))
    link = reverse("assessments:assessment-detail", args=[two_teams.mine.pk]) + f"#category-{code}"
    assert f'href="{link}"' in html
    assert "4 \N{MULTIPLICATION SIGN} 3 = 12" in html and "Band" in html and "Worst category" in html


# --- Other pages ---------------------------------------------------------------------------------------


def test_the_analyst_home_lists_returned_drafts_and_due_reviews(client, world):
    returned = world.submitted()
    services.assessment_return(assessment=returned, actor=world.manager, comment="Cite the liaison report.")
    draft = world.draft()
    due = world.approved()
    Assessment.objects.filter(pk=due.pk).update(next_review_date=dt.date.today() - dt.timedelta(days=2))
    aggregation.scores_full_recompute()
    html = text(get(client, world.analyst, reverse("dashboards:analyst-home")))
    assert "Cite the liaison report." in html
    assert reverse("assessments:assessment-edit", args=[returned.pk]) in html
    assert reverse("assessments:assessment-edit", args=[draft.pk]) in html
    assert reverse("assessments:assessment-start", args=[due.agreement_id]) in html and "Overdue" in html
    assert "Start an assessment" in html
    client.force_login(world.auditor)
    assert client.get(reverse("dashboards:analyst-home")).status_code == 403


def test_the_agreement_page_draws_its_categories_and_its_score_over_time(client, world):
    agreement = world.agreement()
    first = world.approved(agreement, residual=(2, 2))
    second = world.approved(agreement, residual=(4, 4))
    aggregation.scores_full_recompute()
    html = text(get(client, world.manager, reverse("assessments:agreement-detail", args=[agreement.pk])))
    categories = figure(html, "categories")["data"]
    assert categories[1]["x"] == [16, 16, 16]
    history = figure(html, "score-history")["data"][0]
    assert history["y"] == [4.0, 16.0]
    assert history["customdata"][0][0] == reverse("assessments:assessment-detail", args=[first.pk])
    assert history["customdata"][1][0] == reverse("assessments:assessment-detail", args=[second.pk])
    rows = csv_rows(get(client, world.manager, reverse("dashboards:agreement-export", args=[agreement.pk, "history"])))
    assert [row[2] for row in rows[1:]] == ["4.00", "16.00"]


def test_the_partner_page_sets_its_profile_against_the_portfolio_median(client, world):
    partner = PartnerFactory(name="Baltic Agency")
    world.approved(world.agreement(partners=[partner]), residual=(4, 4))
    world.approved(world.agreement(), residual=(1, 2))
    world.approved(world.agreement(), residual=(1, 1))
    aggregation.scores_full_recompute()
    html = text(get(client, world.manager, reverse("dashboards:partner-detail", args=[partner.pk])))
    profile = figure(html, "profile")["data"]
    assert profile[0]["x"] == [16.0, 16.0, 16.0]
    assert profile[1]["x"] == [2.0, 2.0, 2.0]  # the median of 16, 2 and 1


def test_a_suspended_agreement_is_listed_on_the_partner_page_but_not_counted(client, world):
    partner = PartnerFactory()
    world.approved(world.agreement(partners=[partner], status=AgreementStatus.SUSPENDED))
    aggregation.scores_full_recompute()
    html = text(get(client, world.manager, reverse("dashboards:partner-detail", args=[partner.pk])))
    assert "has no score" in html and "Suspended" in html


# --- Query counts ------------------------------------------------------------------------------------


def grow(world, n: int) -> None:
    """``n`` more agreements of the team, two partners each, each approved twice, one submitted and
    one due for review: every part of the dashboard has rows."""
    pool = [PartnerFactory() for _ in range(max(2, n // 2))]
    for i in range(n):
        agreement = world.agreement(partners=[pool[i % len(pool)], pool[(i + 1) % len(pool)]])
        world.approved(agreement, residual=(1 + i % 5, 2))
        world.approved(agreement, residual=(1 + (i + 2) % 5, 3))
    world.submitted()
    Assessment.objects.filter(status="approved").update(next_review_date=dt.date.today())
    aggregation.scores_full_recompute()


def count_queries(client, user, url, data=None) -> int:
    """Queries of a warm request: catalogue reads are cached (catalogue.cache) after the first."""
    client.force_login(user)
    client.get(url, data or {})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, data or {}).status_code == 200
    return len(queries.captured_queries)


def audit_context() -> int:
    """The audit trail's per-request context: one statement, on PostgreSQL only."""
    return int(connection.vendor == "postgresql")


@pytest.mark.parametrize(("user", "summarised", "limit"), [
    ("manager", False, 28), ("auditor", False, 28), ("manager", True, 15), ("auditor", True, 16),
])
def test_the_dashboard_costs_the_same_queries_at_two_portfolio_sizes(client, world, user, summarised, limit):
    """From the stored scores, and from the teams' dashboard summaries once the worker has
    refreshed them (what a dashboard reads in production)."""
    def refresh():
        if summarised:
            assert dashboard_summaries_refresh()
            filters = dashboard_filters(user=getattr(world, user), data=QueryDict(""))
            assert selectors.current_summaries(filters=filters) is not None

    grow(world, 2)
    refresh()
    small = count_queries(client, getattr(world, user), DASHBOARD)
    grow(world, 24)
    refresh()
    large = count_queries(client, getattr(world, user), DASHBOARD)
    assert small == large <= limit + audit_context()


def test_the_other_pages_cost_the_same_queries_at_two_portfolio_sizes(client, world):
    grow(world, 2)
    code = world.catalogue.categories.first().code
    partner = world.team.agreements.first().partners.first()

    def urls():
        return [
            (reverse("dashboards:heatmap-cell", args=[partner.pk, code]), 11),
            (reverse("dashboards:matrix-cell", args=["residual", 2, 2]), 7),
            (reverse("dashboards:partner-detail", args=[partner.pk]), 13),
            (reverse("dashboards:analyst-home"), 9),
            *((reverse("dashboards:export", args=[chart]), 11 if chart == "movers" else 8) for chart in CHARTS),
        ]

    small = {url: count_queries(client, world.manager, url) for url, _ in urls()}
    grow(world, 20)
    for url, limit in urls():
        assert count_queries(client, world.manager, url) == small[url] <= limit + audit_context(), url


def test_links_made_from_a_pattern_are_the_links_reverse_gives():
    from types import SimpleNamespace

    from riskboard.dashboards.views import _link, _link_maker, _matrix_link

    for query in ("", "team=3&region=europe"):
        matrix = _matrix_link(SimpleNamespace(querystring=query))
        assert all(matrix(side, likelihood, impact) == _link("dashboards:matrix-cell", side, likelihood, impact,
                                                             query=query)
                   for side in ("inherent", "residual") for likelihood in range(1, 6) for impact in range(1, 6))

    cell = _link_maker("dashboards:heatmap-cell", int, str, query="region=europe")
    assert cell(12, "CAT_1") == _link("dashboards:heatmap-cell", 12, "CAT_1", query="region=europe")
    partner = _link_maker("dashboards:partner-detail", int)
    assert partner(7) == reverse("dashboards:partner-detail", args=[7])


def test_the_dashboard_reads_the_same_whether_or_not_a_review_is_due(client, world):
    """The reviews list is read even when none is due, so two portfolios that differ only there
    cost the same (the benchmark compares a small and a large one)."""
    approved = world.approved(world.agreement())
    Assessment.objects.filter(pk=approved.pk).update(next_review_date=dt.date.today() + dt.timedelta(days=400))
    aggregation.scores_full_recompute()
    none_due = count_queries(client, world.manager, DASHBOARD)
    Assessment.objects.filter(pk=approved.pk).update(next_review_date=dt.date.today())
    assert count_queries(client, world.manager, DASHBOARD) == none_due


def test_the_matrix_levels_in_paths_are_the_scales_levels():
    from catalogue.models import SCALE_MAX, SCALE_MIN
    from riskboard.converters import LevelConverter

    assert LevelConverter.regex == f"[{SCALE_MIN}-{SCALE_MAX}]"
