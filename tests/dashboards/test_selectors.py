"""The dashboards' numbers: scoped to the viewer, and equal to what scoring computes.

The on-the-fly (filtered) path must give, for every team scope, exactly the tallies that
``assessments.scoring`` gives over that scope's agreements alone; for the all-teams scope, the
stored aggregates (a stored per-team path must pass the same tests for a team).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.http import QueryDict

from assessments import aggregation, scoring
from assessments.aggregation.catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels
from assessments.choices import AgreementStatus, AssessmentStatus, Region
from assessments.models import (
    AgreementScore,
    Assessment,
    CategoryScore,
    Rating,
    ScoreLevel,
)
from assessments.models.querysets import COMPLETE_RATING
from assessments.selectors.scores import scoped_partner_category_tallies, scoped_tallies
from riskboard.dashboards import selectors
from riskboard.dashboards.filtersets import dashboard_filters
from riskboard.dashboards.selectors.pages import median_of_counts
from riskboard.roles import Role
from tests.assessments.conftest import build_portfolio
from tests.factories import MembershipFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def unfingerprinted(tally: scoring.Tally) -> scoring.Tally:
    return replace(tally, fingerprint=0)


def scoped_reference(*, team_ids=None) -> dict[tuple, scoring.Tally]:
    """Every tally of the agreements of ``team_ids`` (None: all), computed in Python by scoring from
    each agreement's latest approved assessment: the definition the SQL must match."""
    states = []
    assessments = Assessment.objects.filter(status=AssessmentStatus.APPROVED).order_by(
        "agreement_id", "-approved_at", "-id").select_related("agreement")
    if team_ids is not None:
        assessments = assessments.filter(agreement__owner_team_id__in=team_ids)
    latest = {}
    for assessment in assessments:
        latest.setdefault(assessment.agreement_id, assessment)
    rules = catalogue_rules(catalogue_ids={a.catalogue_id for a in latest.values()})
    for agreement_id, assessment in latest.items():
        rule = rules[assessment.catalogue_id]
        scores = tuple(
            scoring.rating_score(rating_levels(row, categories=rule.categories), matrix=rule.matrix,
                                 widening=confidence_widening())
            for row in Rating.objects.filter(COMPLETE_RATING, assessment=assessment).values_list(*RATING_COLUMNS)
        )
        result = scoring.agreement_result(scores, matrix=rule.matrix, rollup=rule.rollup)
        partners = tuple(assessment.agreement.partners.values_list("pk", flat=True))
        active = assessment.agreement.status == AgreementStatus.ACTIVE
        states.append(scoring.AgreementState(agreement_id, active, partners, result, scores))
    return {key: unfingerprinted(t) for key, t in scoring.portfolio_tallies(states).items()}


def on_the_fly(user, data="") -> dict[tuple, scoring.Tally]:
    """The same keys, as the dashboard selectors compute them for ``user``."""
    filters = dashboard_filters(user=user, data=QueryDict(data))
    rules = selectors.scoring_rules()
    out = {scoring.PORTFOLIO: selectors.portfolio_tally(filters=filters)}
    partners = selectors.partner_rows(filters=filters)
    out.update({scoring.partner_key(row.partner_id): row.tally for row in partners})
    cells = selectors.partner_category_cells(filters=filters, rules=rules, partner_ids=[r.partner_id for r in partners])
    out.update({scoring.partner_category_key(pid, code): cell.tally for (pid, code), cell in cells.items()})
    return out


def _user(role, team=None):
    return MembershipFactory(team=team, role=role).user


@pytest.fixture
def portfolio():
    portfolio = build_portfolio(seed=11, agreements=50, partners=8)
    aggregation.scores_full_recompute()
    return portfolio


def test_all_teams_on_the_fly_equals_the_stored_aggregates(portfolio):
    """For administrators and auditors the stored rows are exact: the SQL of the filtered path
    must give the same tallies (fingerprints aside), key by key."""
    computed = on_the_fly(_user(Role.AUDITOR))
    stored = {scoring.PORTFOLIO: scoped_tallies(team_ids=None, level=ScoreLevel.PORTFOLIO)["portfolio"]}
    partners = scoped_tallies(team_ids=None, level=ScoreLevel.PARTNER)
    stored |= {scoring.partner_key(int(k)): t for k, t in partners.items()}
    stored |= {scoring.partner_category_key(*k): t for k, t in scoped_partner_category_tallies(team_ids=None).items()}
    assert {k: unfingerprinted(v) for k, v in stored.items()} == computed
    assert computed == {k: v for k, v in scoped_reference().items() if k[0] != "category"}


@pytest.mark.parametrize("team_index", [0, 1])
def test_a_teams_figures_are_a_recompute_over_that_teams_agreements_alone(portfolio, team_index):
    team = portfolio.teams[team_index]
    manager = _user(Role.MANAGER, team)
    reference = {k: v for k, v in scoped_reference(team_ids=[team.pk]).items()
                 if k[0] != "category" and (k == scoring.PORTFOLIO or v.n)}
    assert on_the_fly(manager) == reference
    # A partner shared by both teams shows a different figure to each: its own team's.
    shared = [k for k in reference if k[0] == "partner"]
    assert shared and any(on_the_fly(_user(Role.MANAGER, t)).get(k) != reference[k]
                          for t in portfolio.teams if t != team for k in shared)


def test_the_matrix_counts_each_current_rating_once_per_side(portfolio):
    auditor = _user(Role.AUDITOR)
    filters = dashboard_filters(user=auditor, data=QueryDict(""))
    counts = selectors.risk_matrix_counts(filters=filters, rules=selectors.scoring_rules())
    assert counts.total == sum(counts.inherent.values())
    assert counts.total == sum(row.n for row in CategoryScore.objects.all())
    residual = {}
    for score in AgreementScore.objects.filter(is_active=True):
        for rating in Rating.objects.filter(assessment_id=score.assessment_id):
            if rating.is_complete:
                key = (rating.residual_likelihood, rating.residual_impact)
                residual[key] = residual.get(key, 0) + 1
    assert counts.residual == residual


def test_band_distribution_counts_headline_bands_as_the_portfolio_does(portfolio):
    filters = dashboard_filters(user=_user(Role.AUDITOR), data=QueryDict(""))
    distribution = selectors.band_distribution(filters=filters)
    assert distribution.headline == scoped_tallies(team_ids=None, level=ScoreLevel.PORTFOLIO)["portfolio"].band_counts
    worst = [0] * scoring.MAX_BAND_RANK
    for score in AgreementScore.objects.filter(is_active=True):
        worst[score.worst_band_rank - 1] += 1
    assert distribution.worst == tuple(worst)


def test_filters_narrow_the_agreements_and_the_partner_rows(world):
    europe = PartnerFactory(name="Nordic Agency", region=Region.EUROPE)
    asia = PartnerFactory(name="Pacific Agency", region=Region.ASIA_PACIFIC)
    both = world.approved(world.agreement(partners=[europe, asia]), residual=(4, 4))
    only_asia = world.approved(world.agreement(partners=[asia]), residual=(1, 1))
    world.approved(world.agreement(partners=[europe], status=AgreementStatus.SUSPENDED), residual=(5, 5))
    aggregation.scores_full_recompute()

    def rows(data):
        return {r.name: r.tally.n for r in selectors.partner_rows(filters=dashboard_filters(
            user=world.manager, data=QueryDict(data)))}

    assert rows("") == {"Nordic Agency": 1, "Pacific Agency": 2}  # active agreements only, by default
    assert rows("region=europe") == {"Nordic Agency": 1}  # Pacific is not a European partner
    assert rows("region=asia_pacific") == {"Pacific Agency": 2}
    assert rows("status=suspended") == {"Nordic Agency": 1}
    assert rows("status=any") == {"Nordic Agency": 2, "Pacific Agency": 2}
    assert rows("kind=liaison") == {}
    assert both.agreement_id != only_asia.agreement_id


def test_a_team_filter_outside_ones_scope_is_refused_and_ignored(world):
    world.approved(world.agreement())
    aggregation.scores_full_recompute()
    filters = dashboard_filters(user=world.manager, data=QueryDict(f"team={world.other_team.pk}"))
    assert "team" in filters.form.errors
    assert filters.team_ids == frozenset({world.team.pk})
    assert selectors.portfolio_tally(filters=filters).n == 1


def test_top_agreements_give_the_change_since_the_previous_assessment(world):
    agreement = world.agreement()
    world.approved(agreement, residual=(2, 2))
    world.approved(agreement, residual=(4, 4))
    first_only = world.agreement()
    world.approved(first_only, residual=(3, 3))
    aggregation.scores_full_recompute()
    filters = dashboard_filters(user=world.manager, data=QueryDict(""))
    top = selectors.top_agreements(filters=filters, rules=selectors.scoring_rules())

    assert [row.score.agreement_id for row in top] == [agreement.pk, first_only.pk]
    assert top[0].score.score == Decimal("16.00") and top[0].previous_result.score == Decimal("4.00")
    assert top[0].change_c == 1200
    assert top[1].previous is None and top[1].change_c is None


def test_reviews_due_count_overdue_and_soon_in_scope(world):
    today = dt.date(2026, 1, 1)
    overdue, soon, later = (world.approved(world.agreement()) for _ in range(3))
    Assessment.objects.filter(pk=overdue.pk).update(next_review_date=today - dt.timedelta(days=1))
    Assessment.objects.filter(pk=soon.pk).update(next_review_date=today + dt.timedelta(days=30))
    Assessment.objects.filter(pk=later.pk).update(next_review_date=today + dt.timedelta(days=31))
    other = world.agreement(team=world.other_team)
    aggregation.scores_full_recompute()  # the current assessment is the one the stored score names
    filters = dashboard_filters(user=world.manager, data=QueryDict(""))
    due = selectors.reviews_due(user=world.manager, agreements=filters.agreements, today=today)
    assert (due.overdue, due.due_soon) == (1, 1)
    assert [a.pk for a in due.rows] == [overdue.agreement_id, soon.agreement_id]
    assert other.pk not in [a.pk for a in due.rows]


def test_median_of_counts():
    assert median_of_counts({}) is None
    assert median_of_counts({4: 1}) == Decimal("4.00")
    assert median_of_counts({1: 1, 9: 1}) == Decimal("5.00")
    assert median_of_counts({1: 2, 2: 1, 25: 2}) == Decimal("2.00")
    assert median_of_counts({3: 2, 6: 2}) == Decimal("4.50")


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_the_stored_path_and_the_filtered_path_agree_for_the_same_scope(portfolio, who):
    """With no filter but the team, the dashboard reads the stored per-team tallies; the on-the-fly
    SQL over the same agreements must give the same partners, order, tallies and dates."""
    from riskboard.dashboards.selectors.portfolio import partner_category_cells_stored, partner_rows_stored
    from riskboard.dashboards.selectors.scope import agreement_tally_aggregates, tally_from

    user = _user(Role.MANAGER, portfolio.teams[0]) if who == "manager" else _user(Role.AUDITOR)
    filters = dashboard_filters(user=user, data=QueryDict(""))
    assert filters.team_only
    on_the_fly = selectors.partner_rows(filters=filters)
    stored = partner_rows_stored(filters=filters)
    assert [(r.partner_id, r.name, r.tally) for r in stored] == [(r.partner_id, r.name, r.tally) for r in on_the_fly]
    assert stored  # something to compare
    heatmap = selectors.partner_heatmap(filters=filters, rules=selectors.scoring_rules(), per_page=5)
    assert heatmap.rows == on_the_fly[:5]  # last assessment dates included
    ids = [row.partner_id for row in on_the_fly]
    filtered_cells = selectors.partner_category_cells(filters=filters, rules=selectors.scoring_rules(), partner_ids=ids)
    assert partner_category_cells_stored(filters=filters, partner_ids=ids) == filtered_cells and filtered_cells
    filtered = tally_from(selectors.scored_agreements(filters=filters).aggregate(**agreement_tally_aggregates()))
    assert selectors.portfolio_tally(filters=filters) == filtered and filtered.n
