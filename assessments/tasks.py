"""Celery tasks: thin, rerunnable wrappers around ``assessments.aggregation``.

Every task takes ids (or nothing), recomputes from the source rows and can run twice with the
same result. Messages are acknowledged after the task ends and requeued if the worker dies, so
a recompute interrupted mid-way runs again; each recompute is one transaction, so the
interrupted one left nothing behind. Transient database errors are retried with backoff.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from . import aggregation

logger = logging.getLogger(__name__)

_RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(soft_time_limit=60, time_limit=90, **_RELIABLE)
def agreement_scores_recompute(agreement_id: int) -> int:
    """Recompute one agreement and apply the deltas to its partners, categories and the portfolio."""
    done = aggregation.agreements_recompute(agreement_ids=[agreement_id])
    _summaries_refresh_next()
    return done


@shared_task(soft_time_limit=240, time_limit=300, **_RELIABLE)
def scores_sweep() -> dict:
    """Recompute whatever is still marked dirty (beat: every minute)."""
    result = vars(aggregation.scores_sweep())
    _summaries_refresh_next()
    return result


@shared_task(soft_time_limit=1800, time_limit=2100, **_RELIABLE)
def scores_full_recompute() -> dict:
    """Rebuild every score from the ratings and take the day's snapshot (beat: nightly)."""
    rows = aggregation.scores_full_recompute().rows
    _summaries_refresh_next()
    return rows


@shared_task(soft_time_limit=600, time_limit=660, **_RELIABLE)
def dashboard_summaries_refresh() -> int:
    """Recompute the dashboard summaries that are out of date (after each recompute; beat: every
    minute, which also catches the change of day)."""
    from riskboard.dashboards.services import dashboard_summaries_refresh as refresh  # the dashboards read this app

    return refresh()


@shared_task(soft_time_limit=60, time_limit=90, **_RELIABLE)
def agreement_counts_compact() -> int:
    """Fold each team's appended agreement-count rows into one (beat: every ten minutes)."""
    from .services import agreement_counts_compact as compact

    return compact()


def _summaries_refresh_next() -> None:
    """Queue the dashboard summaries' refresh; never fail the recompute that asks for it (until the
    refresh has run, dashboards compute from the stored scores, and the beat retries it)."""
    try:
        dashboard_summaries_refresh.apply_async(retry=False)
    except Exception:
        logger.warning("Could not queue the dashboard summaries' refresh now; the beat will.", exc_info=True)


def publish_on_commit(task, **kwargs) -> None:
    """Queue ``task`` once the current transaction commits; never let that fail the caller.

    If the broker is down (or, with tasks run in-process, the recompute itself fails), the error
    is logged and the dirty mark written with the change stays for the sweeper.
    """

    def publish() -> None:
        try:
            task.apply_async(kwargs=kwargs, retry=False)
        except Exception:
            logger.warning("Could not run %s(%s) now; the sweeper will pick it up.", task.name, kwargs, exc_info=True)

    transaction.on_commit(publish)
