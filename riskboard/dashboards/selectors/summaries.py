"""Dashboard summaries: each team's current state as its dashboard shows it, computed ahead.

With no filter but the team (``filters.team_only``), a dashboard reads the summaries of the teams
in scope (``DashboardSummary``, one row per team) instead of summing the team's agreements and
ratings on every request: the risk matrix, the band counts, reviews due, the candidates for the
top agreements, and, for one team, the heatmap's partner order and the movers; the heatmap
cells' last-assessed dates are rows of ``DashboardCellDate``, read with the cells' stored tallies
(``portfolio.partner_category_cells_stored``). A page then reads a few rows
whatever the portfolio's size.

A summary is the dashboard's own selectors' output for one team (``services.
dashboard_summaries_refresh``, run by the worker after each recompute), so it adds up to exactly
what the filtered path gives. It is read only while current: no recompute has touched the team
since (``generation``), it was computed today (movers and reviews due depend on the day), in this
format (``SUMMARY_VERSION``). Otherwise ``current_summaries`` answers None and the page computes
from the stored scores as before.

What cannot be added across teams (the heatmap's order of partners by their summed score, the
movers) is read from a team's summary when the scope is one team, and from the summary of every
team (``EveryTeamDashboardSummary``, kept with the teams' own) when it is every team (auditors,
administrators); for another set of teams it is computed from the stored scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from assessments import scoring
from assessments.models import EveryTeamDashboardSummary, Team

from ..filtersets import DashboardFilters
from .portfolio import SIDES, BandDistribution, MatrixCounts
from .scope import RANKS, ScoringRules
from .trends import Mover, Movers

SUMMARY_VERSION = 3
# Rows kept per team: enough for the dashboard's lists (10 top agreements, 5 reviews, 5 movers of
# each kind), with room to drop movers the viewer may not name.
KEEP_TOP = 10
KEEP_REVIEWS = 10
KEEP_MOVERS = 10


def tally_list(tally: scoring.Tally) -> list:
    return [tally.n, tally.score_sum_c, tally.score_low_sum_c, tally.score_high_sum_c, tally.inherent_sum_c,
            list(tally.band_counts), tally.fingerprint]


def tally_of(values: list) -> scoring.Tally:
    n, total, low, high, inherent, bands, fingerprint = values
    return scoring.Tally(n, total, low, high, inherent, tuple(bands), fingerprint)


@dataclass(frozen=True)
class Summaries:
    """The current summaries of every team in a dashboard's scope (``data``: one dict per team)."""

    data: tuple[dict, ...]
    every_team: dict | None = None  # the summary of every team, when the scope is every team and it is current

    @property
    def single(self) -> dict | None:
        """What the heatmap order and the movers are read from: the one team's summary, or the
        summary of every team."""
        return self.data[0] if len(self.data) == 1 else self.every_team

    def matrix(self, rules: ScoringRules) -> MatrixCounts:
        out: dict[str, dict[tuple[int, int], int]] = {side: {} for side in SIDES}
        for data in self.data:
            for side in SIDES:
                cells = out[side]
                for likelihood, impact, n in data["matrix"][side]:
                    cells[(likelihood, impact)] = cells.get((likelihood, impact), 0) + n
        return MatrixCounts(out["inherent"], out["residual"], rules)

    def distribution(self) -> BandDistribution:
        headline, worst = [0] * len(RANKS), [0] * len(RANKS)
        for data in self.data:
            headline = [a + b for a, b in zip(headline, data["headline"], strict=True)]
            worst = [a + b for a, b in zip(worst, data["worst"], strict=True)]
        return BandDistribution(headline=tuple(headline), worst=tuple(worst))

    def portfolio(self) -> scoring.Tally:
        """The counted agreements' tally (``portfolio.portfolio_tally``), summed over the teams."""
        return scoring.tally_sum(tally_of(data["portfolio"]) for data in self.data)

    def reviews_due_counts(self) -> tuple[int, int]:
        """(overdue, due soon), summed over the teams."""
        return (sum(d["reviews"]["overdue"] for d in self.data), sum(d["reviews"]["due_soon"] for d in self.data))

    def review_candidates(self) -> list[int]:
        """Agreement ids among which the earliest reviews due are: each team's first ones."""
        return [row[0] for data in self.data for row in data["reviews"]["rows"]]

    def top_candidates(self) -> list[int]:
        """Agreement ids among which the highest scores are: each team's highest."""
        return [row[0] for data in self.data for row in data["top"]]

    def top_changes(self) -> dict[int, int | None]:
        """Each candidate's change since its previous approved assessment (None: its first)."""
        return {row[0]: row[2] for data in self.data for row in data["top"]}

    @property
    def partner_order(self) -> list[int] | None:
        """Every partner's id in heatmap order (one team, or every team: an order by summed scores
        cannot be merged from each team's)."""
        return self.single["partners"] if self.single else None

    def movers(
        self, *, period_days: int, rules: ScoringRules, partner_names: Callable[[list[int]], dict[int, str]],
        limit: int = 5,
    ) -> Movers | None:
        """The movers over ``period_days`` (one team, or every team), the partners named by
        ``partner_names(ids)`` (those the viewer may see); None when not kept."""
        kept = self.single and self.single["movers"].get(str(period_days))
        if not kept:
            return None
        ids = [int(key) for key, _, _ in kept["partners"]]
        names = {str(pk): name for pk, name in partner_names(ids).items()} if ids else {}
        labels = rules.category_names

        def movers(rows, level: str, known: dict[str, str]) -> list[Mover]:
            out = [Mover(level, key, known[key], tally_of(before), tally_of(after))
                   for key, before, after in rows if key in known]
            out.sort(key=lambda m: (-abs(m.change_c), m.label))
            return out[:limit]

        since = kept["since"]
        return Movers(
            partners=movers(kept["partners"], "partner", names),
            categories=movers(kept["categories"], "category", labels),
            since=dt.date.fromisoformat(since) if since else None,
        )


def current_summaries(*, filters: DashboardFilters) -> Summaries | None:
    """The summaries of the teams in ``filters``' scope, when every one is current and only the
    team is filtered; else None (one query; two for every team, with the summary of every team
    when it is current too)."""
    if not filters.team_only or (filters.team_ids is not None and not filters.team_ids):
        return None
    teams = Team.objects.all() if filters.team_ids is None else Team.objects.filter(pk__in=sorted(filters.team_ids))
    rows = list(teams.order_by("pk").values_list(
        "pk", "dashboard_summary__generation", "dashboard_summary__summarised_generation", "dashboard_summary__day",
        "dashboard_summary__data",
    ))
    if not rows:
        return None
    for _, generation, summarised, day, data in rows:
        if generation is None or summarised != generation or day != filters.end or not data \
                or data.get("version") != SUMMARY_VERSION:
            return None
    every_team = None
    if filters.team_ids is None:
        kept = EveryTeamDashboardSummary.objects.filter(pk=1).values_list("generations", "day", "data").first()
        if kept and kept[0] == {str(pk): generation for pk, generation, *_ in rows} and kept[1] == filters.end \
                and kept[2] and kept[2].get("version") == SUMMARY_VERSION:
            every_team = kept[2]
    return Summaries(data=tuple(row[4] for row in rows), every_team=every_team)
