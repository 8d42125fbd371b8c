"""How each stored score is explained (``selectors.explain``), from data whose numbers are worked
out by hand here: what is counted, the arithmetic, the bands, and what each viewer sees listed."""

from decimal import Decimal

import pytest

from assessments import aggregation, selectors, services
from assessments.models import AgreementScore
from catalogue.models import RiskCategory
from tests.factories import PartnerFactory, rating_inputs

pytestmark = pytest.mark.django_db


def _approve(world, agreement, levels, *, analyst, manager):
    """Approve an assessment of ``agreement`` rating each category code as ``levels[code]``:
    ``(inherent, residual, confidence)``."""
    draft = services.assessment_start(agreement=agreement, actor=analyst)
    inputs = []
    for category in draft.catalogue.categories.prefetch_related("safeguards"):
        inherent, residual, confidence = levels[category.code]
        inputs += rating_inputs([category], inherent=inherent, residual=residual, confidence=confidence)
    services.assessment_save_ratings(assessment=draft, actor=analyst, expected_version=draft.version, ratings=inputs)
    return services.assessment_approve(assessment=services.assessment_submit(assessment=draft, actor=analyst),
                                       actor=manager)


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Shared Partner")


@pytest.fixture
def mine(world, partner):
    """CAT_1 weighs 2.00, the others 1.00. Residual scores 16 (High), 6 (Medium), 2 (Low, low
    confidence: 1 to 6): weighted mean (2 x 16 + 6 + 2) / 4 = 10.00, High."""
    RiskCategory.objects.filter(catalogue=world.catalogue, code="CAT_1").update(weight=Decimal("2.00"))
    agreement = world.agreement(reference="AGR-MINE", partners=[partner])
    _approve(world, agreement, {
        "CAT_1": ((5, 5), (4, 4), "high"), "CAT_2": ((5, 5), (2, 3), "medium"), "CAT_3": ((5, 5), (1, 2), "low"),
    }, analyst=world.analyst, manager=world.reviewer)
    return agreement


@pytest.fixture
def theirs(world, partner, mine):
    """Another team's agreement with the same partner: every residual 1 x 1, score 1.00, Low."""
    agreement = world.agreement(team=world.other_team, reference="AGR-THEIRS", partners=[partner])
    _approve(world, agreement, dict.fromkeys(("CAT_1", "CAT_2", "CAT_3"), ((2, 2), (1, 1), "medium")),
             analyst=world.other_analyst, manager=world.other_manager)
    return agreement


@pytest.fixture
def scored(mine, theirs):
    aggregation.scores_full_recompute()


def _codes(bands):
    return [band.code if band else None for band in bands]


def test_an_agreement_is_explained_rating_by_rating(mine, scored):
    explanation = selectors.agreement_explain(agreement=mine)

    assert explanation.score == AgreementScore.objects.get(agreement=mine) and explanation.matches_stored
    assert explanation.freshness == selectors.Freshness(explanation.score.computed_at, False)
    assert explanation.assessment == explanation.score.assessment
    lines = explanation.lines
    assert [line.rating.category.code for line in lines] == ["CAT_1", "CAT_2", "CAT_3"]  # display order
    assert [line.weight for line in lines] == [Decimal("2.00"), Decimal("1.00"), Decimal("1.00")]
    assert [line.score.residual for line in lines] == [16, 6, 2]
    assert [line.weighted for line in lines] == [Decimal("32.00"), Decimal("6.00"), Decimal("2.00")]
    assert _codes(line.band for line in lines) == ["HIGH", "MEDIUM", "LOW"]
    assert _codes([lines[2].band_low, lines[2].band_high]) == ["LOW", "MEDIUM"]  # low confidence: 1 to 6
    assert (explanation.weight_total, explanation.weighted_sum) == (Decimal("4.00"), Decimal("40.00"))
    result = explanation.result
    assert (result.score, result.score_low, result.score_high, result.inherent_score) == (
        Decimal("10.00"), Decimal("9.75"), Decimal("11.00"), Decimal("25.00"))
    assert explanation.rollup == "Band of the weighted mean residual score"
    assert _codes([explanation.band, explanation.band_low, explanation.band_high, explanation.worst_band]) == [
        "HIGH", "MEDIUM", "HIGH", "HIGH"]
    assert [(d.band.code, d.count) for d in explanation.distribution] == [
        ("LOW", 1), ("MEDIUM", 1), ("HIGH", 1), ("CRITICAL", 0)]


def test_before_the_first_recompute_the_latest_approved_assessment_is_explained(world, mine):
    AgreementScore.objects.all().delete()

    explanation = selectors.agreement_explain(agreement=mine)

    assert explanation.score is None and not explanation.matches_stored
    assert explanation.assessment.agreement == mine and explanation.result.score == Decimal("10.00")


def test_an_agreement_without_an_approved_assessment_has_nothing_to_explain(world):
    explanation = selectors.agreement_explain(agreement=world.agreement())

    assert explanation.assessment is None and explanation.result is None and explanation.lines == []
    assert explanation.weight_total == 0 and explanation.distribution == [] and explanation.band is None


def test_a_partner_counts_and_lists_only_the_agreements_of_the_viewers_teams(
    world, partner, mine, theirs, scored
):
    explanation = selectors.partner_explain(partner=partner, user=world.analyst)

    assert (explanation.title, explanation.unit) == ("Shared Partner", "agreements")
    # The partner is shared with another team: only this team's agreement counts (10.00, High).
    assert explanation.tally.n == 1 and explanation.tally.score == Decimal("10.00")
    assert [c.agreement for c in explanation.contributions] == [mine]
    assert explanation.contributions[0].band.code == "HIGH"
    assert [(d.band.code, d.count) for d in explanation.distribution] == [
        ("LOW", 0), ("MEDIUM", 0), ("HIGH", 1), ("CRITICAL", 0)]
    breakdown = [(row.category_code, name, row.n, row.score, row.worst_band.code)
                 for row, name in explanation.breakdown]
    assert breakdown == [("CAT_1", "Category 1", 1, Decimal("16.00"), "HIGH"),
                         ("CAT_2", "Category 2", 1, Decimal("6.00"), "MEDIUM"),
                         ("CAT_3", "Category 3", 1, Decimal("2.00"), "LOW")]
    # The other team sees its own figure for the same partner.
    theirs_only = selectors.partner_explain(partner=partner, user=world.other_analyst)
    assert theirs_only.tally.n == 1 and theirs_only.tally.score == Decimal("1.00")
    assert [c.agreement for c in theirs_only.contributions] == [theirs]

    everyone = selectors.partner_explain(partner=partner, user=world.auditor)
    assert everyone.tally.n == 2 and everyone.tally.score == Decimal("5.50")  # (10.00 + 1.00) / 2
    assert [c.agreement for c in everyone.contributions] == [mine, theirs]  # highest first
    # Per category over both teams: CAT_1 counts 16 and 1 (8.50, worst High).
    assert [(row.category_code, row.n, row.score, row.worst_band.code) for row, _ in everyone.breakdown] == [
        ("CAT_1", 2, Decimal("8.50"), "HIGH"), ("CAT_2", 2, Decimal("3.50"), "MEDIUM"),
        ("CAT_3", 2, Decimal("1.50"), "LOW")]


def test_a_category_counts_and_lists_the_ratings_of_the_viewers_teams(world, mine, theirs, scored):
    explanation = selectors.category_explain(code="CAT_2", user=world.analyst)

    assert (explanation.title, explanation.unit) == ("Category 2", "ratings")
    assert explanation.tally.n == 1 and explanation.tally.score == Decimal("6.00")
    assert explanation.score_sum == Decimal("6.00")
    assert [(r.assessment.agreement, r.residual) for r in explanation.contributions] == [(mine, 6)]

    everyone = selectors.category_explain(code="CAT_2", user=world.auditor)
    assert everyone.tally.n == 2 and everyone.tally.score == Decimal("3.50")  # (6 + 1) / 2
    top = selectors.category_explain(code="CAT_2", user=world.auditor, limit=1)
    assert [r.assessment.agreement for r in top.contributions] == [mine]  # the highest only


def test_the_portfolio_of_a_team_counts_only_that_teams_agreements(world, mine, theirs, scored):
    explanation = selectors.portfolio_explain(user=world.other_manager)

    assert explanation.tally.n == 1 and explanation.tally.score == Decimal("1.00")
    assert [(d.band.code, d.count) for d in explanation.distribution] == [
        ("LOW", 1), ("MEDIUM", 0), ("HIGH", 0), ("CRITICAL", 0)]
    assert [(row.category_code, row.score) for row, _name in explanation.breakdown] == [
        ("CAT_1", Decimal("1.00")), ("CAT_2", Decimal("1.00")), ("CAT_3", Decimal("1.00"))]


def test_the_portfolio_counts_each_active_agreement_by_its_band(world, mine, theirs, scored):
    explanation = selectors.portfolio_explain(user=world.auditor)

    assert explanation.tally.n == 2 and explanation.tally.score == Decimal("5.50")
    assert [(d.band.code, d.count) for d in explanation.distribution] == [
        ("LOW", 1), ("MEDIUM", 0), ("HIGH", 1), ("CRITICAL", 0)]
    assert [(row.category_code, name, row.score) for row, name in explanation.breakdown] == [
        ("CAT_1", "Category 1", Decimal("8.50")), ("CAT_2", "Category 2", Decimal("3.50")),
        ("CAT_3", "Category 3", Decimal("1.50"))]
    assert not explanation.freshness.pending


def test_a_category_is_known_by_its_code_in_any_catalogue_version(world):
    assert selectors.category_known("CAT_1") and not selectors.category_known("NOT_A_CODE")
