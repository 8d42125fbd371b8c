"""Stored scores: the set-based full recompute, the incremental path, dirty flags and reads.

- ``full``: every aggregate rebuilt inside the database (the reference).
- ``incremental``: exact deltas for a few changed agreements.
- ``dirty``: marks written with the change, and the sweeper that clears them.
- ``reference``: the same numbers computed in Python, to test and benchmark against.
- ``selectors`` and ``explain``: reads for pages, with freshness and explanations.
"""

from .dirty import SweepResult, agreements_mark_dirty, scores_sweep
from .full import STAGES, FullRecomputeResult, scores_full_recompute
from .incremental import agreements_recompute

__all__ = [
    "STAGES",
    "FullRecomputeResult",
    "SweepResult",
    "agreements_mark_dirty",
    "agreements_recompute",
    "scores_full_recompute",
    "scores_sweep",
]
