"""Dirty flags: which agreements' aggregates await a recompute, and the sweeper that clears them."""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ..models import DirtyAgreement
from .full import scores_full_recompute
from .incremental import agreements_recompute
from .sql import T

logger = logging.getLogger(__name__)

_UPSERT = (
    f"ON CONFLICT (agreement_id) DO UPDATE SET generation = {T.dirty}.generation + 1, "
    "marked_at = excluded.marked_at, reason = excluded.reason"
)


def agreements_mark_dirty(*, agreement_ids: Iterable[int], reason: str) -> None:
    """Mark the agreements' aggregates as awaiting a recompute (one statement).

    Call it inside the transaction that makes the change, so the mark commits with it: whatever
    happens to the queued task afterwards, the sweeper will find the mark.
    """
    ids = sorted(set(agreement_ids))
    if not ids:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {T.dirty} (agreement_id, generation, marked_at, reason) VALUES "
            + ", ".join(["(%s, 1, %s, %s)"] * len(ids)) + " " + _UPSERT,
            [v for agreement_id in ids for v in (agreement_id, now, reason)],
        )


@dataclass
class SweepResult:
    agreements: int = 0
    batches: int = 0
    full: bool = False
    remaining: int = 0


def scores_sweep(
    *,
    batch_size: int | None = None,
    full_threshold: int | None = None,
    max_seconds: float | None = None,
    on_batch: Callable[[int], object] | None = None,
) -> SweepResult:
    """Recompute dirty agreements, oldest mark first, in batches (one transaction each).

    When more than ``full_threshold`` agreements are dirty (after a bulk change, say), one full
    recompute is cheaper and runs instead. Stops after ``max_seconds``; what is left
    waits for the next sweep. Safe to run at any time and concurrently with other recomputes.
    ``on_batch(n)`` is called after each batch of ``n`` agreements.
    """
    batch_size = batch_size or settings.RISKBOARD_SCORES_SWEEP_BATCH
    full_threshold = full_threshold if full_threshold is not None else settings.RISKBOARD_SCORES_FULL_THRESHOLD
    max_seconds = max_seconds if max_seconds is not None else settings.RISKBOARD_SCORES_SWEEP_MAX_SECONDS
    result = SweepResult()
    if DirtyAgreement.objects.count() > full_threshold:
        scores_full_recompute()
        result.full = True
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        ids = list(DirtyAgreement.objects.order_by("marked_at", "agreement_id").values_list(
            "agreement_id", flat=True)[:batch_size])
        if not ids:
            break
        done = agreements_recompute(agreement_ids=ids)
        result.agreements += done
        result.batches += 1
        if on_batch is not None:
            on_batch(done)
    result.remaining = DirtyAgreement.objects.count()
    if result.agreements or result.full:
        logger.info("Score sweep: %s", result)
    return result
