"""Score history for the dashboard: trends over the chosen period, and the movers.

Both come from stored per-team snapshots (``scoped_trend``, ``scoped_changes``), summed over the
teams in the filter's scope. Snapshots are kept per team only, so the other filters (region,
partner kind, agreement kind and status) cannot apply to them: the dashboard says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from assessments import scoring
from assessments import selectors as assessment_selectors
from assessments.models import ScoreLevel
from assessments.selectors.scores import TrendPoint, history_start, scoped_changes, scoped_trend
from riskboard.converters import ID_MAX

from ..filtersets import DashboardFilters
from .scope import ScoringRules

MAX_SERIES = 6  # chosen partners and categories, besides the portfolio


@dataclass(frozen=True)
class TrendSeries:
    level: str
    key: str
    label: str
    points: list[TrendPoint]

    @property
    def days_recorded(self) -> int:
        """Days with something counted."""
        return sum(1 for point in self.points if point.n)

    @property
    def changes(self) -> list[TrendPoint]:
        """The points where the value changed, with the first and the last: what a table needs."""
        out: list[TrendPoint] = []
        for point in self.points:
            if not out or (point.score, point.n) != (out[-1].score, out[-1].n):
                out.append(point)
        if self.points and out[-1] is not self.points[-1]:
            out.append(self.points[-1])
        return out


@dataclass
class Trends:
    series: list[TrendSeries] = field(default_factory=list)

    @property
    def has_history(self) -> bool:
        """At least two days with a value: a line, not a dot."""
        return any(s.days_recorded >= 2 for s in self.series)


def trend_choices(*, filters: DashboardFilters, data) -> tuple[list[tuple[int, str]], list[str]]:
    """The partners (visible to the user) and category codes chosen for the trend chart in ``data``."""
    raw_ids = [int(v) for v in data.getlist("trend_partner") if v.isdigit() and int(v) <= ID_MAX][:MAX_SERIES]
    partners = list(
        assessment_selectors.partners_visible_to(user=filters.user).filter(pk__in=raw_ids).values_list("pk", "name")
    ) if raw_ids else []
    codes = [code for code in data.getlist("trend_category") if code][:MAX_SERIES]
    return partners, codes


@dataclass(frozen=True)
class TypedPartners:
    """Partners found by the name typed in the trend chooser (its plain-form fallback)."""

    typed: str
    found: list[tuple[int, str]]
    error: str | None = None


def trend_partners_typed(*, filters: DashboardFilters, data, chosen: list[tuple[int, str]]) -> TypedPartners:
    """The partners (visible to the user) whose name contains the text typed in the trend chooser,
    as many as still fit beside ``chosen`` (by name; one query when something was typed). With
    JavaScript the chooser sends the picked partner's id, and its name as the text, which adds
    nothing more."""
    typed = " ".join((data.get("trend_partner_name") or "").split())[:200]
    if not typed or any(name.casefold() == typed.casefold() for _, name in chosen):
        return TypedPartners(typed, [])
    room = MAX_SERIES - len(chosen)
    if room <= 0:
        return TypedPartners(typed, [], f"Up to {MAX_SERIES} partners can be compared: remove one to add another.")
    found = list(
        assessment_selectors.partners_visible_to(user=filters.user).filter(name__icontains=typed)
        .exclude(pk__in=[pk for pk, _ in chosen]).order_by("name", "pk").values_list("pk", "name")[:room]
    )
    if not found:
        return TypedPartners(typed, [], f"No partner you can see has a name containing “{typed}”.")
    return TypedPartners("", found)


def dashboard_trends(
    *, filters: DashboardFilters, rules: ScoringRules, partners: list[tuple[int, str]] = (), codes: list[str] = (),
    portfolio_today: scoring.Tally | None = None,
) -> Trends:
    """The portfolio's trend over the period, and each chosen partner's and category's.
    ``portfolio_today``: the teams' stored portfolio tally, when the page has it already (only the
    team filtered): today's point, not read again."""
    wanted = [(ScoreLevel.PORTFOLIO, "portfolio", "Portfolio")]
    wanted += [(ScoreLevel.PARTNER, str(pk), name) for pk, name in partners]
    names = rules.category_names
    wanted += [(ScoreLevel.CATEGORY, code, names.get(code, code)) for code in codes if code in names]
    out = Trends()
    for level, key, label in wanted:
        points = scoped_trend(team_ids=filters.team_ids, level=level, key=key, start=filters.start, end=filters.end,
                              live=portfolio_today if level == ScoreLevel.PORTFOLIO else None)
        out.series.append(TrendSeries(level, key, label, points))
    return out


@dataclass(frozen=True)
class Mover:
    level: str
    key: str
    label: str
    before: scoring.Tally
    after: scoring.Tally

    @property
    def change_c(self) -> int:
        """The change of the mean score over the period, in hundredths (positive: worse)."""
        return (scoring.mean_centi(self.after.score_sum_c, self.after.n) or 0) - (
            scoring.mean_centi(self.before.score_sum_c, self.before.n) or 0
        )


@dataclass
class Movers:
    partners: list[Mover] = field(default_factory=list)  # largest change first, up or down
    categories: list[Mover] = field(default_factory=list)
    since: dt.date | None = None  # the day compared with: the period's start, or the first day recorded

    @property
    def all(self) -> list[Mover]:
        return [*self.partners, *self.categories]


def _movers(changes, labels: dict[str, str], level: str, limit: int) -> list[Mover]:
    movers = [
        Mover(level, key, labels[key], before, after)
        for key, (before, after) in changes.items()
        if key in labels and before.n and after.n  # new and gone keys did not move: they appeared or left
    ]
    movers = [m for m in movers if m.change_c]
    movers.sort(key=lambda m: (-abs(m.change_c), m.label))
    return movers[:limit]


def visible_partner_names(user) -> Callable[[list[int]], dict[int, str]]:
    """``names(ids)``: the names of those of ``ids`` that ``user`` may see (one query)."""
    def names(ids: list[int]) -> dict[int, str]:
        return dict(assessment_selectors.partners_visible_to(user=user).filter(pk__in=ids).values_list("pk", "name"))
    return names


def dashboard_movers(
    *, filters: DashboardFilters, rules: ScoringRules, limit: int = 5,
    partner_names: Callable[[list[int]], dict[int, str]] | None = None,
) -> Movers:
    """The partners and categories whose mean score changed most over the period, up or down.
    ``partner_names(ids)`` names the partners that may be listed (default: those the user may see)."""
    # A history younger than the period is compared from its first day, not from nothing.
    first = history_start(team_ids=filters.team_ids)
    start = max(filters.start, first) if first else filters.start
    partner_changes = scoped_changes(team_ids=filters.team_ids, level=ScoreLevel.PARTNER, start=start,
                                     end=filters.end)
    category_changes = scoped_changes(team_ids=filters.team_ids, level=ScoreLevel.CATEGORY, start=start,
                                      end=filters.end)
    ids = [int(key) for key in partner_changes if key.isdigit()]
    # Only partners the user may see are named (and so only they can be listed).
    names = (partner_names or visible_partner_names(filters.user))(ids) if ids else {}
    return Movers(
        partners=_movers(partner_changes, {str(pk): name for pk, name in names.items()}, ScoreLevel.PARTNER, limit),
        categories=_movers(category_changes, rules.category_names, ScoreLevel.CATEGORY, limit),
        since=start,
    )
