"""Numbers of the scores: centi-scores and their means, weights in hundredths, fingerprints.

See the package docstring for the units.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

FINGERPRINT_MODULUS = 2_147_483_647  # 2**31 - 1, a prime: sums of hashes stay far below 2**63
MIX_MULTIPLIER = 48_271  # of ``_mix``, which SQL mirrors (``aggregation.sql.mix``)


def centi_round(numerator: int, denominator: int) -> int:
    """``100 * numerator / denominator`` rounded half up to an integer (both arguments >= 0, den > 0)."""
    return (200 * numerator + denominator) // (2 * denominator)


def centi_to_decimal(centi: int) -> Decimal:
    """A centi-score as a Decimal with two places: ``1234`` -> ``Decimal("12.34")``."""
    return (Decimal(centi) / 100).quantize(Decimal("0.01"))


def centi_text(centi: int | None) -> str:
    """A centi-score as shown: the text of ``centi_to_decimal`` ("12.34"; "" for None) without
    making the Decimal, for pages that show hundreds of scores."""
    if centi is None:
        return ""
    return f"{centi // 100}.{centi % 100:02d}" if centi >= 0 else str(centi_to_decimal(centi))


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
    return (x * x % FINGERPRINT_MODULUS * MIX_MULTIPLIER + x + 1) % FINGERPRINT_MODULUS


def rating_hash(rating_id: int) -> int:
    """A rating's contribution to the fingerprint of a category tally."""
    return _mix(rating_id)


def weighted_rating_hash(rating_id: int, weight: int) -> int:
    """A rating's contribution to its agreement's fingerprint: it changes with the category weight."""
    return _mix(rating_hash(rating_id) + weight)


def fingerprint_sum(hashes: Iterable[int]) -> int:
    """The fingerprint of a multiset of inputs: the sum of their hashes modulo the prime."""
    return sum(hashes) % FINGERPRINT_MODULUS



class Scores:
    """The four scores an agreement or an aggregate shows, as Decimals with two places (1.00..25.00,
    None when nothing is counted): ``score`` (residual), ``score_low`` and ``score_high`` (the ends of
    its confidence range) and ``inherent_score``. A subclass says where their centi-scores come from
    (``centi_score``); dataclasses and models alike inherit the four properties."""

    def centi_score(self, name: str) -> int | None:
        """The centi-score of ``name``, one of ``score``, ``score_low``, ``score_high``, ``inherent_score``."""
        raise NotImplementedError

    def _decimal(self, name: str) -> Decimal | None:
        centi = self.centi_score(name)
        return None if centi is None else centi_to_decimal(centi)

    @property
    def score(self) -> Decimal | None:
        return self._decimal("score")

    @property
    def score_low(self) -> Decimal | None:
        return self._decimal("score_low")

    @property
    def score_high(self) -> Decimal | None:
        return self._decimal("score_high")

    @property
    def inherent_score(self) -> Decimal | None:
        return self._decimal("inherent_score")


class CentiScores(Scores):
    """Scores held as centi-scores: ``score_c``, ``score_low_c``, ``score_high_c``, ``inherent_score_c``
    (an agreement's result, and its stored row)."""

    def centi_score(self, name: str) -> int:
        return getattr(self, f"{name}_c")


class MeanScores(Scores):
    """Scores that are means over ``n`` counted centi-scores, from their sums ``score_sum_c``,
    ``score_low_sum_c``, ``score_high_sum_c`` and ``inherent_sum_c`` (a tally, and its stored row)."""

    SUM_FIELDS = {
        "score": "score_sum_c", "score_low": "score_low_sum_c", "score_high": "score_high_sum_c",
        "inherent_score": "inherent_sum_c",
    }

    def centi_score(self, name: str) -> int | None:
        return mean_centi(getattr(self, self.SUM_FIELDS[name]), self.n)
