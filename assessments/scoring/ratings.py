"""A rating's scores, and an agreement's result from the ratings of its latest approved assessment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .matrix import Matrix, band_counts, worst_rank
from .numbers import CentiScores, centi_round, fingerprint_sum, rating_hash, weighted_rating_hash
from .rollup import Rollup

LOW, MEDIUM, HIGH = "low", "medium", "high"
# Levels by which a rating's confidence widens its low-high range, on both likelihood and impact.
DEFAULT_CONFIDENCE_WIDENING: Mapping[str, int] = {HIGH: 0, MEDIUM: 0, LOW: 1}


@dataclass(frozen=True)
class RatingLevels:
    """One complete rating of the current assessment as scoring reads it: levels 1..5, its
    category's code and weight (hundredths). (``services.RatingInput`` is what a form submits.)"""

    rating_id: int
    category: str  # the category code, stable across catalogue versions
    weight: int
    inherent_likelihood: int
    inherent_impact: int
    residual_likelihood: int
    residual_impact: int
    confidence: str = MEDIUM


@dataclass(frozen=True)
class RatingScore:
    """A rating's scores (1..25) and band ranks, with its confidence range."""

    rating_id: int
    category: str
    weight: int
    inherent: int
    residual: int
    residual_low: int
    residual_high: int
    rank: int
    rank_low: int
    rank_high: int

    @property
    def fingerprint(self) -> int:
        return rating_hash(self.rating_id)


def rating_score(
    rating: RatingLevels, *, matrix: Matrix, widening: Mapping[str, int] = DEFAULT_CONFIDENCE_WIDENING
) -> RatingScore:
    """Score one rating. The range moves both residual levels down (low) and up (high) by the levels
    its confidence widens by, within the scale; a confident rating has ``low == residual == high``."""
    w = widening.get(rating.confidence, 0)
    rl, ri = rating.residual_likelihood, rating.residual_impact
    low_l, low_i = matrix.clamp(rl - w), matrix.clamp(ri - w)
    high_l, high_i = matrix.clamp(rl + w), matrix.clamp(ri + w)
    return RatingScore(
        rating_id=rating.rating_id,
        category=rating.category,
        weight=rating.weight,
        inherent=rating.inherent_likelihood * rating.inherent_impact,
        residual=rl * ri,
        residual_low=low_l * low_i,
        residual_high=high_l * high_i,
        rank=matrix.band(rl, ri),
        rank_low=matrix.band(low_l, low_i),
        rank_high=matrix.band(high_l, high_i),
    )



@dataclass(frozen=True)
class AgreementResult(CentiScores):
    """An agreement's scores from the ratings of its latest approved assessment.

    Weighted sums are ``sum(weight x score)`` over its ratings (weights in hundredths); centi-scores
    are the weighted means rounded half up (100..2500); ``band_counts`` counts categories per
    residual band; ``band_rank`` is the catalogue roll-up's band, with its confidence range.
    """

    n_ratings: int
    weight_total: int
    residual_wsum: int
    residual_wsum_low: int
    residual_wsum_high: int
    inherent_wsum: int
    score_c: int
    score_low_c: int
    score_high_c: int
    inherent_score_c: int
    band_counts: tuple[int, ...]
    worst_rank: int
    band_rank: int
    band_rank_low: int
    band_rank_high: int
    fingerprint: int


def agreement_result(scores: Iterable[RatingScore], *, matrix: Matrix, rollup: Rollup) -> AgreementResult | None:
    """Roll an assessment's rating scores up into the agreement's result; None without ratings."""
    scores = list(scores)
    if not scores:
        return None
    total = sum(s.weight for s in scores)
    if total <= 0:
        raise ValueError("Category weights must be positive.")
    wsum = sum(s.weight * s.residual for s in scores)
    wsum_low = sum(s.weight * s.residual_low for s in scores)
    wsum_high = sum(s.weight * s.residual_high for s in scores)
    inherent = sum(s.weight * s.inherent for s in scores)
    counts = band_counts(s.rank for s in scores)
    return AgreementResult(
        n_ratings=len(scores),
        weight_total=total,
        residual_wsum=wsum,
        residual_wsum_low=wsum_low,
        residual_wsum_high=wsum_high,
        inherent_wsum=inherent,
        score_c=centi_round(wsum, total),
        score_low_c=centi_round(wsum_low, total),
        score_high_c=centi_round(wsum_high, total),
        inherent_score_c=centi_round(inherent, total),
        band_counts=counts,
        worst_rank=worst_rank(s.rank for s in scores),
        band_rank=rollup.band(ranks=(s.rank for s in scores), weighted_sum=wsum, weight_total=total, matrix=matrix),
        band_rank_low=rollup.band(
            ranks=(s.rank_low for s in scores), weighted_sum=wsum_low, weight_total=total, matrix=matrix
        ),
        band_rank_high=rollup.band(
            ranks=(s.rank_high for s in scores), weighted_sum=wsum_high, weight_total=total, matrix=matrix
        ),
        fingerprint=fingerprint_sum(weighted_rating_hash(s.rating_id, s.weight) for s in scores),
    )


def agreement_score(
    ratings: Iterable[RatingLevels],
    *,
    matrix: Matrix,
    rollup: Rollup,
    widening: Mapping[str, int] = DEFAULT_CONFIDENCE_WIDENING,
) -> AgreementResult | None:
    """Score complete ratings and roll them up: ``agreement_result`` of ``rating_score`` of each."""
    return agreement_result((rating_score(r, matrix=matrix, widening=widening) for r in ratings),
                            matrix=matrix, rollup=rollup)
