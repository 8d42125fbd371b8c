"""Dashboard summaries: what a dashboard reads when they are current equals what it computes from
the stored scores, and a summary a recompute has outdated is never read.

(``riskboard.dashboards.selectors.summaries``, ``riskboard.dashboards.services``.)
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.http import QueryDict
from django.utils import timezone

from assessments import aggregation
from assessments.choices import AgreementStatus, AssessmentStatus
from assessments.models import Agreement, AgreementScore, Assessment, PartnerScore
from riskboard.dashboards import selectors, services
from riskboard.dashboards.filtersets import PERIODS, dashboard_filters
from riskboard.dashboards.services import dashboard_summaries_refresh
from riskboard.roles import Role
from tests.assessments.conftest import build_portfolio
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    portfolio = build_portfolio(seed=5, agreements=60, partners=8)
    # Review dates spread around today: some overdue, some due soon, some later.
    today = timezone.localdate()
    for pk in Assessment.objects.filter(status=AssessmentStatus.APPROVED).values_list("pk", flat=True):
        Assessment.objects.filter(pk=pk).update(next_review_date=today + dt.timedelta(days=pk % 90 - 30))
    aggregation.snapshots_backfill()
    aggregation.scores_full_recompute()
    assert dashboard_summaries_refresh() == len(portfolio.teams)
    return portfolio


def _viewer(portfolio, who):
    if who == "auditor":
        return MembershipFactory(team=None, role=Role.AUDITOR).user, ""
    if who == "team filter":
        return MembershipFactory(team=None, role=Role.AUDITOR).user, f"team={portfolio.teams[1].pk}"
    user = MembershipFactory(team=portfolio.teams[0], role=Role.MANAGER).user
    if who == "two teams":
        MembershipFactory(user=user, team=portfolio.teams[2], role=Role.MANAGER)
    return user, ""


def _top(rows):
    return [(row.score.agreement_id, row.change_c) for row in rows]


@pytest.mark.parametrize("who", ["manager", "two teams", "auditor", "team filter"])
def test_a_current_summary_gives_what_the_stored_scores_give(portfolio, who):
    user, query = _viewer(portfolio, who)
    filters = dashboard_filters(user=user, data=QueryDict(query))
    rules = selectors.scoring_rules()
    summaries = selectors.current_summaries(filters=filters)
    assert summaries is not None

    live_matrix = selectors.risk_matrix_counts(filters=filters, rules=rules)
    assert live_matrix.total  # something to compare
    assert summaries.matrix(rules) == live_matrix
    assert summaries.distribution() == selectors.band_distribution(filters=filters)
    portfolio = selectors.portfolio_tally(filters=filters)
    assert summaries.portfolio() == portfolio and portfolio.n
    # The trend's point of today, from the tally the page has already, is the one it would read.
    assert selectors.dashboard_trends(filters=filters, rules=rules, portfolio_today=summaries.portfolio()) == \
        selectors.dashboard_trends(filters=filters, rules=rules)

    live = selectors.top_agreements(filters=filters, rules=rules)
    known = selectors.top_agreements(filters=filters, rules=rules, agreement_ids=summaries.top_candidates(),
                                     changes=summaries.top_changes())
    assert _top(known) == _top(live) and any(row.change_c for row in live)

    today = timezone.localdate()
    due = selectors.reviews_due(user=user, agreements=filters.agreements, limit=5, today=today)
    overdue, soon = summaries.reviews_due_counts()
    known = selectors.reviews_due_known(overdue=overdue, due_soon=soon, candidates=summaries.review_candidates(),
                                        limit=5, today=today)
    assert (known.overdue, known.due_soon, [a.pk for a in known.rows]) == (due.overdue, due.due_soon,
                                                                          [a.pk for a in due.rows])
    assert due.overdue and due.due_soon

    # Every page of the heatmap: partners, their order and tallies, the cells and their dates.
    pages = 1
    page = 1
    while page <= pages:
        expected = selectors.partner_heatmap(filters=filters, rules=rules, page=page, per_page=3)
        got = selectors.partner_heatmap(filters=filters, rules=rules, page=page, per_page=3,
                                        order=summaries.partner_order, dates_kept=True)
        assert got.rows == expected.rows and got.cells == expected.cells and expected.rows
        pages, page = expected.page.paginator.num_pages, page + 1
    assert pages > 1

    names = selectors.visible_partner_names(user)
    for days, _ in PERIODS:
        period = dashboard_filters(user=user, data=QueryDict(f"{query}&period={days}"))
        kept = summaries.movers(period_days=int(days), rules=rules, partner_names=names)
        if who == "two teams":
            assert kept is None  # movers of several teams are not summed from each team's
            continue
        # One team's, or every team's (the summary of every team).
        assert kept == selectors.dashboard_movers(filters=period, rules=rules)
    assert (summaries.partner_order is None) == (who == "two teams")


def test_movers_are_summarised_when_something_moved(portfolio):
    """Movers that are not empty: an agreement of the team stops counting today, so its partners'
    and categories' scores move against the snapshots of the past."""
    team = portfolio.teams[0]
    partner = PartnerScore.objects.filter(team=team, n__gte=2).values_list("partner_id", flat=True).first()
    score = next(s for s in AgreementScore.objects.filter(agreement__owner_team=team, is_active=True)
                 if partner in s.counted_partner_ids)
    Agreement.objects.filter(pk=score.agreement_id).update(status=AgreementStatus.SUSPENDED)
    aggregation.agreements_recompute(agreement_ids=[score.agreement_id])
    assert dashboard_summaries_refresh() == 1
    manager = MembershipFactory(team=team, role=Role.MANAGER).user
    filters = dashboard_filters(user=manager, data=QueryDict("period=730"))
    rules = selectors.scoring_rules()
    kept = selectors.current_summaries(filters=filters).movers(
        period_days=730, rules=rules, partner_names=selectors.visible_partner_names(manager))
    assert kept.partners and kept.categories
    assert kept == selectors.dashboard_movers(filters=filters, rules=rules)


def test_a_summary_a_recompute_outdated_is_not_read_until_refreshed(portfolio):
    team, other = portfolio.teams[0], portfolio.teams[1]
    manager = MembershipFactory(team=team, role=Role.MANAGER).user
    filters = dashboard_filters(user=manager, data=QueryDict(""))
    other_filters = dashboard_filters(user=MembershipFactory(team=other, role=Role.MANAGER).user, data=QueryDict(""))
    score = AgreementScore.objects.filter(agreement__owner_team=team, is_active=True).first()

    # Recomputing what has not changed outdates nothing.
    aggregation.agreements_recompute(agreement_ids=[score.agreement_id])
    assert selectors.current_summaries(filters=filters) is not None

    Agreement.objects.filter(pk=score.agreement_id).update(status=AgreementStatus.SUSPENDED)
    aggregation.agreements_recompute(agreement_ids=[score.agreement_id])
    assert selectors.current_summaries(filters=filters) is None  # the page computes from the scores
    assert selectors.current_summaries(filters=other_filters) is not None  # the other team's is untouched

    assert dashboard_summaries_refresh() == 1
    summaries = selectors.current_summaries(filters=filters)
    rules = selectors.scoring_rules()
    assert summaries.matrix(rules) == selectors.risk_matrix_counts(filters=filters, rules=rules)


def test_the_summary_of_every_team_is_outdated_by_a_change_in_any_team(portfolio):
    auditor = MembershipFactory(team=None, role=Role.AUDITOR).user
    filters = dashboard_filters(user=auditor, data=QueryDict(""))
    assert selectors.current_summaries(filters=filters).every_team is not None
    score = AgreementScore.objects.filter(agreement__owner_team=portfolio.teams[2], is_active=True).first()
    Agreement.objects.filter(pk=score.agreement_id).update(status=AgreementStatus.SUSPENDED)
    aggregation.agreements_recompute(agreement_ids=[score.agreement_id])
    assert selectors.current_summaries(filters=filters) is None

    # The team's summary alone brought up to date is not enough: the partners' order over every
    # team may have changed.
    with mock.patch.object(services, "_every_team_refresh", return_value=False):
        assert dashboard_summaries_refresh(team_ids=[portfolio.teams[2].pk]) == 1
    summaries = selectors.current_summaries(filters=filters)
    assert summaries is not None and summaries.every_team is None and summaries.partner_order is None

    assert dashboard_summaries_refresh() == 0  # every team's is refreshed, no team's
    summaries = selectors.current_summaries(filters=filters)
    rules = selectors.scoring_rules()
    expected = selectors.partner_heatmap(filters=filters, rules=rules, per_page=1000)
    assert [row.partner_id for row in expected.rows] == summaries.partner_order
    assert summaries.movers(period_days=365, rules=rules, partner_names=selectors.visible_partner_names(auditor)) \
        == selectors.dashboard_movers(filters=filters, rules=rules)


def test_a_full_recompute_or_a_new_day_outdates_every_summary(portfolio):
    manager = MembershipFactory(team=portfolio.teams[0], role=Role.MANAGER).user
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert selectors.current_summaries(filters=dashboard_filters(user=manager, data=QueryDict(""))) is not None
    assert selectors.current_summaries(filters=dashboard_filters(user=manager, data=QueryDict(""),
                                                                 today=tomorrow)) is None
    assert dashboard_summaries_refresh(today=tomorrow) == len(portfolio.teams)
    aggregation.scores_full_recompute()
    assert selectors.current_summaries(filters=dashboard_filters(user=manager, data=QueryDict(""))) is None


def test_other_filters_than_the_team_compute_from_the_scores(portfolio):
    manager = MembershipFactory(team=portfolio.teams[0], role=Role.MANAGER).user
    assert selectors.current_summaries(filters=dashboard_filters(user=manager, data=QueryDict("kind=mou"))) \
        is None
    assert selectors.current_summaries(filters=dashboard_filters(user=manager, data=QueryDict("status=any"))) is None
