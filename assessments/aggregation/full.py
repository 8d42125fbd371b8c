"""The full recompute: every stored score rebuilt from the ratings, set-based, in one transaction.

This is the reference the incremental path must equal. Python only orchestrates: no rating
crosses into it. On PostgreSQL, ``single_pass`` reads the current ratings once and derives every
level from that pass. The general path here (SQLite, and PostgreSQL data the single pass cannot
pack) materialises the agreement scores, then groups each level with one ``GROUP BY``.

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

from django.db import connection, transaction
from django.utils import timezone

from ..models import ScoreLevel
from .catalogue_rules import catalogue_rules, confidence_widening
from .single_pass import rebuild_scores_postgresql
from .sql import AGREEMENT_COLUMNS, TALLY_COLUMNS, Dialect, T, lock_scores, session_settings

logger = logging.getLogger(__name__)

STAGES = ("rules", "current ratings", "scores", "snapshots", "dirty marks")
TEMP_TABLES = ("rb_scores_marks", "rb_scores_agreements", "rb_scores_partner_categories")


@dataclass
class FullRecomputeResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _approved_catalogue_ids(cursor) -> list[int]:
    cursor.execute(f"SELECT DISTINCT catalogue_id FROM {T.assessment} WHERE status = %s", ["approved"])
    return [row[0] for row in cursor.fetchall()]


def _snapshot(cursor, *, day: str, now) -> int:
    """Today's row for each (partner, category or portfolio key, team) whose tally changed since its
    latest earlier row, and a zero row for each that stopped counting (one statement). Idempotent:
    today's rows are deleted first and rewritten. Returns the rows written."""
    current = " UNION ALL ".join((
        f"SELECT '{ScoreLevel.PARTNER.value}' AS level, CAST(partner_id AS VARCHAR(64)) AS key, team_id, "
        f"{TALLY_COLUMNS} FROM {T.partner_score}",
        f"SELECT '{ScoreLevel.CATEGORY.value}', category_code, team_id, {TALLY_COLUMNS} FROM {T.category_score}",
        f"SELECT '{ScoreLevel.PORTFOLIO.value}', 'portfolio', team_id, {TALLY_COLUMNS} FROM {T.portfolio_score}",
    ))
    previous = f"""
        SELECT s.level, s.key, s.team_id, s.n, s.fingerprint FROM {T.snapshot} s
        JOIN (SELECT level, key, team_id, MAX(day) AS day FROM {T.snapshot} WHERE day < %s
              GROUP BY level, key, team_id) latest
          ON latest.level = s.level AND latest.key = s.key AND latest.team_id = s.team_id AND latest.day = s.day
    """
    cur_columns = ", ".join(f"cur.{c.strip()}" for c in TALLY_COLUMNS.split(","))
    zeros = ", ".join(["0"] * len(TALLY_COLUMNS.split(",")))
    same = "prev.level = cur.level AND prev.key = cur.key AND prev.team_id = cur.team_id"
    cursor.execute(f"DELETE FROM {T.snapshot} WHERE day = %s", [day])
    cursor.execute(
        # INSERT ... WITH, not WITH ... INSERT: SQLite's driver reports no row count for the latter.
        f"""INSERT INTO {T.snapshot} (day, level, key, team_id, {TALLY_COLUMNS}, computed_at)
            WITH cur AS ({current}), prev AS ({previous})
            SELECT %s, cur.level, cur.key, cur.team_id, {cur_columns}, %s FROM cur
            LEFT JOIN prev ON {same}
            WHERE prev.key IS NULL OR prev.fingerprint <> cur.fingerprint OR prev.n <> cur.n
            UNION ALL
            SELECT %s, prev.level, prev.key, prev.team_id, {zeros}, %s FROM prev
            WHERE prev.n <> 0 AND NOT EXISTS (SELECT 1 FROM cur WHERE {same})""",
        [day, day, now, day, now],
    )
    return cursor.rowcount


def _write_changed(
    cursor, *, table: str, keys: tuple[str, ...], columns: str, select: str, db_now, always: bool = False
) -> tuple[int, int]:
    """Make ``table`` hold exactly the rows of ``select`` (``columns``, the last ``computed_at``,
    given as its one parameter): rows whose values changed, or are new, are written with
    ``db_now``; rows with the same values are left as they are (and keep their ``computed_at``)
    unless ``always``;
    rows ``select`` no longer gives are deleted. The agreement level is written first: the levels
    above are read from it. Returns the rows written and the rows deleted."""
    names = [c.strip() for c in columns.split(",")]
    values = [c for c in names if c not in keys and c != "computed_at"]
    changed = "" if always else (
        f" WHERE ({', '.join(f'{table}.{c}' for c in values)}) <> ({', '.join(f'excluded.{c}' for c in values)})"
    )  # every column is NOT NULL, so <> on the row is "differs in a column"
    cursor.execute(
        f"""INSERT INTO {table} ({columns}) {select}
            ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in names)}{changed}""",
        [db_now],
    )
    written = cursor.rowcount
    derived = f"SELECT {', '.join(keys)} FROM ({select}) d"
    cursor.execute(f"DELETE FROM {table} WHERE ({', '.join(keys)}) NOT IN ({derived})", [db_now])
    return written, cursor.rowcount


def _rebuild_general(cursor, *, dialect: Dialect, db_now, stage: Callable[[str], object]) -> dict[str, int]:
    """Every score level rebuilt by ``GROUP BY``s over the current ratings, on any database."""
    rows = {}
    for name in TEMP_TABLES[1:]:
        cursor.execute(dialect.drop_temp(name), [])
    rules = catalogue_rules(catalogue_ids=_approved_catalogue_ids(cursor))
    stage("rules")

    # Two passes over the current ratings, each grouped as it reads: agreements, then partner x
    # category (whose "primary" rows give the category level).
    current = f"({dialect.current_ratings(confidence_widening(), rules)})"
    cursor.execute(dialect.create_temp("rb_scores_agreements", dialect.agreements_from(current, rules)), [])
    cursor.execute(dialect.create_temp("rb_scores_partner_categories", dialect.partner_categories_from(current)), [])
    stage("current ratings")

    tally = f"{TALLY_COLUMNS}, computed_at"
    # name: (table, key columns, columns, rows); agreements first, the others read them. Every
    # level is per team: the team an agreement was counted for (its owner team).
    levels = {
        "agreements": (T.agreement_score, ("agreement_id",), AGREEMENT_COLUMNS,
                       "SELECT a.*, %s FROM rb_scores_agreements a WHERE 1 = 1"),
        "partners": (T.partner_score, ("partner_id", "team_id"), f"partner_id, team_id, {tally}", f"""
            SELECT ap.partner_id, s.counted_team_id AS team_id, {dialect.tally_of_agreements()}, %s
            FROM {T.agreement_score} s JOIN {T.agreement_partners} ap ON ap.agreement_id = s.agreement_id
            WHERE s.is_active GROUP BY ap.partner_id, s.counted_team_id"""),
        "partner_categories": (T.partner_category_score, ("partner_id", "category_code", "team_id"),
                               f"partner_id, category_code, team_id, {tally}", f"""
            SELECT t.partner_id, t.category_code, t.team_id, {dialect.tally_sums()}, %s
            FROM rb_scores_partner_categories t WHERE t.partner_id IS NOT NULL
            GROUP BY t.partner_id, t.category_code, t.team_id"""),
        "categories": (T.category_score, ("category_code", "team_id"), f"category_code, team_id, {tally}", f"""
            SELECT t.category_code, t.team_id, {dialect.tally_sums()}, %s
            FROM rb_scores_partner_categories t WHERE t.is_primary = 1 GROUP BY t.category_code, t.team_id"""),
        "portfolio": (T.portfolio_score, ("team_id",), f"team_id, {tally}", f"""
            SELECT s.counted_team_id AS team_id, {dialect.tally_of_agreements()}, %s
            FROM {T.agreement_score} s WHERE s.is_active GROUP BY s.counted_team_id"""),
    }
    rows["deleted"] = 0
    for name, (table, keys, columns, select) in levels.items():
        # The portfolio rows are always written: their computed_at is this run's time.
        written, deleted = _write_changed(cursor, table=table, keys=keys, columns=columns, select=select,
                                          db_now=db_now, always=name == "portfolio")
        if name != "portfolio":
            rows[name] = written
        rows["deleted"] += deleted
    for name in TEMP_TABLES[1:]:
        cursor.execute(dialect.drop_temp(name), [])
    stage("scores")
    return rows


def scores_full_recompute(
    *, today: dt.date | None = None, on_stage: Callable[[str], object] | None = None
) -> FullRecomputeResult:
    """Rebuild every agreement, partner, partner x category, category and portfolio score, take
    today's snapshot (only keys that changed), clear the dirty marks that existed at the start and
    mark every team's dashboard summary out of date (the worker refreshes them).

    Runs in one transaction holding the scores lock, so incremental recomputes wait for it.
    ``on_stage(name)`` is called once after each of ``STAGES``. Raises ValueError when a catalogue
    in use has an unusable matrix or roll-up.
    """
    started = time.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate(now)
    result = FullRecomputeResult()
    dialect = Dialect(connection)
    reached: list[str] = []

    def stage(name: str) -> None:
        if name not in reached:  # the single pass may hand over to the general path after "rules"
            reached.append(name)
            if on_stage is not None:
                on_stage(name)

    with transaction.atomic(), connection.cursor() as cursor:
        db_now = connection.ops.adapt_datetimefield_value(now)
        db_day = connection.ops.adapt_datefield_value(today)
        lock_scores(cursor, db_now)
        session_settings(cursor, dialect.vendor)
        if dialect.postgres:
            # Derived rows, rebuilt from committed data: a crash just after commit could lose this
            # run (the marks it clears come back with it), never leave anything inconsistent.
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)", [])
        cursor.execute(dialect.drop_temp("rb_scores_marks"), [])
        # Marks that exist now are covered by this run; later ones survive it (see DirtyAgreement).
        cursor.execute(
            dialect.create_temp("rb_scores_marks", f"SELECT agreement_id, generation FROM {T.dirty}"), []
        )
        rows = None
        if dialect.postgres:
            rows = rebuild_scores_postgresql(cursor, dialect=dialect, widening=confidence_widening(),
                                             db_now=db_now, stage=stage)
        if rows is None:
            rows = _rebuild_general(cursor, dialect=dialect, db_now=db_now, stage=stage)
        result.rows.update(rows)

        result.rows["snapshots"] = _snapshot(cursor, day=db_day, now=db_now)
        stage("snapshots")

        cursor.execute(
            f"""DELETE FROM {T.dirty} WHERE EXISTS (
                SELECT 1 FROM rb_scores_marks m
                WHERE m.agreement_id = {T.dirty}.agreement_id AND m.generation = {T.dirty}.generation)""",
            [],
        )
        result.rows["cleared_marks"] = cursor.rowcount
        cursor.execute(dialect.drop_temp("rb_scores_marks"), [])
        stage("dirty marks")
        # Every team's dashboard summary is out of date (a row for each team, so that the worker
        # refreshes them all; one statement, as many rows as teams; SQLite needs the WHERE to parse it).
        cursor.execute(
            f"INSERT INTO {T.dashboard_summary} (team_id, generation) SELECT id, 1 FROM {T.team} WHERE 1 = 1 "
            f"ON CONFLICT (team_id) DO UPDATE SET generation = {T.dashboard_summary}.generation + 1", []
        )
    result.seconds = time.perf_counter() - started
    logger.info("Full score recompute: %s in %.2f s", result.rows, result.seconds)
    return result
