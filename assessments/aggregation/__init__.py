"""Stored scores: the set-based full recompute, the incremental path and dirty flags.

- ``full``: every aggregate rebuilt inside the database (the reference); ``single_pass`` is its
  PostgreSQL path, ``sql`` the SQL both share;
- ``incremental``: exact deltas for a few changed agreements (``prepared``: its prepared statements);
- ``dirty``: marks written with the change, and the sweeper that clears them;
- ``catalogue_rules``: catalogue versions' matrix, roll-up and weights as ``scoring`` values;
- ``reference``: the same numbers computed in Python, to test and benchmark against;
- ``history``: daily snapshots backfilled from approval dates (demo data, imports).

Reads of stored scores for pages (their freshness, their explanations) are selectors
(``assessments.selectors.scores`` and ``.explain``).
"""

from .dirty import SweepResult, agreements_mark_dirty, scores_sweep
from .full import STAGES, FullRecomputeResult, scores_full_recompute
from .history import snapshots_backfill
from .incremental import agreements_recompute

__all__ = [
    "STAGES",
    "FullRecomputeResult",
    "SweepResult",
    "agreements_mark_dirty",
    "agreements_recompute",
    "scores_full_recompute",
    "scores_sweep",
    "snapshots_backfill",
]
