"""How each stored score was made: its inputs, the formula, and a check against a fresh computation.

Built for the "explain a score" pages now and the API later: plain dataclasses, no HTML.
Partner, category and portfolio scores are the viewer's: the stored per-team rows of the teams
the viewer may see, added up (``scores.scoped_tallies``). So they count exactly the agreements
listed as contributing, and nothing of another team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, QuerySet

from catalogue.models import Band, RiskCategory
from riskboard.permissions import visible_team_ids

from .. import scoring
from ..aggregation.catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels
from ..models import AgreementScore, Assessment, Partner, Rating, ScoreLevel
from .catalogues import category_names, display_bands
from .scores import (
    Freshness,
    agreement_score_read,
    agreements_visible,
    scoped_freshness,
    scoped_partner_category_tallies,
    scoped_tallies,
)


@dataclass(frozen=True)
class BandCount:
    rank: int
    band: Band | None
    count: int


def _distribution(counts: tuple[int, ...], bands: dict[int, Band]) -> list[BandCount]:
    ranks = sorted(set(bands) | {i + 1 for i, c in enumerate(counts) if c})
    return [BandCount(rank, bands.get(rank), counts[rank - 1]) for rank in ranks]


@dataclass(frozen=True)
class RatingLine:
    rating: Rating
    weight: Decimal
    score: scoring.RatingScore
    band: Band | None
    band_low: Band | None
    band_high: Band | None

    @property
    def weighted(self) -> Decimal:
        return scoring.centi_to_decimal(self.score.weight * self.score.residual)


@dataclass
class AgreementExplanation:
    """An agreement's score: the assessment and ratings used, the roll-up, and the arithmetic."""

    score: AgreementScore | None
    freshness: Freshness
    assessment: Assessment | None
    rollup: str = ""  # the roll-up rule in words, floors or count rules included
    raised_by: tuple[str, ...] = ()  # the rules, in words, that raised the band above its base band
    base_rank: int | None = None  # the band before any rule raised it (the weighted mean's, or the worst)
    base_what: str = ""  # what the base band is, in words
    lines: list[RatingLine] = field(default_factory=list)
    result: scoring.AgreementResult | None = None
    bands: dict[int, Band] = field(default_factory=dict)

    @property
    def weight_total(self) -> Decimal:
        return scoring.centi_to_decimal(self.result.weight_total) if self.result else Decimal(0)

    @property
    def weighted_sum(self) -> Decimal:
        return scoring.centi_to_decimal(self.result.residual_wsum) if self.result else Decimal(0)

    @property
    def matches_stored(self) -> bool:
        """True when recomputing now gives exactly the stored row (same inputs, same maths)."""
        return self.score is not None and self.result is not None and self.score.result == self.result

    @property
    def distribution(self) -> list[BandCount]:
        return _distribution(self.result.band_counts, self.bands) if self.result else []

    @property
    def band(self) -> Band | None:
        return self.bands.get(self.result.band_rank) if self.result else None

    @property
    def band_low(self) -> Band | None:
        return self.bands.get(self.result.band_rank_low) if self.result else None

    @property
    def band_high(self) -> Band | None:
        return self.bands.get(self.result.band_rank_high) if self.result else None

    @property
    def worst_band(self) -> Band | None:
        return self.bands.get(self.result.worst_rank) if self.result else None

    @property
    def base_band(self) -> Band | None:
        return self.bands.get(self.base_rank) if self.base_rank is not None else None


def agreement_explain(*, agreement) -> AgreementExplanation:
    """Explain the agreement's stored score from the assessment it names (or, before the first
    recompute, from its latest approved assessment). About six queries."""
    score, freshness = agreement_score_read(agreement=agreement)
    if score is not None:
        assessment = score.assessment
    else:
        assessment = (
            Assessment.objects.filter(agreement=agreement).approved_latest_first().select_related("catalogue").first()
        )
    out = AgreementExplanation(score=score, freshness=freshness, assessment=assessment)
    if assessment is None:
        return out
    rules = catalogue_rules(catalogue_ids=[assessment.catalogue_id])[assessment.catalogue_id]
    out.bands = dict(rules.bands)
    out.rollup = rules.rollup.describe(labels_by_rank={rank: band.label for rank, band in rules.bands.items()})
    widening = confidence_widening()
    ratings = (
        Rating.objects.filter(assessment=assessment).select_related("category")
        .order_by("category__display_order", "category__code")
    )
    scores = []
    for rating in ratings:
        if not rating.is_complete:
            continue
        levels = rating_levels([getattr(rating, column) for column in RATING_COLUMNS], categories=rules.categories)
        score_value = scoring.rating_score(levels, matrix=rules.matrix, widening=widening)
        scores.append(score_value)
        out.lines.append(RatingLine(rating, rating.category.weight, score_value, rules.bands.get(score_value.rank),
                                    rules.bands.get(score_value.rank_low), rules.bands.get(score_value.rank_high)))
    out.result = scoring.agreement_result(scores, matrix=rules.matrix, rollup=rules.rollup)
    if out.result is not None:
        labels = {rank: band.label for rank, band in rules.bands.items()}
        ranks = [s.rank for s in scores]
        sums = {"weighted_sum": out.result.residual_wsum, "weight_total": out.result.weight_total,
                "matrix": rules.matrix}
        out.base_rank = rules.rollup.base_band(ranks=ranks, **sums)
        out.base_what = ("band of the weighted mean" if rules.rollup.method == scoring.WEIGHTED_MEAN
                         else "worst residual band")
        out.raised_by = tuple(rules.rollup.describe_rule(rule, labels_by_rank=labels)
                              for rule in rules.rollup.raised_by(ranks=ranks, **sums))
    return out


@dataclass
class TallyExplanation:
    """A partner, category or portfolio score as the viewer may see it: the tally of the teams the
    viewer may see, its distribution, and what counted."""

    title: str
    unit: str  # what ``n`` counts: "agreements" or "ratings"
    tally: scoring.Tally
    freshness: Freshness
    bands: dict[int, Band]
    contributions: list = field(default_factory=list)
    breakdown: list = field(default_factory=list)  # per category (partner, portfolio): (CategoryRow, name)

    @property
    def distribution(self) -> list[BandCount]:
        return _distribution(self.tally.band_counts, self.bands)

    @property
    def score_sum(self) -> Decimal:
        return scoring.centi_to_decimal(self.tally.score_sum_c)


@dataclass(frozen=True)
class CategoryRow:
    """One category's line in a partner's or the portfolio's breakdown."""

    category_code: str
    tally: scoring.Tally
    worst_band: Band | None = None

    @property
    def n(self) -> int:
        return self.tally.n

    @property
    def score(self) -> Decimal | None:
        return self.tally.score

    @property
    def score_low(self) -> Decimal | None:
        return self.tally.score_low

    @property
    def score_high(self) -> Decimal | None:
        return self.tally.score_high


def _visible_active_scores(user) -> QuerySet[AgreementScore]:
    return AgreementScore.objects.filter(is_active=True, agreement__in=agreements_visible(user=user))


def partner_explain(*, partner: Partner, user) -> TallyExplanation:
    """A partner's mean over the active agreements of the teams ``user`` may see, and those agreements."""
    team_ids = visible_team_ids(user)
    key = str(partner.pk)
    tally = scoped_tallies(team_ids=team_ids, level=ScoreLevel.PARTNER, keys=[key]).get(key, scoring.Tally())
    contributions = list(
        _visible_active_scores(user).filter(agreement__partners=partner).select_related("agreement", "assessment")
        .order_by("-score_c", "agreement__reference")
    )
    names, bands = category_names(), display_bands()
    for contribution in contributions:
        contribution.band = bands.get(contribution.band_rank)
    cells = scoped_partner_category_tallies(team_ids=team_ids, partner_ids=[partner.pk])
    breakdown = [
        (CategoryRow(code, cell, bands.get(cell.worst_rank)), names.get(code, code))
        for (_pid, code), cell in sorted(cells.items())
    ]
    return TallyExplanation(
        title=partner.name, unit="agreements", tally=tally,
        freshness=scoped_freshness(team_ids=team_ids, level=ScoreLevel.PARTNER, keys=[key]), bands=bands,
        contributions=contributions, breakdown=breakdown,
    )


def category_explain(*, code: str, user, limit: int = 25) -> TallyExplanation:
    """A category's mean over the current ratings of the active agreements of the teams ``user``
    may see; the ``limit`` highest residual ratings among them."""
    team_ids = visible_team_ids(user)
    tally = scoped_tallies(team_ids=team_ids, level=ScoreLevel.CATEGORY, keys=[code]).get(code, scoring.Tally())
    visible = _visible_active_scores(user)
    ratings = (
        Rating.objects.complete().filter(category__code=code, assessment_id__in=visible.values("assessment_id"))
        .select_related("assessment__agreement", "category")
    )
    top = list(ratings.annotate(residual=F("residual_likelihood") * F("residual_impact")).order_by("-residual", "id")[
        :limit])
    return TallyExplanation(
        title=category_names().get(code, code), unit="ratings", tally=tally,
        freshness=scoped_freshness(team_ids=team_ids, level=ScoreLevel.CATEGORY, keys=[code]),
        bands=display_bands(), contributions=top,
    )


def portfolio_explain(*, user) -> TallyExplanation:
    """The portfolio of the teams ``user`` may see: its distribution by agreement band, its mean,
    and every category's score."""
    team_ids = visible_team_ids(user)
    names = category_names()
    categories = scoped_tallies(team_ids=team_ids, level=ScoreLevel.CATEGORY)
    return TallyExplanation(
        title="Portfolio", unit="agreements",
        tally=scoped_tallies(team_ids=team_ids, level=ScoreLevel.PORTFOLIO)["portfolio"],
        freshness=scoped_freshness(team_ids=team_ids, level=ScoreLevel.PORTFOLIO),
        bands=display_bands(),
        breakdown=[(CategoryRow(code, tally), names.get(code, code)) for code, tally in sorted(categories.items())],
    )


def category_known(code: str) -> bool:
    """Is ``code`` a category of some catalogue version?"""
    return RiskCategory.objects.filter(code=code).exists()
