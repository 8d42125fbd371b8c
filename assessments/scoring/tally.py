"""Tallies: the exact integer sums behind partner, category and portfolio aggregates, and what
each agreement contributes to them."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .matrix import MAX_BAND_RANK, band_counts, worst_rank_of_counts
from .numbers import FINGERPRINT_MODULUS, MeanScores
from .ratings import AgreementResult, RatingScore


def _zero_counts() -> tuple[int, ...]:
    return (0,) * MAX_BAND_RANK


@dataclass(frozen=True)
class Tally(MeanScores):
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
    def worst_rank(self) -> int | None:
        return worst_rank_of_counts(self.band_counts)


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
    """What an agreement contributes: its result and ratings, whether it is active, its partners,
    and the team it counts for (its owner team; None: no team dimension in the keys)."""

    agreement_id: int
    active: bool
    partner_ids: tuple[int, ...]
    result: AgreementResult | None
    ratings: tuple[RatingScore, ...] = ()
    team_id: int | None = None


# Keys of the aggregates an agreement contributes to. With a team, its id is the key's last part:
# the stored rows are per team, and a scope's figure is the sum of its teams' rows.
PORTFOLIO = ("portfolio",)


def _with_team(key: tuple, team_id: int | None) -> tuple:
    return key if team_id is None else (*key, team_id)


def portfolio_key(team_id: int | None = None) -> tuple:
    return _with_team(PORTFOLIO, team_id)


def partner_key(partner_id: int, team_id: int | None = None) -> tuple:
    return _with_team(("partner", partner_id), team_id)


def category_key(code: str, team_id: int | None = None) -> tuple:
    return _with_team(("category", code), team_id)


def partner_category_key(partner_id: int, code: str, team_id: int | None = None) -> tuple:
    return _with_team(("partner_category", partner_id, code), team_id)


def agreement_contributions(state: AgreementState) -> dict[tuple, Tally]:
    """The tallies one agreement adds to each aggregate key; empty unless it is active and scored.

    Partner and portfolio tallies count the agreement once (its centi-score and band); category
    and partner x category tallies count each of its ratings. Every key names ``state.team_id``
    (when given): an agreement counts for its owner team only.
    """
    if not state.active or state.result is None:
        return {}
    team = state.team_id
    out: dict[tuple, Tally] = {portfolio_key(team): agreement_tally(state.result)}
    partner_ids = sorted(set(state.partner_ids))
    for partner_id in partner_ids:
        out[partner_key(partner_id, team)] = agreement_tally(state.result)
    for rating in state.ratings:
        tally = rating_tally(rating)
        keys = [category_key(rating.category, team),
                *(partner_category_key(p, rating.category, team) for p in partner_ids)]
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


def portfolio_tallies(states: Iterable[AgreementState], *, by_team: bool = False) -> dict[tuple, Tally]:
    """Every aggregate's tally over a whole portfolio: the reference for the set-based SQL.

    Without ``by_team`` the portfolio key is always present (an empty tally when nothing is
    counted). With it, the states carry their teams and only keys counting something are present
    (as the stored per-team rows).
    """
    out: dict[tuple, Tally] = {} if by_team else {PORTFOLIO: Tally()}
    for state in states:
        for key, tally in agreement_contributions(state).items():
            out[key] = out.get(key, _ZERO) + tally
    return out
