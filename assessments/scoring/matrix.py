"""The risk matrix as data, and band ranks: the band of a rating, of a mean, and the worst of many."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

# Stored aggregates keep one count column per band rank.
MAX_BAND_RANK = 6


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

    def band_if_rated(self, likelihood: int | None, impact: int | None) -> int | None:
        """The band rank of a pair of levels as a page shows it: None while either level is not
        rated yet (or is off the scale)."""
        return self.cells.get((likelihood, impact))

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


def band_counts(ranks: Iterable[int]) -> tuple[int, ...]:
    """How many of ``ranks`` fall in each band, index ``rank - 1``."""
    counts = [0] * MAX_BAND_RANK
    for rank in ranks:
        counts[rank - 1] += 1
    return tuple(counts)


def worst_rank(ranks: Iterable[int | None]) -> int | None:
    """The most severe of band ranks, ignoring None (a rating not rated yet); None when there is none.

    "The worst residual band" of an assessment is this over its ratings' residual bands: the
    review schedule, the pages and the worst-case roll-up all use it.
    """
    return max((rank for rank in ranks if rank is not None), default=None)


def worst_rank_of_counts(counts: Iterable[int]) -> int | None:
    """The most severe band with a non-zero count (``band_counts``), or None."""
    return worst_rank(i + 1 for i, count in enumerate(counts) if count)


