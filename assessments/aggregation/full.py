"""The full recompute: every stored score rebuilt from the ratings, set-based, in one transaction.

This is the reference the incremental path must equal. It runs in stages inside the database:
the current ratings (each agreement's latest approved assessment, scored) are materialised once
in a temporary table, and every level is one ``GROUP BY`` over it or over the agreement scores,
written with ``INSERT ... SELECT``. Python only orchestrates: no rating crosses into it.

Being one transaction, an interrupted run (worker killed, connection lost) leaves the previous
scores untouched, and a rerun produces the same rows.
"""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import ScoreLevel
from .rules import catalogue_rules, confidence_widening
from .sql import AGREEMENT_COLUMNS, TALLY_COLUMNS, Dialect, T, lock_scores

logger = logging.getLogger(__name__)

STAGES = (
    "rules",
    "agreements",
    "partners",
    "partner categories",
    "categories",
    "portfolio",
    "snapshots",
    "dirty marks",
)
TEMP_TABLES = ("rb_scores_marks", "rb_scores_agreements", "rb_scores_partner_categories")


@dataclass
class FullRecomputeResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _approved_catalogue_ids(cursor) -> list[int]:
    cursor.execute(f"SELECT DISTINCT catalogue_id FROM {T.assessment} WHERE status = %s", ["approved"])
    return [row[0] for row in cursor.fetchall()]


def _snapshot(cursor, *, level: str, source: str, day: str, now) -> int:
    """Today's row for each key of ``level`` whose tally changed since its latest earlier row, and a
    zero row for each key that stopped counting. Idempotent: today's rows are rewritten."""
    prev = f"""
        SELECT s.key, s.n, s.fingerprint FROM {T.snapshot} s
        JOIN (SELECT key, MAX(day) AS day FROM {T.snapshot} WHERE level = %s AND day < %s GROUP BY key) latest
          ON latest.key = s.key AND latest.day = s.day
        WHERE s.level = %s
    """
    cur_columns = ", ".join(f"cur.{c.strip()}" for c in TALLY_COLUMNS.split(","))
    zeros = ", ".join(["0"] * len(TALLY_COLUMNS.split(",")))
    cursor.execute(
        f"""INSERT INTO {T.snapshot} (day, level, key, {TALLY_COLUMNS}, computed_at)
            SELECT %s, %s, cur.key, {cur_columns}, %s FROM ({source}) cur
            LEFT JOIN ({prev}) prev ON prev.key = cur.key
            WHERE prev.key IS NULL OR prev.fingerprint <> cur.fingerprint OR prev.n <> cur.n""",
        [day, level, now, level, day, level],
    )
    written = cursor.rowcount
    cursor.execute(
        f"""INSERT INTO {T.snapshot} (day, level, key, {TALLY_COLUMNS}, computed_at)
            SELECT %s, %s, prev.key, {zeros}, %s FROM ({prev}) prev
            WHERE prev.n <> 0 AND NOT EXISTS (SELECT 1 FROM ({source}) cur WHERE cur.key = prev.key)""",
        [day, level, now, level, day, level],
    )
    return written + cursor.rowcount


def scores_full_recompute(
    *, today: dt.date | None = None, on_stage: Callable[[str], object] | None = None
) -> FullRecomputeResult:
    """Rebuild every agreement, partner, partner x category, category and portfolio score, take
    today's snapshot (only keys that changed) and clear the dirty marks that existed at the start.

    Runs in one transaction holding the scores lock, so incremental recomputes wait for it.
    ``on_stage(name)`` is called after each of ``STAGES``. Raises ValueError when a catalogue in
    use has an unusable matrix or roll-up.
    """
    started = time.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate(now)
    result = FullRecomputeResult()
    dialect = Dialect(connection)
    stage = on_stage or (lambda name: None)
    with transaction.atomic(), connection.cursor() as cursor:
        db_now = connection.ops.adapt_datetimefield_value(now)
        db_day = connection.ops.adapt_datefield_value(today)
        lock_scores(cursor, db_now)
        if dialect.postgres:  # sorts and hashes of a few hundred thousand rows stay in memory
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.RISKBOARD_SCORES_WORK_MEM])
        for name in TEMP_TABLES:
            cursor.execute(dialect.drop_temp(name), [])
        # Marks that exist now are covered by this run; later ones survive it (see DirtyAgreement).
        cursor.execute(
            dialect.create_temp("rb_scores_marks", f"SELECT agreement_id, generation FROM {T.dirty}"), []
        )
        rules = catalogue_rules(catalogue_ids=_approved_catalogue_ids(cursor))
        stage("rules")

        # Two passes over the current ratings, each grouped as it reads (in parallel on PostgreSQL):
        # agreements, then partner x category (whose "primary" rows give the category level).
        current = f"({dialect.current_ratings(confidence_widening(), rules)})"
        cursor.execute(dialect.create_temp("rb_scores_agreements", dialect.agreements_from(current, rules)), [])
        cursor.execute(f"DELETE FROM {T.agreement_score}", [])
        cursor.execute(
            f"INSERT INTO {T.agreement_score} ({AGREEMENT_COLUMNS}) SELECT a.*, %s FROM rb_scores_agreements a",
            [db_now],
        )
        result.rows["agreements"] = cursor.rowcount
        stage("agreements")

        cursor.execute(f"DELETE FROM {T.partner_score}", [])
        cursor.execute(
            f"""INSERT INTO {T.partner_score} (partner_id, {TALLY_COLUMNS}, computed_at)
                SELECT ap.partner_id, {dialect.tally_of_agreements()}, %s
                FROM {T.agreement_score} s JOIN {T.agreement_partners} ap ON ap.agreement_id = s.agreement_id
                WHERE s.is_active GROUP BY ap.partner_id""",
            [db_now],
        )
        result.rows["partners"] = cursor.rowcount
        stage("partners")

        partner_categories = dialect.partner_categories_from(current)
        cursor.execute(dialect.create_temp("rb_scores_partner_categories", partner_categories), [])
        cursor.execute(f"DELETE FROM {T.partner_category_score}", [])
        cursor.execute(
            f"""INSERT INTO {T.partner_category_score} (partner_id, category_code, {TALLY_COLUMNS}, computed_at)
                SELECT t.partner_id, t.category_code, {dialect.tally_sums()}, %s
                FROM rb_scores_partner_categories t WHERE t.partner_id IS NOT NULL
                GROUP BY t.partner_id, t.category_code""",
            [db_now],
        )
        result.rows["partner_categories"] = cursor.rowcount
        stage("partner categories")

        cursor.execute(f"DELETE FROM {T.category_score}", [])
        cursor.execute(
            f"""INSERT INTO {T.category_score} (category_code, {TALLY_COLUMNS}, computed_at)
                SELECT t.category_code, {dialect.tally_sums()}, %s
                FROM rb_scores_partner_categories t WHERE t.is_primary = 1 GROUP BY t.category_code""",
            [db_now],
        )
        result.rows["categories"] = cursor.rowcount
        stage("categories")

        updates = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in TALLY_COLUMNS.split(","))
        cursor.execute(
            f"""INSERT INTO {T.portfolio_score} (id, {TALLY_COLUMNS}, computed_at)
                SELECT 1, {dialect.tally_of_agreements(zero_if_empty=True)}, %s
                FROM {T.agreement_score} s WHERE s.is_active
                ON CONFLICT (id) DO UPDATE SET {updates}, computed_at = excluded.computed_at""",
            [db_now],
        )
        stage("portfolio")

        cursor.execute(f"DELETE FROM {T.snapshot} WHERE day = %s", [db_day])
        result.rows["snapshots"] = sum(
            _snapshot(cursor, level=level, source=source, day=db_day, now=db_now)
            for level, source in (
                (ScoreLevel.PARTNER.value,
                 f"SELECT CAST(partner_id AS VARCHAR(64)) AS key, {TALLY_COLUMNS} FROM {T.partner_score}"),
                (ScoreLevel.CATEGORY.value, f"SELECT category_code AS key, {TALLY_COLUMNS} FROM {T.category_score}"),
                (ScoreLevel.PORTFOLIO.value,
                 f"SELECT 'portfolio' AS key, {TALLY_COLUMNS} FROM {T.portfolio_score} WHERE id = 1"),
            )
        )
        stage("snapshots")

        cursor.execute(
            f"""DELETE FROM {T.dirty} WHERE EXISTS (
                SELECT 1 FROM rb_scores_marks m
                WHERE m.agreement_id = {T.dirty}.agreement_id AND m.generation = {T.dirty}.generation)""",
            [],
        )
        result.rows["cleared_marks"] = cursor.rowcount
        for name in TEMP_TABLES:
            cursor.execute(dialect.drop_temp(name), [])
        stage("dirty marks")
    result.seconds = time.perf_counter() - started
    logger.info("Full score recompute: %s in %.2f s", result.rows, result.seconds)
    return result
