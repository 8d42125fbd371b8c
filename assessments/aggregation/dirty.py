"""Dirty flags: which agreements' aggregates await a recompute, and the sweeper that clears them."""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Q
from django.utils import timezone

from ..models import DirtyAgreement
from .full import scores_full_recompute
from .incremental import agreements_recompute
from .sql import T

logger = logging.getLogger(__name__)

# A new mark of an agreement whose recompute failed is retried at once: the change may be the fix.
_UPSERT = (
    f"ON CONFLICT (agreement_id) DO UPDATE SET generation = {T.dirty}.generation + 1, "
    "marked_at = excluded.marked_at, reason = excluded.reason, retry_at = NULL"
)
# Errors that say nothing about the agreement (the database went away, a deadlock): the sweep
# stops and its task is retried, rather than blaming the agreements of the batch.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
LAST_ERROR_MAX_CHARS = 2000


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
    failed: int = 0  # agreements that could not be recomputed; their marks wait for a retry


def _recompute_isolating(ids: list[int]) -> tuple[int, list[tuple[int, Exception]]]:
    """Recompute ``ids`` in one transaction; if that fails, each half again, down to the
    agreements that fail alone (a few extra transactions per bad agreement, not one per
    agreement). Returns the number recomputed and each failed agreement with its error."""
    try:
        return agreements_recompute(agreement_ids=ids), []
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:  # whatever it is, it must not stop the others
        if len(ids) == 1:
            return 0, [(ids[0], error)]
    middle = len(ids) // 2
    done_first, failed_first = _recompute_isolating(ids[:middle])
    done_second, failed_second = _recompute_isolating(ids[middle:])
    return done_first + done_second, failed_first + failed_second


def _record_failure(agreement_id: int, error: Exception) -> None:
    """Keep the agreement's mark, with the error and a back-off: its next try waits
    ``RISKBOARD_SCORES_RETRY_SECONDS``, doubled with each failure in a row up to the maximum."""
    mark = DirtyAgreement.objects.filter(agreement_id=agreement_id)
    failures = (mark.values_list("failures", flat=True).first() or 0) + 1
    delay = min(settings.RISKBOARD_SCORES_RETRY_SECONDS * 2 ** min(failures - 1, 32),
                settings.RISKBOARD_SCORES_RETRY_MAX_SECONDS)
    retry_at = timezone.now() + dt.timedelta(seconds=delay)
    mark.update(failures=failures, retry_at=retry_at,
                last_error=f"{type(error).__name__}: {error}"[:LAST_ERROR_MAX_CHARS])
    logger.error("Score sweep: agreement %s could not be recomputed (%s time%s in a row); next try after %s.",
                 agreement_id, failures, "" if failures == 1 else "s", retry_at.isoformat(timespec="seconds"),
                 exc_info=error)


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

    One agreement that cannot be recomputed never holds the others hostage: a failed batch is
    split until the failing agreements are isolated, the others are recomputed, and each failing
    one keeps its mark with the error, logged, and is not tried again before its back-off ends
    (marks that have failed come after the others when their time comes).
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
        due = DirtyAgreement.objects.filter(Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now()))
        ids = list(due.order_by("failures", "marked_at", "agreement_id").values_list(
            "agreement_id", flat=True)[:batch_size])
        if not ids:
            break
        done, failed = _recompute_isolating(ids)
        for agreement_id, error in failed:
            _record_failure(agreement_id, error)
        result.agreements += done
        result.failed += len(failed)
        result.batches += 1
        if on_batch is not None:
            on_batch(done)
    result.remaining = DirtyAgreement.objects.count()
    if result.agreements or result.full or result.failed:
        logger.info("Score sweep: %s", result)
    return result
