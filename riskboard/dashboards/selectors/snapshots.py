"""Per-team score history: ``scoped_trend`` and ``scoped_changes``, as the stored-scores side
(helper C, issue 9 §1) specifies them. The dashboards call only these two functions.

# PLACEHOLDER until team snapshots: the snapshot tables hold one row per key for all teams
# together, so these functions answer only for the all-teams scope (administrators, auditors)
# and raise ``TeamSnapshotsUnavailable`` for any set of teams: a team's history cannot be told
# apart from another team's in those rows, and no number may cross a team line. Once per-team
# snapshots exist, import ``scoped_trend`` and ``scoped_changes`` from the assessments score
# selectors instead and delete this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from assessments import scoring
from assessments.models import CategoryScore, PartnerScore, PortfolioScore, ScoreLevel, ScoreSnapshot


class TeamSnapshotsUnavailable(Exception):
    """Score history of a set of teams was asked for, and only all-teams history is stored."""


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    n: int
    score: Decimal | None
    score_low: Decimal | None
    score_high: Decimal | None
    band_counts: tuple[int, ...]


_LIVE = {
    ScoreLevel.PARTNER: (PartnerScore, "partner_id"),
    ScoreLevel.CATEGORY: (CategoryScore, "category_code"),
    ScoreLevel.PORTFOLIO: (PortfolioScore, "id"),
}


def _live_tally(level: str, key: str) -> scoring.Tally:
    """The stored value now (what today's snapshot will record)."""
    model, column = _LIVE[ScoreLevel(level)]
    value = PortfolioScore.SINGLETON_ID if level == ScoreLevel.PORTFOLIO else key
    row = model.objects.filter(**{column: value}).first()
    return row.tally if row is not None else scoring.Tally()


def scoped_trend(*, team_ids: frozenset[int] | None, level: str, key: str, start: dt.date, end: dt.date
                 ) -> list[TrendPoint]:
    """One point per day from ``start`` to ``end`` of a partner (key: its id), a category (its code) or
    the portfolio (``"portfolio"``), summed over ``team_ids`` (None: every team)."""
    # PLACEHOLDER until team snapshots
    if team_ids is not None:
        raise TeamSnapshotsUnavailable
    # Days between snapshots carry the last value forward; today, if in range, is the live value.
    rows = list(ScoreSnapshot.objects.filter(level=level, key=key, day__lte=end).order_by("day"))
    today = timezone.localdate()
    live = _live_tally(level, key) if start <= today <= end else None
    points, current, index, day = [], scoring.Tally(), 0, start
    while day <= end:
        while index < len(rows) and rows[index].day <= day:
            current = rows[index].tally
            index += 1
        tally = live if (live is not None and day == today) else current
        points.append(TrendPoint(day, tally.n, tally.score, tally.score_low, tally.score_high, tally.band_counts))
        day += dt.timedelta(days=1)
    return points


def scoped_changes(*, team_ids: frozenset[int] | None, level: str, start: dt.date, end: dt.date
                   ) -> dict[str, tuple[scoring.Tally, scoring.Tally]]:
    """Per key of ``level`` (partner ids as text, category codes): its tally on ``start`` and on
    ``end`` (the latest snapshot on or before each day; the live stored value for today), summed
    over ``team_ids`` (None: every team). Keys with nothing counted on both days are left out."""
    # PLACEHOLDER until team snapshots
    if team_ids is not None:
        raise TeamSnapshotsUnavailable
    if level == ScoreLevel.PORTFOLIO:
        raise ValueError("Use scoped_trend for the portfolio.")
    rows = ScoreSnapshot.objects.filter(level=level, day__lte=end).order_by("key", "day")
    at_start: dict[str, scoring.Tally] = {}
    at_end: dict[str, scoring.Tally] = {}
    for row in rows:
        if row.day <= start:
            at_start[row.key] = row.tally
        at_end[row.key] = row.tally
    if end >= timezone.localdate():  # today: the live values
        model, column = _LIVE[ScoreLevel(level)]
        at_end = {str(getattr(row, column)): row.tally for row in model.objects.all()}
        at_end.update({key: scoring.Tally() for key in at_start if key not in at_end})
    out = {}
    for key in set(at_start) | set(at_end):
        before, after = at_start.get(key, scoring.Tally()), at_end.get(key, scoring.Tally())
        if before.n or after.n:
            out[key] = (before, after)
    return out


def history_start() -> dt.date | None:
    """The first day any snapshot was recorded: before it there is no history to compare with."""
    return ScoreSnapshot.objects.order_by("day").values_list("day", flat=True).first()


__all__ = ["TeamSnapshotsUnavailable", "TrendPoint", "history_start", "scoped_changes", "scoped_trend"]
