"""Seams between the workflow and score recomputation.

Services call these inside their transaction after a change that affects aggregate scores.
Each marks what is dirty (committed with the change) and queues the recompute on commit; if the
queueing fails, the per-minute sweeper finds the mark.
"""

from . import aggregation, tasks
from .models import Assessment


def _agreement_changed(agreement_id: int, *, reason: str) -> None:
    aggregation.agreements_mark_dirty(agreement_ids=[agreement_id], reason=reason)
    tasks.publish_on_commit(tasks.agreement_scores_recompute, agreement_id=agreement_id)


def assessment_approved(*, assessment_id: int) -> None:
    """An assessment was approved (called inside the approval transaction)."""
    agreement_id = Assessment.objects.values_list("agreement_id", flat=True).get(pk=assessment_id)
    _agreement_changed(agreement_id, reason="approval")


def agreement_changed(
    *, agreement_id: int, status: bool = False, partners: bool = False, team: bool = False
) -> None:
    """An agreement's status, partners and/or owner team changed (called once they are saved,
    inside that transaction): it may start or stop counting towards the aggregates, and its
    contribution moves from the partners and team it was counted for to its partners and team
    now. Marks it once; nothing when none changed."""
    reason = ",".join(
        name for name, changed in (("status", status), ("partners", partners), ("team", team)) if changed
    )
    if reason:
        _agreement_changed(agreement_id, reason=reason)

