"""The maths of risk scores: pure functions over plain values, no database and no Django.

Units and ranges used throughout (the stored aggregates use the same integers):

- **level**: likelihood or impact on the catalogue scale, an integer ``scale_min..scale_max`` (1..5).
- **score**: likelihood x impact, an integer 1..25 on the standard scale.
- **centi-score**: a score in hundredths of a point, an integer 100..2500. Means are rounded half
  up to a centi-score once, from exact integer sums, so SQL and Python round identically.
- **weight**: a category weight in hundredths (``Decimal("1.50")`` is ``150``), a positive integer.
- **band rank**: 1 (least severe) .. ``MAX_BAND_RANK``, as ``catalogue.Band.rank``.
- **band counts**: a tuple of ``MAX_BAND_RANK`` counts; index ``rank - 1`` counts that band.
- **fingerprint**: an integer ``0 <= f < FINGERPRINT_MODULUS``, the sum of a hash of each input
  (rating ids and weights) modulo a prime. A sum does not depend on input order and can be
  updated by exact deltas; it is a change detector, not a cryptographic digest.

A *tally* is what an aggregate stores: integer sums and counts that can be added and subtracted
exactly. Partner and portfolio tallies count agreements (one centi-score each); category tallies
count ratings (the rating's score x 100). A mean is ``score_sum_c / n``, rounded half up.

The package, by concept (every name is importable from ``assessments.scoring`` itself):

- ``numbers``: centi-scores, means, weights, fingerprints;
- ``matrix``: the risk matrix as data, band ranks and counts;
- ``rollup``: how an assessment's ratings roll up into its agreement's band;
- ``ratings``: a rating's scores and an agreement's result;
- ``tally``: the sums behind partner, category and portfolio aggregates.
"""

from .matrix import MAX_BAND_RANK, Matrix, band_counts, worst_rank, worst_rank_of_counts
from .numbers import (
    FINGERPRINT_MODULUS,
    MIX_MULTIPLIER,
    CentiScores,
    MeanScores,
    Scores,
    centi_round,
    centi_text,
    centi_to_decimal,
    fingerprint_sum,
    mean_centi,
    mean_score,
    normalised_weights,
    rating_hash,
    weight_hundredths,
    weighted_rating_hash,
)
from .ratings import (
    DEFAULT_CONFIDENCE_WIDENING,
    HIGH,
    LOW,
    MEDIUM,
    AgreementResult,
    RatingLevels,
    RatingScore,
    agreement_result,
    agreement_score,
    rating_score,
)
from .rollup import COUNT_RULE, ROLLUP_METHODS, WEIGHTED_MEAN, WORST_CASE, CountRule, Rollup, RollupError
from .tally import (
    PORTFOLIO,
    AgreementState,
    Tally,
    agreement_contributions,
    agreement_tally,
    category_key,
    contributions_delta,
    partner_category_key,
    partner_key,
    portfolio_key,
    portfolio_tallies,
    rating_tally,
    tally_sum,
)

__all__ = [
    "COUNT_RULE",
    "DEFAULT_CONFIDENCE_WIDENING",
    "FINGERPRINT_MODULUS",
    "HIGH",
    "LOW",
    "MAX_BAND_RANK",
    "MEDIUM",
    "MIX_MULTIPLIER",
    "PORTFOLIO",
    "ROLLUP_METHODS",
    "WEIGHTED_MEAN",
    "WORST_CASE",
    "AgreementResult",
    "AgreementState",
    "CentiScores",
    "CountRule",
    "Matrix",
    "MeanScores",
    "RatingLevels",
    "RatingScore",
    "Rollup",
    "RollupError",
    "Scores",
    "Tally",
    "agreement_contributions",
    "agreement_result",
    "agreement_score",
    "agreement_tally",
    "band_counts",
    "category_key",
    "centi_round",
    "centi_text",
    "centi_to_decimal",
    "contributions_delta",
    "fingerprint_sum",
    "mean_centi",
    "mean_score",
    "normalised_weights",
    "partner_category_key",
    "partner_key",
    "portfolio_key",
    "portfolio_tallies",
    "rating_hash",
    "rating_score",
    "rating_tally",
    "tally_sum",
    "weight_hundredths",
    "weighted_rating_hash",
    "worst_rank",
    "worst_rank_of_counts",
]
