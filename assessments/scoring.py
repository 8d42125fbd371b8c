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
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property

# Values of catalogue.choices.RollupMethod (a test keeps them in step; importing it would pull in
# django.db).
WEIGHTED_MEAN = "weighted_mean"
WORST_CASE = "worst_case"
COUNT_RULE = "count_rule"
ROLLUP_METHODS = (WEIGHTED_MEAN, WORST_CASE, COUNT_RULE)

LOW, MEDIUM, HIGH = "low", "medium", "high"
# Levels by which a rating's confidence widens its low-high range, on both likelihood and impact.
DEFAULT_CONFIDENCE_WIDENING: Mapping[str, int] = {HIGH: 0, MEDIUM: 0, LOW: 1}

# Stored aggregates keep one count column per band rank.
MAX_BAND_RANK = 6
FINGERPRINT_MODULUS = 2_147_483_647  # 2**31 - 1, a prime: sums of hashes stay far below 2**63
_MIX_MULTIPLIER = 48_271


# --- Numbers ------------------------------------------------------------------------------------


def centi_round(numerator: int, denominator: int) -> int:
    """``100 * numerator / denominator`` rounded half up to an integer (both arguments >= 0, den > 0)."""
    return (200 * numerator + denominator) // (2 * denominator)


def centi_to_decimal(centi: int) -> Decimal:
    """A centi-score as a Decimal with two places: ``1234`` -> ``Decimal("12.34")``."""
    return (Decimal(centi) / 100).quantize(Decimal("0.01"))


def mean_centi(sum_c: int, n: int) -> int | None:
    """The mean of ``n`` centi-scores summing to ``sum_c``, rounded half up; None when ``n == 0``."""
    if n <= 0:
        return None
    return (2 * sum_c + n) // (2 * n)


def mean_score(sum_c: int, n: int) -> Decimal | None:
    """The mean score (1.00..25.00) of ``n`` centi-scores summing to ``sum_c``; None when ``n == 0``."""
    centi = mean_centi(sum_c, n)
    return None if centi is None else centi_to_decimal(centi)


def weight_hundredths(weight: Decimal | int | float | str) -> int:
    """A category weight (e.g. ``Decimal("1.50")``) in hundredths (``150``), rounded half up.

    A float (SQLite returns decimals as floats) is read through its shortest repr, so 0.07 is 7.
    """
    if isinstance(weight, float):
        weight = repr(weight)
    return int((Decimal(weight) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def normalised_weights(weights: Iterable[int]) -> tuple[Fraction, ...]:
    """Each weight divided by their total: exact fractions in (0, 1] that sum to 1."""
    weights = tuple(weights)
    if not weights or any(w <= 0 for w in weights):
        raise ValueError("Weights must be positive and there must be at least one.")
    total = sum(weights)
    return tuple(Fraction(w, total) for w in weights)


def _mix(value: int) -> int:
    """A non-linear hash of an integer into ``0 <= h < FINGERPRINT_MODULUS`` (mirrored in SQL)."""
    x = value % FINGERPRINT_MODULUS
    return (x * x % FINGERPRINT_MODULUS * _MIX_MULTIPLIER + x + 1) % FINGERPRINT_MODULUS


def rating_hash(rating_id: int) -> int:
    """A rating's contribution to the fingerprint of a category tally."""
    return _mix(rating_id)


def weighted_rating_hash(rating_id: int, weight: int) -> int:
    """A rating's contribution to its agreement's fingerprint: it changes with the category weight."""
    return _mix(rating_hash(rating_id) + weight)


def fingerprint_sum(hashes: Iterable[int]) -> int:
    """The fingerprint of a multiset of inputs: the sum of their hashes modulo the prime."""
    return sum(hashes) % FINGERPRINT_MODULUS


# --- The matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Matrix:
    """A catalogue's risk matrix as a grid: ``cells[(likelihood, impact)]`` is a band rank.

    The grid must be complete over ``scale_min..scale_max`` squared and use ranks 1..MAX_BAND_RANK.
    """

    cells: Mapping[tuple[int, int], int]
    scale_min: int = 1
    scale_max: int = 5

    def __post_init__(self):
        levels = range(self.scale_min, self.scale_max + 1)
        missing = [(lk, im) for lk in levels for im in levels if (lk, im) not in self.cells]
        if missing:
            raise ValueError(f"The risk matrix has no band for {len(missing)} cells, e.g. {missing[0]}.")
        bad = sorted({rank for rank in self.cells.values() if not 1 <= rank <= MAX_BAND_RANK})
        if bad:
            raise ValueError(f"Band ranks must be 1 to {MAX_BAND_RANK}; the matrix uses {bad}.")

    def clamp(self, level: int) -> int:
        """``level`` limited to the scale."""
        return max(self.scale_min, min(self.scale_max, level))

    def band(self, likelihood: int, impact: int) -> int:
        """The band rank of a (likelihood, impact) pair."""
        return self.cells[(likelihood, impact)]

    @cached_property
    def thresholds(self) -> tuple[tuple[int, int], ...]:
        """``(rank, lowest score)`` per band, least severe first: the score bands a mean falls into.

        A band's threshold is the lowest likelihood x impact among its cells, so on the standard
        matrix Low starts at 1, Medium at 5, High at 10 and Critical at 20.
        """
        lowest: dict[int, int] = {}
        for (likelihood, impact), rank in self.cells.items():
            score = likelihood * impact
            lowest[rank] = min(score, lowest.get(rank, score))
        return tuple(sorted(lowest.items()))

    def band_for_mean(self, numerator: int, denominator: int) -> int:
        """The band of the mean score ``numerator / denominator`` (exact): the most severe band whose
        threshold is at most the mean. Never decreases when the mean increases."""
        ranks = [rank for rank, threshold in self.thresholds if threshold * denominator <= numerator]
        return max(ranks) if ranks else self.thresholds[0][0]

    @property
    def size(self) -> int:
        return self.scale_max - self.scale_min + 1

    def grid(self) -> str:
        """The matrix as one digit per cell, likelihood-major: the band rank of ``(l, i)`` is the
        character at ``(l - scale_min) * size + (i - scale_min)`` (0-based). SQL reads it with SUBSTR."""
        levels = range(self.scale_min, self.scale_max + 1)
        return "".join(str(self.cells[(lk, im)]) for lk in levels for im in levels)

    def is_monotone(self) -> bool:
        """True when raising likelihood or impact never lowers the band (scores are then monotone too)."""
        levels = range(self.scale_min, self.scale_max + 1)
        for lk in levels:
            for im in levels:
                here = self.cells[(lk, im)]
                if lk < self.scale_max and self.cells[(lk + 1, im)] < here:
                    return False
                if im < self.scale_max and self.cells[(lk, im + 1)] < here:
                    return False
        return True


# --- Roll-up methods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRule:
    """When at least ``min_count`` categories are rated at ``band_rank`` or worse, the agreement's band
    is at least ``to_rank`` ("two or more High make Critical")."""

    band_rank: int
    min_count: int
    to_rank: int


class RollupError(ValueError):
    """Unusable roll-up method or parameters. ``problems`` lists ``(place, message)``, the place being
    where in the catalogue's fields it is, e.g. ``rollup_params.rules[1].to_band``."""

    def __init__(self, problems: Iterable[tuple[str, str]]):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{place}: {message}" for place, message in self.problems))


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class Rollup:
    """How category ratings roll up into an agreement's band; chosen per catalogue version.

    - ``weighted_mean``: the band of the weighted mean residual score (``Matrix.band_for_mean``);
    - ``worst_case``: the worst residual band;
    - ``count_rule``: the worst residual band, raised by the first matching ``CountRule``s.
    """

    method: str = WEIGHTED_MEAN
    rules: tuple[CountRule, ...] = ()

    @classmethod
    def from_params(cls, method: str, params: Mapping | None, *, ranks_by_code: Mapping[str, int]) -> Rollup:
        """Read ``RiskCatalogue.rollup_method`` and ``rollup_params`` against the catalogue's bands
        (``{code: rank}``); raise ``RollupError`` (a ValueError) listing every problem with its place.

        A count rule reads ``{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}``, or
        ``{"rules": [{...}, ...]}`` for several. Without parameters, two or more ratings in the
        second most severe band raise the agreement to the most severe band. Publishing and
        importing a catalogue check it with this same function.
        """
        if method not in ROLLUP_METHODS:
            raise RollupError([("rollup_method", f"unknown roll-up method {_shown(method)}; use one of "
                                                 f"{', '.join(ROLLUP_METHODS)}")])
        if method != COUNT_RULE:
            return cls(method=method)
        if params is not None and not isinstance(params, Mapping):
            raise RollupError([("rollup_params", f"must be a mapping, not {_shown(params)}")])
        params = dict(params or {})
        several = "rules" in params
        specs = params["rules"] if several else [params] if params else []
        if not specs:
            ranks = sorted(ranks_by_code.values())
            if len(ranks) < 2:
                raise RollupError([("rollup_params", "a count rule without parameters needs at least two bands")])
            return cls(method=method, rules=(CountRule(band_rank=ranks[-2], min_count=2, to_rank=ranks[-1]),))
        if not isinstance(specs, list | tuple):
            raise RollupError([("rollup_params.rules", f"must be a list of count rules, not {_shown(specs)}")])
        rules, problems = [], []
        codes = ", ".join(ranks_by_code)
        for index, spec in enumerate(specs):
            place = f"rollup_params.rules[{index}]" if several else "rollup_params"
            if not isinstance(spec, Mapping):
                problems.append((place, 'must be a count rule such as {"escalate_band": "HIGH", "min_count": 2, '
                                        f'"to_band": "CRITICAL"}}, not {_shown(spec)}'))
                continue
            found: dict[str, int] = {}
            for key in ("escalate_band", "to_band"):
                code = spec.get(key)
                if key not in spec:
                    problems.append((f"{place}.{key}", "missing: name a band"))
                elif not isinstance(code, str) or code not in ranks_by_code:
                    problems.append((f"{place}.{key}", f"unknown band {_shown(code)}; use one of {codes}"))
                else:
                    found[key] = ranks_by_code[code]
            try:
                min_count = int(spec["min_count"])
            except KeyError:
                problems.append((f"{place}.min_count", "missing: how many categories escalate"))
            except (TypeError, ValueError, OverflowError):
                problems.append((f"{place}.min_count", f"must be a whole number, not {_shown(spec['min_count'])}"))
            else:
                if min_count < 1:
                    problems.append((f"{place}.min_count", f"must be at least 1, not {min_count}"))
                elif len(found) == 2:
                    rules.append(CountRule(found["escalate_band"], min_count, found["to_band"]))
        if problems:
            raise RollupError(problems)
        return cls(method=method, rules=tuple(rules))

    def band(self, *, ranks: Iterable[int], weighted_sum: int, weight_total: int, matrix: Matrix) -> int:
        """The agreement band for ratings in bands ``ranks`` with the given weighted residual sum."""
        ranks = list(ranks)
        if self.method == WEIGHTED_MEAN:
            return matrix.band_for_mean(weighted_sum, weight_total)
        worst = max(ranks)
        for rule in self.rules:
            if sum(1 for rank in ranks if rank >= rule.band_rank) >= rule.min_count:
                worst = max(worst, rule.to_rank)
        return worst

    def describe(self, *, labels_by_rank: Mapping[int, str]) -> str:
        """The method in words, for the explanation page."""
        if self.method == WEIGHTED_MEAN:
            return "Band of the weighted mean residual score"
        if self.method == WORST_CASE:
            return "Worst residual band"
        rules = "; ".join(
            f"{rule.min_count} or more at {labels_by_rank.get(rule.band_rank, rule.band_rank)} or worse make "
            f"at least {labels_by_rank.get(rule.to_rank, rule.to_rank)}"
            for rule in self.rules
        )
        return f"Worst residual band, raised by count rules: {rules}"


# --- Ratings and agreements ---------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """One complete rating of the current assessment: levels 1..5, weight in hundredths."""

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
    rating: RatingInput, *, matrix: Matrix, widening: Mapping[str, int] = DEFAULT_CONFIDENCE_WIDENING
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


def band_counts(ranks: Iterable[int]) -> tuple[int, ...]:
    """How many of ``ranks`` fall in each band, index ``rank - 1``."""
    counts = [0] * MAX_BAND_RANK
    for rank in ranks:
        counts[rank - 1] += 1
    return tuple(counts)


def worst_rank(counts: Iterable[int]) -> int | None:
    """The most severe band with a non-zero count, or None."""
    ranks = [i + 1 for i, count in enumerate(counts) if count]
    return max(ranks) if ranks else None


@dataclass(frozen=True)
class AgreementResult:
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

    @property
    def score(self) -> Decimal:
        return centi_to_decimal(self.score_c)

    @property
    def score_low(self) -> Decimal:
        return centi_to_decimal(self.score_low_c)

    @property
    def score_high(self) -> Decimal:
        return centi_to_decimal(self.score_high_c)

    @property
    def inherent_score(self) -> Decimal:
        return centi_to_decimal(self.inherent_score_c)


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
        worst_rank=max(s.rank for s in scores),
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
    ratings: Iterable[RatingInput],
    *,
    matrix: Matrix,
    rollup: Rollup,
    widening: Mapping[str, int] = DEFAULT_CONFIDENCE_WIDENING,
) -> AgreementResult | None:
    """Score complete ratings and roll them up: ``agreement_result`` of ``rating_score`` of each."""
    return agreement_result((rating_score(r, matrix=matrix, widening=widening) for r in ratings),
                            matrix=matrix, rollup=rollup)


# --- Tallies: partner, category and portfolio aggregates ------------------------------------------


def _zero_counts() -> tuple[int, ...]:
    return (0,) * MAX_BAND_RANK


@dataclass(frozen=True)
class Tally:
    """Exact integer sums behind an aggregate; ``+`` and ``-`` give exact deltas.

    ``n`` counts agreements (partner, portfolio) or ratings (category, partner x category); the
    ``*_sum_c`` fields sum their centi-scores; ``band_counts`` counts their bands.
    """

    n: int = 0
    score_sum_c: int = 0
    score_low_sum_c: int = 0
    score_high_sum_c: int = 0
    inherent_sum_c: int = 0
    band_counts: tuple[int, ...] = field(default_factory=_zero_counts)
    fingerprint: int = 0

    def _combine(self, other: Tally, sign: int) -> Tally:
        # Positional arguments and map(): the incremental recompute adds a few hundred of these.
        if len(self.band_counts) != len(other.band_counts):
            raise ValueError("Tallies of different band counts cannot be combined.")
        return Tally(
            self.n + sign * other.n,
            self.score_sum_c + sign * other.score_sum_c,
            self.score_low_sum_c + sign * other.score_low_sum_c,
            self.score_high_sum_c + sign * other.score_high_sum_c,
            self.inherent_sum_c + sign * other.inherent_sum_c,
            tuple(map(operator.add if sign > 0 else operator.sub, self.band_counts, other.band_counts)),
            (self.fingerprint + sign * other.fingerprint) % FINGERPRINT_MODULUS,
        )

    def __add__(self, other: Tally) -> Tally:
        return self._combine(other, 1)

    def __sub__(self, other: Tally) -> Tally:
        return self._combine(other, -1)

    @property
    def is_zero(self) -> bool:
        return self == _ZERO

    @property
    def score(self) -> Decimal | None:
        """The mean score, 1.00..25.00, or None when nothing is counted."""
        return mean_score(self.score_sum_c, self.n)

    @property
    def score_low(self) -> Decimal | None:
        return mean_score(self.score_low_sum_c, self.n)

    @property
    def score_high(self) -> Decimal | None:
        return mean_score(self.score_high_sum_c, self.n)

    @property
    def inherent_score(self) -> Decimal | None:
        return mean_score(self.inherent_sum_c, self.n)

    @property
    def worst_rank(self) -> int | None:
        return worst_rank(self.band_counts)


_ZERO = Tally()


def agreement_tally(result: AgreementResult) -> Tally:
    """One agreement's contribution to its partners' and the portfolio's tallies."""
    return Tally(
        n=1,
        score_sum_c=result.score_c,
        score_low_sum_c=result.score_low_c,
        score_high_sum_c=result.score_high_c,
        inherent_sum_c=result.inherent_score_c,
        band_counts=band_counts([result.band_rank]),
        fingerprint=result.fingerprint,
    )


def rating_tally(score: RatingScore) -> Tally:
    """One rating's contribution to its category's (and partner x category) tally."""
    return Tally(
        n=1,
        score_sum_c=100 * score.residual,
        score_low_sum_c=100 * score.residual_low,
        score_high_sum_c=100 * score.residual_high,
        inherent_sum_c=100 * score.inherent,
        band_counts=band_counts([score.rank]),
        fingerprint=score.fingerprint,
    )


def tally_sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total = total + tally
    return total


@dataclass(frozen=True)
class AgreementState:
    """What an agreement contributes: its result and ratings, whether it is active, its partners."""

    agreement_id: int
    active: bool
    partner_ids: tuple[int, ...]
    result: AgreementResult | None
    ratings: tuple[RatingScore, ...] = ()


# Keys of the aggregates an agreement contributes to.
PORTFOLIO = ("portfolio",)


def partner_key(partner_id: int) -> tuple:
    return ("partner", partner_id)


def category_key(code: str) -> tuple:
    return ("category", code)


def partner_category_key(partner_id: int, code: str) -> tuple:
    return ("partner_category", partner_id, code)


def agreement_contributions(state: AgreementState) -> dict[tuple, Tally]:
    """The tallies one agreement adds to each aggregate key; empty unless it is active and scored.

    Partner and portfolio tallies count the agreement once (its centi-score and band); category
    and partner x category tallies count each of its ratings.
    """
    if not state.active or state.result is None:
        return {}
    out: dict[tuple, Tally] = {PORTFOLIO: agreement_tally(state.result)}
    partner_ids = sorted(set(state.partner_ids))
    for partner_id in partner_ids:
        out[partner_key(partner_id)] = agreement_tally(state.result)
    for rating in state.ratings:
        tally = rating_tally(rating)
        keys = [category_key(rating.category), *(partner_category_key(p, rating.category) for p in partner_ids)]
        for key in keys:
            out[key] = out.get(key, _ZERO) + tally
    return out


def contributions_delta(old: Mapping[tuple, Tally], new: Mapping[tuple, Tally]) -> dict[tuple, Tally]:
    """``new - old`` per key, leaving out keys whose delta is zero."""
    out = {}
    for key in set(old) | set(new):
        delta = new.get(key, _ZERO) - old.get(key, _ZERO)
        if not delta.is_zero:
            out[key] = delta
    return out


def portfolio_tallies(states: Iterable[AgreementState]) -> dict[tuple, Tally]:
    """Every aggregate's tally over a whole portfolio: the reference for the set-based SQL.

    The portfolio key is always present (an empty tally when nothing is counted).
    """
    out: dict[tuple, Tally] = {PORTFOLIO: Tally()}
    for state in states:
        for key, tally in agreement_contributions(state).items():
            out[key] = out.get(key, _ZERO) + tally
    return out
