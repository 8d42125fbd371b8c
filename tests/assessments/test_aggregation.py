"""Set-based aggregation against the pure scoring module, and incremental against full recompute.

These run on SQLite by default and on PostgreSQL in CI: both paths must agree on both.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from assessments import aggregation, scoring
from assessments import selectors as score_selectors
from assessments.aggregation.reference import (
    scores_compute_in_python,
    scores_differences,
    scores_stored,
)
from assessments.choices import AgreementStatus, AssessmentStatus
from assessments.models import (
    AgreementScore,
    Assessment,
    CategoryScore,
    DirtyAgreement,
    Partner,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
    Rating,
    ScoreLevel,
    ScoreSnapshot,
)
from catalogue.choices import RollupMethod
from tests.factories import AgreementFactory, CatalogueFactory, PartnerFactory, RatingFactory, TeamFactory

from .conftest import approve_new_assessment, build_portfolio

pytestmark = pytest.mark.django_db


def assert_scores_equal_reference():
    differences = scores_differences(scores_compute_in_python(), scores_stored())
    assert differences == [], "\n".join(differences[:20])


def scores_from_scratch():
    """What a full recompute stores with no score rows to start from."""
    for model in (AgreementScore, PartnerScore, PartnerCategoryScore, CategoryScore, PortfolioScore):
        model.objects.all().delete()
    aggregation.scores_full_recompute()
    return scores_stored()


def assert_incremental_equals_full_from_scratch():
    incremental = scores_stored()
    differences = scores_differences(scores_from_scratch(), incremental)
    assert differences == [], "\n".join(differences[:20])
    assert_scores_equal_reference()


def test_full_recompute_equals_the_pure_python_module(portfolio):
    result = aggregation.scores_full_recompute()

    assert_scores_equal_reference()
    assert result.rows["agreements"] == AgreementScore.objects.count() > 20
    assert PartnerScore.objects.exists() and CategoryScore.objects.exists() and PartnerCategoryScore.objects.exists()


def test_floors_raise_stored_bands_in_the_portfolio_as_python_does(portfolio):
    """The test portfolio's floored catalogue raises some agreements above their mean's band, so the
    comparisons with the pure module cover the floors."""
    aggregation.scores_full_recompute()
    floored = portfolio.catalogues[-1]
    assert floored.rollup_params["rules"]
    raised = [s for s in AgreementScore.objects.filter(catalogue=floored) if s.band_rank > _mean_band(s)]
    assert raised, "no stored band was raised by a floor"
    assert_scores_equal_reference()


def _mean_band(score: AgreementScore) -> int:
    """The band of the stored weighted mean alone, by the test matrix's thresholds (``standard_band_code``:
    Medium from 5, High from 10, Critical from 20)."""
    return 1 + sum(score.residual_wsum >= t * score.weight_total for t in (5, 10, 20))


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_full_recompute_equals_python_on_other_portfolios(seed):
    build_portfolio(seed=seed, agreements=25)
    aggregation.scores_full_recompute()
    assert_scores_equal_reference()


def test_full_recompute_of_an_empty_portfolio():
    aggregation.scores_full_recompute()

    assert AgreementScore.objects.count() == 0
    assert not PortfolioScore.objects.exists()  # no team counts anything
    portfolio = score_selectors.scoped_tallies(team_ids=None, level=ScoreLevel.PORTFOLIO)["portfolio"]
    assert portfolio.n == 0 and portfolio.score is None
    assert_scores_equal_reference()


def test_full_recompute_twice_gives_the_same_rows(portfolio):
    aggregation.scores_full_recompute()
    first = scores_stored()
    aggregation.scores_full_recompute()
    assert scores_differences(first, scores_stored()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner settings are PostgreSQL's")
def test_full_recompute_leaves_the_planner_settings_of_its_callers_transaction_as_they_were(portfolio):
    """The recompute sets planner options for some of its statements, local to the transaction: a
    caller that runs it inside its own transaction (as these tests do) keeps its settings after."""
    names = ("enable_mergejoin", "parallel_tuple_cost")

    def current():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join('current_setting(%s)' for _ in names)}", names)
            return cursor.fetchone()

    before = current()
    aggregation.scores_full_recompute()
    assert current() == before


def _computed_at(model, *keys: str) -> dict:
    return {tuple(row[:-1]): row[-1] for row in model.objects.values_list(*keys, "computed_at")}


@pytest.mark.parametrize("path", ["as configured", "general"])
def test_full_recompute_rewrites_only_the_rows_whose_values_changed(portfolio, path, monkeypatch):
    """The nightly run checks every score but writes only what differs: an unchanged score keeps
    the time its value was computed; the portfolio row records every run."""
    if path == "general":
        monkeypatch.setattr("assessments.aggregation.single_pass.MAX_CODES", 0)  # PostgreSQL hands over too
    aggregation.scores_full_recompute()
    agreements_before = _computed_at(AgreementScore, "agreement_id")
    partners_before = _computed_at(PartnerScore, "partner_id", "team_id")
    portfolio_before = _computed_at(PortfolioScore, "team_id")
    active = list(AgreementScore.objects.filter(is_active=True).order_by("agreement_id"))
    reassessed, stopped = active[0].agreement, active[1].agreement
    approve_new_assessment(agreement=reassessed, rng=random.Random(5), when=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    stopped.status = AgreementStatus.SUSPENDED
    stopped.save(update_fields=["status"])

    aggregation.scores_full_recompute()

    assert_scores_equal_reference()
    agreements_after = _computed_at(AgreementScore, "agreement_id")
    rewritten = {pk for (pk,), at in agreements_after.items() if at != agreements_before[(pk,)]}
    assert rewritten == {reassessed.pk, stopped.pk}
    touched_partners = {(p.pk, a.owner_team_id) for a in (reassessed, stopped) for p in a.partners.all()}
    partners_after = _computed_at(PartnerScore, "partner_id", "team_id")
    assert {key for key, at in partners_after.items() if at != partners_before.get(key)} <= touched_partners
    assert any(partners_after.get(key) != partners_before.get(key) for key in touched_partners)
    portfolio_after = _computed_at(PortfolioScore, "team_id")
    assert all(at > portfolio_before[team] for team, at in portfolio_after.items() if team in portfolio_before)


@pytest.mark.parametrize("path", ["as configured", "general"])
def test_full_recompute_when_levels_gain_and_lose_rows_in_the_same_run(portfolio, path, monkeypatch):
    """As many rows derived for the first time as rows no longer derived, at the agreement and the
    partner levels at once: the counts balance, yet both must be written."""
    if path == "general":
        monkeypatch.setattr("assessments.aggregation.single_pass.MAX_CODES", 0)
    rng, catalogue = random.Random(11), portfolio.catalogues[0]
    leaving, arriving = PartnerFactory(), PartnerFactory()
    moving, dropped = AgreementFactory(partners=[leaving]), AgreementFactory(partners=[portfolio.partners[0]])
    for agreement in (moving, dropped):
        approve_new_assessment(agreement=agreement, rng=rng, catalogue=catalogue)
    aggregation.scores_full_recompute()
    assert PartnerScore.objects.filter(partner=leaving).exists()
    agreements_before = AgreementScore.objects.count()

    newcomer = AgreementFactory(partners=[portfolio.partners[1]])
    approve_new_assessment(agreement=newcomer, rng=rng, catalogue=catalogue)  # scored for the first time
    # No longer scored: no complete rating left (its score row stays until a recompute removes it).
    Rating.objects.filter(assessment__agreement=dropped).update(residual_likelihood=None)
    moving.partners.set([arriving])  # its only partner leaves, a new one arrives
    aggregation.scores_full_recompute()

    assert AgreementScore.objects.count() == agreements_before
    assert AgreementScore.objects.filter(agreement=newcomer).exists()
    assert not AgreementScore.objects.filter(agreement=dropped).exists()
    assert not PartnerScore.objects.filter(partner=leaving).exists()
    assert not PartnerCategoryScore.objects.filter(partner=leaving).exists()
    assert PartnerScore.objects.get(partner=arriving).n == 1
    assert_scores_equal_reference()
    stored = scores_stored()
    assert scores_differences(scores_from_scratch(), stored) == []


def test_hand_computed_agreement_partner_category_and_portfolio():
    catalogue = CatalogueFactory(contents__categories=2)
    first, second = catalogue.categories.order_by("display_order")
    first.weight, second.weight = Decimal("3.00"), Decimal("1.00")
    first.save(), second.save()
    agreement = AgreementFactory(status=AgreementStatus.ACTIVE)
    assessment = Assessment.objects.create(agreement=agreement, catalogue=catalogue, status=AssessmentStatus.APPROVED,
                                           as_of=dt.date(2025, 1, 1), approved_at=timezone.now())
    # 4x4 = 16 (High) with weight 3; 1x2 = 2 (Low) with weight 1, low confidence: range 1..6.
    RatingFactory(assessment=assessment, category=first, residual_likelihood=4, residual_impact=4,
                  inherent_likelihood=5, inherent_impact=5, confidence="high")
    RatingFactory(assessment=assessment, category=second, residual_likelihood=1, residual_impact=2,
                  inherent_likelihood=2, inherent_impact=2, confidence="low")

    aggregation.scores_full_recompute()

    score = AgreementScore.objects.get(agreement=agreement)
    assert score.score == Decimal("12.50")  # (3 x 16 + 1 x 2) / 4
    assert score.score_low == Decimal("12.25")  # (3 x 16 + 1 x 1) / 4
    assert score.score_high == Decimal("13.50")  # (3 x 16 + 1 x 6) / 4
    assert score.inherent_score == Decimal("19.75")  # (3 x 25 + 1 x 4) / 4
    assert score.band_counts[:4] == (1, 0, 1, 0)
    assert score.worst_band_rank == 3
    assert score.band_rank == 3  # weighted mean 12.5 is in High (10..19)
    partner = PartnerScore.objects.get(partner=agreement.partners.get())
    assert partner.n == 1 and partner.score == Decimal("12.50") and partner.band_counts[2] == 1
    assert CategoryScore.objects.get(category_code=first.code).score == Decimal("16.00")
    assert CategoryScore.objects.get(category_code=second.code).score_high == Decimal("6.00")
    assert PortfolioScore.objects.get().band_counts[:4] == (0, 0, 1, 0)


def test_only_active_agreements_count_towards_partners_categories_and_portfolio(portfolio):
    aggregation.scores_full_recompute()

    inactive = AgreementScore.objects.filter(is_active=False)
    assert inactive.exists()  # still scored, for the agreement's own page
    active = AgreementScore.objects.filter(is_active=True)
    assert sum(PortfolioScore.objects.values_list("n", flat=True)) == active.count()
    for row in PortfolioScore.objects.all():  # each team's row counts that team's agreements
        assert row.n == active.filter(agreement__owner_team=row.team_id).count() > 0
    assert set(active.values_list("agreement__status", flat=True)) == {AgreementStatus.ACTIVE}


def _random_changes(rng, agreements, count):
    """Approvals, status changes and moves to another owner team (of the portfolio's teams)."""
    teams = sorted({a.owner_team_id for a in agreements})
    for _ in range(count):
        agreement = rng.choice(agreements)
        roll = rng.random()
        if roll < 0.6 or not Assessment.objects.filter(agreement=agreement).exists():
            catalogue = Assessment.objects.filter(agreement=agreement).first()
            approve_new_assessment(agreement=agreement, rng=rng, catalogue=catalogue.catalogue if catalogue else None)
        elif roll < 0.8:
            agreement.status = rng.choice(list(AgreementStatus))
            agreement.save(update_fields=["status"])
        else:
            agreement.owner_team_id = rng.choice(teams)
            agreement.save(update_fields=["owner_team"])
        yield agreement.pk


def test_incremental_recompute_after_random_changes_equals_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    rng = random.Random(7)
    with_assessments = [a for a in portfolio.agreements if Assessment.objects.filter(agreement=a).exists()]

    for agreement_id in _random_changes(rng, with_assessments, 30):
        aggregation.agreements_recompute(agreement_ids=[agreement_id])

    incremental = scores_stored()
    aggregation.scores_full_recompute()
    differences = scores_differences(scores_stored(), incremental)
    assert differences == [], "\n".join(differences[:20])
    assert_scores_equal_reference()


def test_incremental_batch_equals_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    rng = random.Random(8)
    with_assessments = [a for a in portfolio.agreements if Assessment.objects.filter(agreement=a).exists()]
    changed = list(_random_changes(rng, with_assessments, 15))

    aggregation.agreements_recompute(agreement_ids=changed)

    assert_scores_equal_reference()


def test_incremental_from_nothing_builds_the_same_scores_as_full(portfolio):
    aggregation.agreements_recompute(agreement_ids=[a.pk for a in portfolio.agreements])

    assert_scores_equal_reference()


def test_incremental_recompute_is_idempotent(portfolio):
    aggregation.scores_full_recompute()
    agreement = next(a for a in portfolio.agreements if Assessment.objects.filter(agreement=a).exists())
    approve_new_assessment(agreement=agreement, rng=random.Random(1))
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    once = scores_stored()
    computed = {model: _computed_at(model, "pk") for model in (AgreementScore, PartnerScore, PortfolioScore)}

    aggregation.agreements_recompute(agreement_ids=[agreement.pk])

    assert scores_differences(once, scores_stored()) == []
    for model, times in computed.items():  # nothing rewritten: the values were the same
        assert _computed_at(model, "pk") == times, model.__name__


def test_tallies_are_never_negative_and_empty_rows_are_removed(portfolio):
    aggregation.scores_full_recompute()
    for agreement in portfolio.agreements:  # everything stops counting
        agreement.status = AgreementStatus.SUSPENDED
        agreement.save(update_fields=["status"])
    aggregation.agreements_recompute(agreement_ids=[a.pk for a in portfolio.agreements])

    assert not PartnerScore.objects.exists()
    assert not CategoryScore.objects.exists()
    assert not PartnerCategoryScore.objects.exists()
    assert not PortfolioScore.objects.exists()
    assert score_selectors.scoped_tallies(team_ids=None, level=ScoreLevel.PORTFOLIO) == {"portfolio": scoring.Tally()}


def test_incremental_statement_count_does_not_grow_with_the_portfolio(django_assert_max_num_queries):
    counts = []
    for seed, size in ((11, 10), (12, 60)):
        build_portfolio(seed=seed, agreements=size)
        aggregation.scores_full_recompute()
        # An active agreement with a partner in both portfolios, so that both recomputes write every
        # level (an inactive one writes its own score only: fewer statements, whatever the size).
        agreement = (Assessment.objects.filter(status=AssessmentStatus.APPROVED,
                                               agreement__status=AgreementStatus.ACTIVE,
                                               agreement__partners__isnull=False)
                     .order_by("-id").first().agreement)
        approve_new_assessment(agreement=agreement, rng=random.Random(seed))
        with django_assert_max_num_queries(25) as captured:
            aggregation.agreements_recompute(agreement_ids=[agreement.pk])
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_incremental_path_uses_the_same_rollup_as_full_for_every_method():
    floors = {"rules": [{"escalate_band": "HIGH", "min_count": 1, "to_band": "HIGH"}]}
    for method, params in ((RollupMethod.WORST_CASE, {}), (RollupMethod.COUNT_RULE, {}),
                           (RollupMethod.WEIGHTED_MEAN, {}), (RollupMethod.WEIGHTED_MEAN, floors)):
        catalogue = CatalogueFactory(rollup_method=method, rollup_params=params)
        agreement = AgreementFactory()
        approve_new_assessment(agreement=agreement, rng=random.Random(3), catalogue=catalogue)
        aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    incremental = scores_stored()
    aggregation.scores_full_recompute()
    assert scores_differences(scores_stored(), incremental) == []


# --- Teams ----------------------------------------------------------------------------------------


def _team_reference(team_id: int) -> dict[tuple, scoring.Tally]:
    """The tallies of one team from the pure Python reference, keyed without the team."""
    return {key[:-1]: tally for key, tally in scores_compute_in_python().tallies.items() if key[-1] == team_id}


def test_a_partner_shared_by_two_teams_is_counted_for_each_team_apart(portfolio):
    rng, catalogue = random.Random(21), portfolio.catalogues[0]
    shared = PartnerFactory()
    team_a, team_b = portfolio.teams[:2]
    for team, count in ((team_a, 2), (team_b, 3)):
        for _ in range(count):
            agreement = AgreementFactory(owner_team=team, partners=[shared, rng.choice(portfolio.partners)])
            approve_new_assessment(agreement=agreement, rng=rng, catalogue=catalogue)
    aggregation.scores_full_recompute()

    rows = {row.team_id: row.tally for row in PartnerScore.objects.filter(partner=shared)}
    assert set(rows) == {team_a.pk, team_b.pk} and rows[team_a.pk].n == 2 and rows[team_b.pk].n == 3
    for team in (team_a, team_b):
        alone = _team_reference(team.pk)  # a recompute over that team's agreements alone
        scoped = score_selectors.scoped_tallies(team_ids=frozenset({team.pk}), level=ScoreLevel.PARTNER)
        assert scoped[str(shared.pk)] == alone[scoring.partner_key(shared.pk)]
        assert scoped == {str(key[1]): t for key, t in alone.items() if key[0] == "partner"}
        assert score_selectors.scoped_tallies(team_ids=frozenset({team.pk}), level=ScoreLevel.PORTFOLIO) == {
            "portfolio": alone[scoring.PORTFOLIO]}
        categories = score_selectors.scoped_tallies(team_ids=frozenset({team.pk}), level=ScoreLevel.CATEGORY)
        assert categories == {key[1]: t for key, t in alone.items() if key[0] == "category"}
        cells = score_selectors.scoped_partner_category_tallies(team_ids=frozenset({team.pk}),
                                                                partner_ids=[shared.pk])
        assert cells == {key[1:]: t for key, t in alone.items() if key[0] == "partner_category" and key[1] == shared.pk}
    both = score_selectors.scoped_tallies(team_ids=frozenset({team_a.pk, team_b.pk}), level=ScoreLevel.PARTNER,
                                          keys=[str(shared.pk)])
    assert both == {str(shared.pk): rows[team_a.pk] + rows[team_b.pk]}
    everyone = score_selectors.scoped_tallies(team_ids=None, level=ScoreLevel.PORTFOLIO)["portfolio"]
    assert everyone == scoring.tally_sum(row.tally for row in PortfolioScore.objects.all())
    assert score_selectors.scoped_tallies(team_ids=frozenset(), level=ScoreLevel.PARTNER) == {}


def test_incremental_recompute_after_an_owner_team_change_equals_a_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    agreement = _counted_agreement_with_partners(portfolio, at_least=2)
    old_team = agreement.owner_team_id
    new_team = next(t.pk for t in portfolio.teams if t.pk != old_team)
    before_old = PortfolioScore.objects.get(team=old_team).n
    before_new = PortfolioScore.objects.filter(team=new_team).values_list("n", flat=True).first() or 0

    agreement.owner_team_id = new_team
    agreement.save(update_fields=["owner_team"])
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])

    assert AgreementScore.objects.get(agreement=agreement).counted_team_id == new_team
    assert PortfolioScore.objects.filter(team=old_team, n=before_old - 1).exists() or (
        before_old == 1 and not PortfolioScore.objects.filter(team=old_team).exists())
    assert PortfolioScore.objects.get(team=new_team).n == before_new + 1
    assert_incremental_equals_full_from_scratch()


def test_owner_team_change_of_an_inactive_agreement_is_recorded_for_later(portfolio):
    aggregation.scores_full_recompute()
    score = AgreementScore.objects.filter(is_active=False).select_related("agreement").first()
    agreement = score.agreement
    new_team = next(t.pk for t in portfolio.teams if t.pk != agreement.owner_team_id)
    agreement.owner_team_id = new_team
    agreement.save(update_fields=["owner_team"])
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    agreement.status = AgreementStatus.ACTIVE  # it starts counting: for its new team
    agreement.save(update_fields=["status"])
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])

    assert AgreementScore.objects.get(agreement=agreement).counted_team_id == new_team
    assert_incremental_equals_full_from_scratch()


def test_incremental_recompute_after_the_counted_team_was_deleted_equals_a_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    agreement = _counted_agreement_with_partners(portfolio, at_least=1)
    doomed = TeamFactory()
    # The agreement moves to a new team, is counted there, then moves back; that team is deleted
    # (its rows cascade) before the recompute that would subtract from it.
    agreement.owner_team = doomed
    agreement.save(update_fields=["owner_team"])
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    assert PortfolioScore.objects.filter(team=doomed).exists()
    agreement.owner_team = portfolio.teams[0]
    agreement.save(update_fields=["owner_team"])
    doomed.delete()

    aggregation.agreements_recompute(agreement_ids=[agreement.pk])

    assert_incremental_equals_full_from_scratch()


# --- Snapshots per team ---------------------------------------------------------------------------


def test_scoped_history_sums_each_teams_latest_snapshot(portfolio):
    day1, day2, day3 = dt.date(2026, 3, 1), dt.date(2026, 3, 5), dt.date(2026, 3, 9)
    aggregation.scores_full_recompute(today=day1)
    day1_by_team = {row.team_id: row.tally for row in PortfolioScore.objects.all()}
    agreement = AgreementScore.objects.filter(is_active=True).select_related("agreement").first().agreement
    team = agreement.owner_team_id
    approve_new_assessment(agreement=agreement, rng=random.Random(31))
    aggregation.scores_full_recompute(today=day2)  # only that team's rows change
    day2_by_team = {row.team_id: row.tally for row in PortfolioScore.objects.all()}
    others = frozenset(t for t in day1_by_team if t != team)

    as_of = score_selectors.scoped_tallies_as_of
    assert as_of(team_ids=None, level=ScoreLevel.PORTFOLIO, day=day1)["portfolio"] == scoring.tally_sum(
        day1_by_team.values())
    assert as_of(team_ids=frozenset({team}), level=ScoreLevel.PORTFOLIO, day=day3)["portfolio"] == day2_by_team[team]
    # The other teams have no row on day 2: their day-1 rows still hold.
    assert as_of(team_ids=others, level=ScoreLevel.PORTFOLIO, day=day3)["portfolio"] == scoring.tally_sum(
        day1_by_team[t] for t in others)
    assert as_of(team_ids=None, level=ScoreLevel.PORTFOLIO, day=dt.date(2026, 2, 1))["portfolio"] == scoring.Tally()

    points = score_selectors.scoped_trend(team_ids=frozenset({team}), level=ScoreLevel.PORTFOLIO, key="portfolio",
                                          start=dt.date(2026, 2, 28), end=day3)
    assert [p.n for p in points[:2]] == [0, day1_by_team[team].n]
    assert points[-1].score == day2_by_team[team].score and len(points) == 10
    changes = score_selectors.scoped_changes(team_ids=frozenset({team}), level=ScoreLevel.PARTNER, start=day1,
                                             end=day3)
    moved = {key for key, (before, after) in changes.items() if before != after}
    assert moved == {str(p) for p in agreement.partners.values_list("pk", flat=True)}


# --- Partner changes ----------------------------------------------------------------------------


def _counted_agreement_with_partners(portfolio, at_least: int):
    return next(
        a for a in portfolio.agreements
        if a.partners.count() >= at_least and AgreementScore.objects.filter(agreement=a, is_active=True).exists()
    )


def test_full_recompute_records_the_partners_each_agreement_was_counted_for(portfolio):
    aggregation.scores_full_recompute()

    for score in AgreementScore.objects.select_related("agreement"):
        assert score.counted_partner_ids == tuple(sorted(score.agreement.partners.values_list("pk", flat=True)))


def test_incremental_recompute_after_a_partner_is_removed_equals_a_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    agreement = _counted_agreement_with_partners(portfolio, at_least=2)
    removed = agreement.partners.order_by("pk").first()
    team_rows = PartnerScore.objects.filter(partner=removed, team=agreement.owner_team_id)
    counted_before = team_rows.get().n

    agreement.partners.remove(removed)
    aggregation.agreements_recompute(agreement_ids=[agreement.pk])

    # The removed partner no longer counts the agreement (its row goes if that was its only one).
    assert team_rows.filter(n=counted_before - 1).exists() or (counted_before == 1 and not team_rows.exists())
    assert AgreementScore.objects.get(agreement=agreement).counted_partner_ids == tuple(
        sorted(agreement.partners.values_list("pk", flat=True))
    )
    assert_incremental_equals_full_from_scratch()


def test_incremental_recompute_after_partners_are_added_and_replaced_equals_a_full_recompute(portfolio):
    aggregation.scores_full_recompute()
    rng = random.Random(17)
    newcomer = PartnerFactory()  # no agreement yet: its scores appear with this change
    first = _counted_agreement_with_partners(portfolio, at_least=1)
    first.partners.add(newcomer)
    second = _counted_agreement_with_partners(portfolio, at_least=2)
    if second.pk == first.pk:
        second = next(a for a in portfolio.agreements if a.pk != first.pk and a.assessments.exists())
    second.partners.set(rng.sample(portfolio.partners, 2))  # some removed, some added
    approve_new_assessment(agreement=second, rng=rng)  # and a new assessment in the same recompute

    aggregation.agreements_recompute(agreement_ids=[first.pk, second.pk])

    assert PartnerScore.objects.get(partner=newcomer).n == 1
    assert_incremental_equals_full_from_scratch()


def test_partner_changes_of_inactive_or_unscored_agreements_are_recorded_for_later(portfolio):
    aggregation.scores_full_recompute()
    inactive = next(a for a in portfolio.agreements
                    if AgreementScore.objects.filter(agreement=a, is_active=False).exists())
    inactive.partners.set([portfolio.partners[0]])
    aggregation.agreements_recompute(agreement_ids=[inactive.pk])
    inactive.status = AgreementStatus.ACTIVE  # it starts counting, for the partner it has now
    inactive.save(update_fields=["status"])

    aggregation.agreements_recompute(agreement_ids=[inactive.pk])

    assert_incremental_equals_full_from_scratch()


@pytest.mark.parametrize("how", ["one of several", "its only partner"])
def test_incremental_recompute_after_a_counted_partner_was_deleted_equals_a_full_recompute(portfolio, how):
    """Defect 2: a partner deleted behind the services' back (a cascade, the shell) took its score
    rows with it; the agreement's next recompute must not subtract from, or recreate, them."""
    aggregation.scores_full_recompute()
    agreement = _counted_agreement_with_partners(portfolio, at_least=2 if how == "one of several" else 1)
    if how == "its only partner":
        agreement.partners.set([agreement.partners.order_by("pk").first()])
        aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    gone = agreement.partners.order_by("pk").first()
    Partner.objects.filter(pk=gone.pk).delete()
    assert not PartnerScore.objects.filter(partner_id=gone.pk).exists()
    approve_new_assessment(agreement=agreement, rng=random.Random(3))

    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    connection.check_constraints()  # what the recompute's commit checks

    assert not PartnerScore.objects.filter(partner_id=gone.pk).exists()
    assert not PartnerCategoryScore.objects.filter(partner_id=gone.pk).exists()
    assert_incremental_equals_full_from_scratch()


# --- The PostgreSQL single pass and its general fallback ------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single pass runs on PostgreSQL only")
def test_the_single_pass_is_used_on_postgresql(portfolio):
    from assessments.aggregation import single_pass

    calls = []
    real = single_pass.rebuild_scores_postgresql

    def spy(cursor, **kwargs):
        calls.append(result := real(cursor, **kwargs))
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("assessments.aggregation.full.rebuild_scores_postgresql", spy)
        aggregation.scores_full_recompute()
    assert calls and calls[0] is not None  # not handed over to the general path
    assert_scores_equal_reference()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single pass runs on PostgreSQL only")
def test_too_many_category_codes_hand_over_to_the_general_path(portfolio, monkeypatch):
    from assessments.aggregation import single_pass

    monkeypatch.setattr(single_pass, "MAX_CODES", 1)
    aggregation.scores_full_recompute()
    assert_scores_equal_reference()


def test_a_rating_of_another_catalogues_category_is_scored_as_the_reference_does(portfolio):
    """Forms never do it, but if a rating's category is of another catalogue (here with a code its
    assessment's catalogue also has), the full recompute still equals the reference."""
    aggregation.scores_full_recompute()
    assessment = AgreementScore.objects.filter(is_active=True).order_by("agreement_id").first().assessment
    other = next(c for c in portfolio.catalogues if c.pk != assessment.catalogue_id)
    rating = assessment.ratings.order_by("pk").first()
    rating.category = other.categories.get(code=rating.category.code) if other.categories.filter(
        code=rating.category.code).exists() else other.categories.first()
    rating.save(update_fields=["category"])

    aggregation.scores_full_recompute()

    assert AgreementScore.objects.get(agreement_id=assessment.agreement_id).n_ratings == assessment.ratings.filter(
        residual_likelihood__isnull=False, residual_impact__isnull=False).count()
    assert_scores_equal_reference()


# --- Dirty marks ------------------------------------------------------------------------------


def test_marks_are_cleared_by_the_recompute_that_covers_them(portfolio):
    ids = [a.pk for a in portfolio.agreements[:5]]
    aggregation.agreements_mark_dirty(agreement_ids=ids, reason="test")
    aggregation.agreements_mark_dirty(agreement_ids=ids[:2], reason="again")
    assert DirtyAgreement.objects.get(agreement_id=ids[0]).generation == 2

    aggregation.agreements_recompute(agreement_ids=ids[:3])
    assert sorted(DirtyAgreement.objects.values_list("agreement_id", flat=True)) == sorted(ids[3:])

    aggregation.scores_full_recompute()
    assert not DirtyAgreement.objects.exists()


def test_sweep_recomputes_dirty_agreements_in_batches(portfolio):
    aggregation.scores_full_recompute()
    rng = random.Random(5)
    changed = list(_random_changes(rng, [a for a in portfolio.agreements
                                         if Assessment.objects.filter(agreement=a).exists()], 12))
    aggregation.agreements_mark_dirty(agreement_ids=changed, reason="test")

    result = aggregation.scores_sweep(batch_size=4, full_threshold=1000)

    assert not result.full and result.batches >= 2 and result.remaining == 0
    assert_scores_equal_reference()


def test_sweep_runs_a_full_recompute_when_much_is_dirty(portfolio):
    aggregation.agreements_mark_dirty(agreement_ids=[a.pk for a in portfolio.agreements], reason="test")

    result = aggregation.scores_sweep(full_threshold=5)

    assert result.full and result.remaining == 0
    assert_scores_equal_reference()


def _poison(agreement_id: int) -> None:
    """Make recomputing this one agreement fail: its stored score names a catalogue that does not
    exist, so its old contribution cannot be scored (a stand-in for any fault of one agreement)."""
    AgreementScore.objects.filter(agreement_id=agreement_id).update(catalogue_id=10**9)


def _scored_agreements(portfolio):
    return [a for a in portfolio.agreements if AgreementScore.objects.filter(agreement=a, is_active=True).exists()]


def test_one_failing_agreement_does_not_hold_a_sweep_batch_hostage(portfolio, caplog):
    aggregation.scores_full_recompute()
    poisoned, *others = _scored_agreements(portfolio)
    changed = set(_random_changes(random.Random(5), others, 12))
    _poison(poisoned.pk)
    aggregation.agreements_mark_dirty(agreement_ids=[*changed, poisoned.pk], reason="test")

    result = aggregation.scores_sweep(batch_size=100, full_threshold=1000)

    assert (result.agreements, result.failed, result.remaining) == (len(changed), 1, 1)
    mark = DirtyAgreement.objects.get()
    assert (mark.agreement_id, mark.failures) == (poisoned.pk, 1)
    assert mark.last_error and mark.retry_at > timezone.now()
    assert f"agreement {poisoned.pk} could not be recomputed (1 time in a row)" in caplog.text
    # The others were recomputed: all equals a full recompute but the poisoned agreement's own row.
    incremental = scores_stored()
    differences = scores_differences(scores_from_scratch(), incremental)
    assert [d.split(":")[0] for d in differences] == [f"agreement {poisoned.pk}"]


def test_a_failing_agreement_waits_longer_after_each_failure_and_a_new_change_retries_it(portfolio, settings):
    settings.RISKBOARD_SCORES_RETRY_SECONDS = 120
    aggregation.scores_full_recompute()
    poisoned = _scored_agreements(portfolio)[0]
    _poison(poisoned.pk)
    aggregation.agreements_mark_dirty(agreement_ids=[poisoned.pk], reason="test")
    aggregation.scores_sweep(full_threshold=1000)
    first = DirtyAgreement.objects.get()

    again = aggregation.scores_sweep(full_threshold=1000)  # a minute later, say: not yet due

    assert (again.agreements, again.failed) == (0, 0)
    assert DirtyAgreement.objects.get().failures == 1
    DirtyAgreement.objects.update(retry_at=timezone.now() - dt.timedelta(seconds=1))  # its time has come
    before = timezone.now()
    aggregation.scores_sweep(full_threshold=1000)
    second = DirtyAgreement.objects.get()
    assert second.failures == 2
    assert second.retry_at - before >= dt.timedelta(seconds=240) > first.retry_at - before

    aggregation.scores_full_recompute()  # rebuilds its stored score: the fault is gone
    aggregation.agreements_mark_dirty(agreement_ids=[poisoned.pk], reason="approval")  # a new change
    assert DirtyAgreement.objects.get().retry_at is None
    assert aggregation.scores_sweep(full_threshold=1000).agreements == 1
    assert not DirtyAgreement.objects.exists()
    assert_scores_equal_reference()


def test_a_transient_database_error_stops_the_sweep_and_blames_no_agreement(portfolio, monkeypatch):
    aggregation.agreements_mark_dirty(agreement_ids=[a.pk for a in portfolio.agreements[:3]], reason="test")

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("assessments.aggregation.dirty.agreements_recompute", database_gone)
    with pytest.raises(OperationalError):  # the task retries the whole sweep
        aggregation.scores_sweep(full_threshold=1000)

    assert set(DirtyAgreement.objects.values_list("failures", "retry_at")) == {(0, None)}


# --- Snapshots ----------------------------------------------------------------------------------


def test_snapshots_store_only_changes_per_day(portfolio):
    day1, day2, day3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)
    result = aggregation.scores_full_recompute(today=day1)
    first_day = ScoreSnapshot.objects.filter(day=day1)
    partners = PartnerScore.objects.count()
    assert first_day.filter(level="partner").count() == partners  # one per partner and team
    assert first_day.filter(level="portfolio").count() == PortfolioScore.objects.count() > 1
    assert result.rows["snapshots"] == first_day.count()  # as the command reports it

    result = aggregation.scores_full_recompute(today=day2)  # nothing changed
    assert not ScoreSnapshot.objects.filter(day=day2).exists() and result.rows["snapshots"] == 0

    active = AgreementScore.objects.filter(is_active=True).select_related("agreement").first().agreement
    approve_new_assessment(agreement=active, rng=random.Random(9))
    aggregation.scores_full_recompute(today=day3)
    aggregation.scores_full_recompute(today=day3)  # idempotent within a day
    changed = ScoreSnapshot.objects.filter(day=day3)
    assert set(changed.filter(level="portfolio").values_list("team_id", flat=True)) == {active.owner_team_id}
    assert set(changed.filter(level="partner").values_list("key", "team_id")) == {
        (str(p), active.owner_team_id) for p in active.partners.values_list("pk", flat=True)
    }
    portfolio_now = PortfolioScore.objects.get(team=active.owner_team_id)
    assert changed.get(level="portfolio").tally == portfolio_now.tally


def test_snapshot_records_a_zero_row_when_a_key_stops_counting(portfolio):
    aggregation.scores_full_recompute(today=dt.date(2026, 3, 1))
    partner_score = PartnerScore.objects.first()
    for agreement in partner_score.partner.agreements.all():
        agreement.status = AgreementStatus.TERMINATED
        agreement.save(update_fields=["status"])

    aggregation.scores_full_recompute(today=dt.date(2026, 3, 2))

    zero = ScoreSnapshot.objects.get(day=dt.date(2026, 3, 2), level="partner", key=str(partner_score.partner_id),
                                     team=partner_score.team_id)
    assert zero.n == 0


def test_sql_runs_on_this_database():
    assert connection.vendor in ("sqlite", "postgresql")
