"""Seams between the workflow and score recomputation.

The workflow services call these inside their transaction after a change that affects
aggregate scores; the scoring side marks what is dirty and queues the recompute on commit.
"""


def assessment_approved(*, assessment_id: int) -> None:
    """An assessment was approved (called inside the approval transaction)."""
    return None
