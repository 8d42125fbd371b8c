"""Reads for the dashboards: what each chart needs, scoped to the viewer and filtered.

- ``scope``: the agreements counted, the scoring rules, tallies summed in SQL;
- ``portfolio``: heatmap, risk matrix, bands and top agreements (the current state);
- ``trends`` (over the stored per-team snapshots): score history, trends and movers;
- ``work``: approvals queue, reviews due, an analyst's own assessments;
- ``summaries``: each team's current state, computed ahead by the worker (read when current);
- ``pages``: a partner's profile, an agreement's score over time.
"""

from .pages import agreement_score_history, category_medians, median_of_counts, partner_profile
from .portfolio import (
    HEATMAP_PAGE_SIZE,
    SIDES,
    band_distribution,
    heatmap_cell_ratings,
    matrix_cell_ratings,
    partner_category_cells,
    partner_heatmap,
    partner_rows,
    portfolio_tally,
    risk_matrix_counts,
    top_agreements,
)
from .scope import current_ratings, scored_agreements, scoring_rules
from .summaries import Summaries, current_summaries
from .trends import (
    MAX_SERIES,
    dashboard_movers,
    dashboard_trends,
    trend_choices,
    trend_partners_typed,
    visible_partner_names,
)
from .work import (
    approvals_queue,
    my_assessments,
    recently_approved,
    reviews_due,
    reviews_due_known,
    unassessed_count,
)

__all__ = [
    "HEATMAP_PAGE_SIZE",
    "MAX_SERIES",
    "SIDES",
    "Summaries",
    "agreement_score_history",
    "approvals_queue",
    "band_distribution",
    "category_medians",
    "current_ratings",
    "current_summaries",
    "dashboard_movers",
    "dashboard_trends",
    "heatmap_cell_ratings",
    "matrix_cell_ratings",
    "median_of_counts",
    "my_assessments",
    "partner_category_cells",
    "partner_heatmap",
    "partner_profile",
    "partner_rows",
    "portfolio_tally",
    "recently_approved",
    "reviews_due",
    "reviews_due_known",
    "risk_matrix_counts",
    "scored_agreements",
    "scoring_rules",
    "top_agreements",
    "trend_choices",
    "trend_partners_typed",
    "unassessed_count",
    "visible_partner_names",
]
