"""The incremental recompute: a few agreements changed, so apply exact deltas to what they touch.

For each agreement the new state (latest approved assessment, status) is scored in Python with
``assessments.scoring``; its old contribution comes from its stored ``AgreementScore`` and the
ratings of the assessment that row names (approved assessments never change, nor does a
published matrix). The difference is added to the partner, partner x category, category and
portfolio tallies with ``col = col + delta`` upserts: integer sums and counts, so the result is
exactly what a full recompute would store (``tests/assessments/test_aggregation.py`` proves it).

The number of statements does not depend on the portfolio's size: the scores lock, one read of
everything the agreements need, the catalogue rules, and (on PostgreSQL) one statement of
data-modifying CTEs for every write, since each round trip costs as much as the work itself
(on SQLite, writes go in chunks of ``CHUNK_ROWS``). On PostgreSQL the statements are prepared once per
database session (``prepared.execute_prepared``), since planning them took longer than running
them; the rows to write travel as one array per column (``unnest``), so that the text of the
write does not depend on how many rows each level gets, and the ids to read are one array
parameter: whatever the number of agreements, the same statements run every time.

The teams whose stored state changed get their dashboard summary's generation bumped in the same
statement (``DashboardSummary``): dashboards stop reading the summary until the worker has
refreshed it. A recompute that changes nothing bumps nothing.

An agreement's partners may have changed since it was last computed (``hooks.agreement_changed``):
its old contribution is subtracted from the partners it was counted for
(``AgreementScore.counted_partners``), its new one added to its partners now. Likewise for its
owner team: every tally row is per team, and the old contribution is subtracted from the rows of
the team it was counted for (``AgreementScore.counted_team``). A partner it was
counted for may have been deleted since (by a cascade, or in a shell: ``partner_delete`` refuses
while an agreement names it); its score rows went with it, so there is nothing left to subtract
from, and the partner-level writes skip it rather than recreate a row for a partner that no
longer exists (which its foreign key would refuse). The same holds for a deleted team.
"""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .. import scoring
from ..choices import AgreementStatus, AssessmentStatus
from ..models import AgreementScore, Partner, Team
from ..models.aggregates import partner_ids_parse
from .catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels
from .prepared import execute_prepared
from .sql import AGREEMENT_COLUMNS, TALLY_COLUMNS, Dialect, T, complete_rating, lock_scores

CHUNK_ROWS = 500
_TALLY = [c.strip() for c in TALLY_COLUMNS.split(",")]
_AGREEMENT_COLUMNS = [c.strip() for c in AGREEMENT_COLUMNS.split(",")]


def _tally_values(tally: scoring.Tally) -> list[int]:
    return [tally.n, tally.score_sum_c, tally.score_low_sum_c, tally.score_high_sum_c, tally.inherent_sum_c,
            *tally.band_counts, tally.fingerprint]


_STORED = ", ".join(f"s.{name}" for name in (*AgreementScore.RESULT_FIELDS, *AgreementScore.BAND_FIELDS))


@dataclass(frozen=True)
class _Stored:
    """An agreement's stored score: what it contributed when last computed."""

    assessment_id: int
    catalogue_id: int
    is_active: bool
    partner_ids: tuple[int, ...]
    team_id: int
    result: scoring.AgreementResult


def _stored_result(values: Sequence) -> scoring.AgreementResult:
    named = dict(zip((*AgreementScore.RESULT_FIELDS, *AgreementScore.BAND_FIELDS), values, strict=True))
    counts = tuple(named.pop(name) for name in AgreementScore.BAND_FIELDS)
    return scoring.AgreementResult(**named, band_counts=counts, worst_rank=scoring.worst_rank_of_counts(counts))


def _marks(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(cursor, sql: str, params: Sequence) -> list[tuple]:
    execute_prepared(cursor, sql, params)
    return cursor.fetchall()


def _chunks(rows: Sequence, size: int = CHUNK_ROWS):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@dataclass(frozen=True)
class _Write:
    """One data-modifying statement; ``keys`` (for tally upserts) are the key columns it returns,
    with ``n``, so that rows left counting nothing can be deleted."""

    table: str
    sql: str
    params: list
    keys: tuple[str, ...] = ()


def _columns_as_arrays(rows: Sequence[Sequence]) -> list[list]:
    """Rows as one list per column: on PostgreSQL each becomes an array parameter of ``unnest``,
    so that a statement's text (and its prepared plan) does not depend on how many rows it writes."""
    return [list(column) for column in zip(*rows, strict=True)]


def _tally_upserts(*, table: str, key_columns: Sequence[str], rows: list[tuple], db_now,
                   postgres: bool) -> list[_Write]:
    """Add ``rows`` of ``(*key, tally)`` to ``table``: ``col = col + delta``, inserting missing keys.

    Rows keyed by a ``partner_id`` or ``team_id`` whose partner or team no longer exists are
    skipped (see the module's docstring)."""
    if not rows:
        return []
    columns = [*key_columns, *_TALLY]
    def exists(alias: str, names: Sequence[str]) -> str:
        tests = [check(f"{alias}.{name}") for column, name in zip(key_columns, names, strict=True)
                 for check in [_EXISTS.get(column)] if check]
        return " AND ".join(tests) or "1 = 1"

    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in _TALLY if c != "fingerprint")
    fingerprint = f"fingerprint = ({table}.fingerprint + excluded.fingerprint) %% {scoring.FINGERPRINT_MODULUS}"
    conflict = (
        f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {increments}, {fingerprint}, "
        f"computed_at = excluded.computed_at RETURNING {', '.join(key_columns)}, n"
    )
    values = [(*key_values, *_tally_values(tally)) for *key_values, tally in rows]
    if postgres:
        types = ", ".join("%s::TEXT[]" if c == "category_code" else "%s::BIGINT[]" for c in columns)
        source = f"unnest({types}) AS u({', '.join(columns)}) WHERE {exists('u', key_columns)}"
        return [_Write(table, (
            f"INSERT INTO {table} ({', '.join(columns)}, computed_at) "
            f"SELECT u.*, CAST(%s AS TIMESTAMPTZ) FROM {source} {conflict}"
        ), [db_now, *_columns_as_arrays(values)], tuple(key_columns))]
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # The timestamp once per statement, not per row: fewer parameters to send and parse. (VALUES
    # columns are column1, column2...; SQLite needs the WHERE before ON CONFLICT to parse an upsert
    # from a SELECT.)
    selected = ", ".join(f"v.column{i}" for i in range(1, len(columns) + 1))
    where = exists("v", [f"column{i}" for i in range(1, len(key_columns) + 1)])
    return [
        _Write(table, (
            f"INSERT INTO {table} ({', '.join(columns)}, computed_at) SELECT {selected}, %s FROM (VALUES "
            f"{', '.join([placeholder] * len(chunk))}) v WHERE {where} {conflict}"
        ), [db_now, *(v for row in chunk for v in row)], tuple(key_columns))
        for chunk in _chunks(values)
    ]


def _partner_exists(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM {Partner._meta.db_table} p WHERE p.id = {column})"


def _team_exists(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM {Team._meta.db_table} tm WHERE tm.id = {column})"


_EXISTS = {"partner_id": _partner_exists, "team_id": _team_exists}


def _execute_writes(cursor, writes: list[_Write], *, postgres: bool) -> None:
    """Run ``writes``, then delete the tally rows they left counting nothing (a full recompute would
    not create them). On PostgreSQL the writes are one
    statement of data-modifying CTEs: a single round trip, whatever the number of levels."""
    emptied: list[tuple[_Write, tuple]] = []
    if postgres:
        ctes = ", ".join(f"w{i} AS ({w.sql if w.keys else w.sql + ' RETURNING 1'})" for i, w in enumerate(writes))
        empties = " UNION ALL ".join(
            f"SELECT {i}, {', '.join(f'CAST({k} AS TEXT)' for k in w.keys)}{', NULL' * (3 - len(w.keys))} "
            f"FROM w{i} WHERE n = 0"
            for i, w in enumerate(writes) if w.keys
        ) or "SELECT 0, NULL, NULL, NULL WHERE FALSE"
        execute_prepared(cursor, f"WITH {ctes} {empties}", [v for w in writes for v in w.params])
        emptied = [(writes[i], tuple(k for k in key if k is not None)) for i, *key in cursor.fetchall()]
    else:
        for write in writes:
            cursor.execute(write.sql, write.params)
            if write.keys:
                emptied += [(write, tuple(row[:-1])) for row in cursor.fetchall() if row[-1] == 0]
    by_table: dict[tuple, list[tuple]] = defaultdict(list)
    for write, key in emptied:
        by_table[(write.table, write.keys)].append(key)
    for (table, keys), values in by_table.items():
        for chunk in _chunks(sorted(set(values))):
            match = " OR ".join(["(" + " AND ".join(f"CAST({k} AS TEXT) = %s" for k in keys) + ")"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE n = 0 AND ({match})", [str(v) for key in chunk for v in key])


def _agreement_writes(upserts: list[tuple], removed: list[int], *, db_now, postgres: bool) -> list[_Write]:
    """Upsert ``(column values...)`` rows of ``AGREEMENT_COLUMNS`` but ``computed_at`` and delete
    ``removed``."""
    columns = [c for c in _AGREEMENT_COLUMNS if c != "computed_at"]
    values = [c for c in columns if c != "agreement_id"]
    # A row whose values are the same is left as it is, keeping its computed_at (as a full
    # recompute does); every column is NOT NULL, so <> on the row is "differs in a column".
    conflict = "ON CONFLICT (agreement_id) DO UPDATE SET " + ", ".join(
        f"{c} = excluded.{c}" for c in (*values, "computed_at")
    ) + (f" WHERE ({', '.join(f'{T.agreement_score}.{c}' for c in values)}) <> "
         f"({', '.join(f'excluded.{c}' for c in values)})")
    names = f"{', '.join(columns)}, computed_at"
    if postgres:
        types = {"is_active": "BOOLEAN", "counted_partners": "TEXT"}
        arrays = ", ".join(f"%s::{types.get(c, 'BIGINT')}[]" for c in columns)
        writes = [_Write(T.agreement_score, (
            f"INSERT INTO {T.agreement_score} ({names}) SELECT u.*, CAST(%s AS TIMESTAMPTZ) FROM unnest({arrays}) u "
            f"{conflict}"
        ), [db_now, *_columns_as_arrays(upserts)])] if upserts else []
        if removed:
            writes.append(_Write(T.agreement_score, f"DELETE FROM {T.agreement_score} WHERE agreement_id = "
                                 f"ANY(%s::BIGINT[])", [removed]))
        return writes
    placeholder = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    writes = [
        _Write(T.agreement_score, (
            f"INSERT INTO {T.agreement_score} ({names}) VALUES {', '.join([placeholder] * len(chunk))} {conflict}"
        ), [v for row in chunk for v in (*row, db_now)])
        for chunk in _chunks(upserts)
    ]
    writes += [
        _Write(T.agreement_score, f"DELETE FROM {T.agreement_score} WHERE agreement_id IN ({_marks(chunk)})", chunk)
        for chunk in _chunks(removed)
    ]
    return writes


def _mark_deletes(marks: list[tuple[int, int]], *, postgres: bool) -> list[_Write]:
    """Delete the dirty marks ``(agreement_id, generation)`` read at the start (not later ones)."""
    if not marks:
        return []
    if postgres:
        return [_Write(T.dirty, f"DELETE FROM {T.dirty} WHERE (agreement_id, generation) IN "
                                f"(SELECT * FROM unnest(%s::BIGINT[], %s::BIGINT[]))", _columns_as_arrays(marks))]
    return [
        _Write(T.dirty, f"DELETE FROM {T.dirty} WHERE "
               + " OR ".join(["(agreement_id = %s AND generation = %s)"] * len(chunk)),
               [v for mark in chunk for v in mark])
        for chunk in _chunks(marks)
    ]


def _summaries_outdated(team_ids: list[int], *, postgres: bool) -> list[_Write]:
    """Bump the dashboard summary generation of ``team_ids`` (creating their rows): the worker
    refreshes them, and until then dashboards do not read them (``DashboardSummary``)."""
    if not team_ids:
        return []
    conflict = (f"ON CONFLICT (team_id) DO UPDATE SET generation = {T.dashboard_summary}.generation + 1")
    if postgres:
        return [_Write(T.dashboard_summary, (
            f"INSERT INTO {T.dashboard_summary} (team_id, generation) SELECT u.team_id, 1 "
            f"FROM unnest(%s::BIGINT[]) AS u(team_id) WHERE {_team_exists('u.team_id')} {conflict}"
        ), [team_ids])]
    return [_Write(T.dashboard_summary, (
        f"INSERT INTO {T.dashboard_summary} (team_id, generation) SELECT id, 1 FROM {T.team} "
        f"WHERE id IN ({_marks(team_ids)}) {conflict}"
    ), team_ids)]


def _read(cursor, dialect: Dialect, ids: list[int]):
    """In one query: each agreement's status, owner team, dirty mark, stored score and partners, and the complete
    ratings of its latest approved assessment and of the assessment its stored score was made from
    (one row per rating, the agreement's columns repeated; one row without a rating otherwise)."""
    params = dialect.ids_params(ids)
    wanted = (
        f"SELECT assessment_id, agreement_id, catalogue_id, 1 AS is_latest FROM ({dialect.latest_of(ids)}) l "
        f"UNION ALL SELECT assessment_id, agreement_id, catalogue_id, 0 FROM {T.agreement_score} "
        f"WHERE {dialect.among('agreement_id', ids)} AND is_active"
    )
    rows = _fetch(
        cursor,
        f"SELECT a.id, a.status, a.owner_team_id, d.generation, p.partners, w.assessment_id, w.catalogue_id, "
        f"w.is_latest, {', '.join(f'r.{column}' for column in RATING_COLUMNS)}, "
        f"s.assessment_id, s.catalogue_id, s.is_active, s.counted_partners, s.counted_team_id, "
        f"{_STORED} "
        f"FROM {T.agreement} a LEFT JOIN {T.dirty} d ON d.agreement_id = a.id "
        f"LEFT JOIN {T.agreement_score} s ON s.agreement_id = a.id "
        f"LEFT JOIN ({dialect.partner_lists(agreement_ids=ids)}) p ON p.agreement_id = a.id "
        f"LEFT JOIN ({wanted}) w ON w.agreement_id = a.id "
        f"LEFT JOIN {T.rating} r ON r.assessment_id = w.assessment_id "
        f"AND {complete_rating('r')} "
        f"WHERE {dialect.among('a.id', ids)}",
        [*params, *params, AssessmentStatus.APPROVED.value, *params, *params],
    )
    marks, statuses, teams, stored, partners = [], {}, {}, {}, {}
    latest: dict[int, tuple[int, int]] = {}
    catalogues: dict[int, int] = {}
    levels: dict[int, dict[int, tuple]] = defaultdict(dict)  # assessment -> rating id -> RATING_COLUMNS
    for agreement_id, status, team_id, generation, partner_list, assessment_id, catalogue_id, is_latest, *rest in rows:
        rating, score = rest[:len(RATING_COLUMNS)], rest[len(RATING_COLUMNS):]
        if agreement_id not in statuses:
            statuses[agreement_id], teams[agreement_id] = status, team_id
            partners[agreement_id] = partner_ids_parse(partner_list)
            if generation is not None:
                marks.append((agreement_id, generation))
            if score[0] is not None:
                stored[agreement_id] = _Stored(
                    score[0], score[1], bool(score[2]), partner_ids_parse(score[3]), score[4], _stored_result(score[5:])
                )
        if assessment_id is None:
            continue
        catalogues[assessment_id] = catalogue_id
        if is_latest:
            latest[agreement_id] = (assessment_id, catalogue_id)
        if rating[0] is not None:
            levels[assessment_id][rating[0]] = tuple(rating)
    return marks, statuses, teams, stored, partners, latest, catalogues, levels


def agreements_recompute(*, agreement_ids: Iterable[int]) -> int:
    """Recompute the scores of ``agreement_ids`` and apply the deltas to every aggregate they touch.

    Clears each agreement's dirty mark if it was not re-marked meanwhile. Idempotent: running it
    again changes nothing, ``computed_at`` included. Returns the number of agreements recomputed.
    Statements: four on PostgreSQL (five when a tally row is emptied), whatever the portfolio size.
    """
    ids = sorted({int(i) for i in agreement_ids})
    if not ids:
        return 0
    now = timezone.now()
    dialect = Dialect(connection)
    db_now = connection.ops.adapt_datetimefield_value(now)
    widening = confidence_widening()
    with transaction.atomic(), connection.cursor() as cursor:
        lock_scores(cursor, db_now)
        marks, statuses, teams, stored, partners, latest, catalogues, levels = _read(cursor, dialect, ids)
        rules = catalogue_rules(catalogue_ids=set(catalogues.values()))
        categories = {cid: category for r in rules.values() for cid, category in r.categories.items()}
        ratings: dict[int, list[scoring.RatingLevels]] = {
            assessment_id: [rating_levels(row, categories=categories) for _, row in sorted(by_id.items())]
            for assessment_id, by_id in levels.items()
        }

        def scored(assessment_id: int, catalogue_id: int) -> tuple[scoring.RatingScore, ...]:
            matrix = rules[catalogue_id].matrix
            return tuple(scoring.rating_score(r, matrix=matrix, widening=widening)
                         for r in ratings.get(assessment_id, ()))

        deltas: dict[tuple, scoring.Tally] = {}
        upserts, removed = [], []
        touched: set[int] = set()  # teams whose dashboard summary this changes
        for agreement_id in ids:
            partner_ids = partners.get(agreement_id, ())
            result, scores = None, ()
            if agreement_id in latest:
                assessment_id, catalogue_id = latest[agreement_id]
                scores = scored(assessment_id, catalogue_id)
                result = scoring.agreement_result(
                    scores, matrix=rules[catalogue_id].matrix, rollup=rules[catalogue_id].rollup
                )
            active = statuses.get(agreement_id) == AgreementStatus.ACTIVE
            new = scoring.AgreementState(agreement_id, active, partner_ids, result, scores, teams.get(agreement_id))
            old_row = stored.get(agreement_id)
            old = {}
            if old_row is not None and old_row.is_active:  # as counted then, for its partners and team then
                old = scoring.agreement_contributions(scoring.AgreementState(
                    agreement_id, True, old_row.partner_ids, old_row.result,
                    scored(old_row.assessment_id, old_row.catalogue_id), old_row.team_id,
                ))
            for key, delta in scoring.contributions_delta(old, scoring.agreement_contributions(new)).items():
                deltas[key] = deltas.get(key, scoring.Tally()) + delta
            now_stored = None if result is None else (
                *latest[agreement_id], active, partner_ids, teams[agreement_id], result)
            was_stored = None if old_row is None else (
                old_row.assessment_id, old_row.catalogue_id, old_row.is_active, old_row.partner_ids, old_row.team_id,
                old_row.result)
            if now_stored != was_stored:  # its team then and now (index 4 of both)
                touched.update(row[4] for row in (now_stored, was_stored) if row is not None)
            if result is not None:
                row = {
                    "agreement_id": agreement_id, "assessment_id": latest[agreement_id][0],
                    "catalogue_id": latest[agreement_id][1], "is_active": active,
                    "counted_partners": ",".join(map(str, partner_ids)), "counted_team_id": teams[agreement_id],
                    **{name: getattr(result, name) for name in AgreementScore.RESULT_FIELDS},
                    **dict(zip(AgreementScore.BAND_FIELDS, result.band_counts, strict=True)),
                }
                upserts.append(tuple(row[c] for c in _AGREEMENT_COLUMNS if c != "computed_at"))
            elif old_row is not None:
                removed.append(agreement_id)

        postgres = dialect.postgres
        writes = _agreement_writes(upserts, removed, db_now=db_now, postgres=postgres)
        by_level: dict[str, list[tuple]] = defaultdict(list)
        for key, delta in sorted(deltas.items(), key=lambda item: tuple(map(str, item[0]))):
            by_level[key[0]].append((*key[1:], delta))
        # Keys are (level, *key columns but the team, team): the tables' key columns in that order.
        for level, table, key_columns in (
            ("partner", T.partner_score, ["partner_id", "team_id"]),
            ("partner_category", T.partner_category_score, ["partner_id", "category_code", "team_id"]),
            ("category", T.category_score, ["category_code", "team_id"]),
            ("portfolio", T.portfolio_score, ["team_id"]),
        ):
            writes += _tally_upserts(table=table, key_columns=key_columns, rows=by_level[level], db_now=db_now,
                                     postgres=postgres)
        writes += _mark_deletes(marks, postgres=postgres)
        writes += _summaries_outdated(sorted(touched), postgres=postgres)
        if writes:
            _execute_writes(cursor, writes, postgres=postgres)
    return len(ids)
