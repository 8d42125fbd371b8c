"""The incremental recompute: a few agreements changed, so apply exact deltas to what they touch.

For each agreement the new state (latest approved assessment, status) is scored in Python with
``assessments.scoring``; its old contribution comes from its stored ``AgreementScore`` and the
ratings of the assessment that row names (approved assessments never change, nor does a
published matrix). The difference is added to the partner, partner x category, category and
portfolio tallies with ``col = col + delta`` upserts: integer sums and counts, so the result is
exactly what a full recompute would store (``tests/assessments/test_aggregation.py`` proves it).

The number of statements does not depend on the portfolio's size, only (in chunks of
``CHUNK_ROWS``) on how many agreements are recomputed together.

Known limit: a change to an agreement's partner links is not a trigger; the nightly full
recompute picks it up.
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
from ..models import AgreementScore
from .rules import catalogue_rules, confidence_widening
from .sql import TALLY_COLUMNS, T, lock_scores

CHUNK_ROWS = 500
_TALLY = [c.strip() for c in TALLY_COLUMNS.split(",")]
_AGREEMENT_UPDATE_FIELDS = [
    "assessment", "catalogue", "is_active", *AgreementScore.RESULT_FIELDS, *AgreementScore.BAND_FIELDS, "computed_at",
]


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
    result: scoring.AgreementResult


def _stored_result(values: Sequence) -> scoring.AgreementResult:
    named = dict(zip((*AgreementScore.RESULT_FIELDS, *AgreementScore.BAND_FIELDS), values, strict=True))
    counts = tuple(named.pop(name) for name in AgreementScore.BAND_FIELDS)
    return scoring.AgreementResult(**named, band_counts=counts, worst_rank=scoring.worst_rank(counts))


def _marks(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(cursor, sql: str, params: Sequence) -> list[tuple]:
    cursor.execute(sql, list(params))
    return cursor.fetchall()


def _chunks(rows: Sequence, size: int = CHUNK_ROWS):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _apply_deltas(
    cursor, *, table: str, key_columns: Sequence[str], rows: list[tuple], db_now, delete_emptied: bool = True
) -> None:
    """Add ``rows`` of ``(*key, tally)`` to ``table``: ``col = col + delta``, inserting missing keys.

    Rows left counting nothing are deleted, as a full recompute would not create them; the upsert
    returns the new counts, so the delete runs only when one reached zero.
    """
    columns = [*key_columns, *_TALLY, "computed_at"]
    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in _TALLY if c != "fingerprint")
    fingerprint = f"fingerprint = ({table}.fingerprint + excluded.fingerprint) %% {scoring.FINGERPRINT_MODULUS}"
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    key = key_columns[0]
    emptied = []
    for chunk in _chunks(rows):
        params: list = []
        for *key_values, tally in chunk:
            params += [*key_values, *_tally_values(tally), db_now]
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholder] * len(chunk))} "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {increments}, {fingerprint}, "
            f"computed_at = excluded.computed_at RETURNING {key}, n",
            params,
        )
        emptied += [row[0] for row in cursor.fetchall() if row[1] == 0 and delete_emptied]
    for chunk in _chunks(sorted(set(emptied))):
        cursor.execute(f"DELETE FROM {table} WHERE n = 0 AND {key} IN ({', '.join(['%s'] * len(chunk))})", chunk)


def agreements_recompute(*, agreement_ids: Iterable[int]) -> int:
    """Recompute the scores of ``agreement_ids`` and apply the deltas to every aggregate they touch.

    Clears each agreement's dirty mark if it was not re-marked meanwhile. Idempotent: running it
    again changes nothing but ``computed_at``. Returns the number of agreements recomputed.
    """
    ids = sorted({int(i) for i in agreement_ids})
    if not ids:
        return 0
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    widening = confidence_widening()
    with transaction.atomic(), connection.cursor() as cursor:
        lock_scores(cursor, db_now)
        marks, statuses, stored = [], {}, {}
        for row in _fetch(
            cursor,
            f"SELECT a.id, a.status, d.generation, s.assessment_id, s.catalogue_id, s.is_active, {_STORED} "
            f"FROM {T.agreement} a LEFT JOIN {T.dirty} d ON d.agreement_id = a.id "
            f"LEFT JOIN {T.agreement_score} s ON s.agreement_id = a.id WHERE a.id IN ({_marks(ids)})",
            ids,
        ):
            agreement_id, status, generation, *score = row
            statuses[agreement_id] = status
            if generation is not None:
                marks.append((agreement_id, generation))
            if score[0] is not None:
                stored[agreement_id] = _Stored(score[0], score[1], bool(score[2]), _stored_result(score[3:]))
        partners: dict[int, set[int]] = defaultdict(set)
        for agreement_id, partner_id in _fetch(
            cursor,
            f"SELECT agreement_id, partner_id FROM {T.agreement_partners} WHERE agreement_id IN ({_marks(ids)})",
            ids,
        ):
            partners[agreement_id].add(partner_id)
        latest: dict[int, tuple[int, int]] = {}
        for assessment_id, agreement_id, catalogue_id in _fetch(
            cursor,
            f"SELECT id, agreement_id, catalogue_id FROM {T.assessment} WHERE agreement_id IN ({_marks(ids)}) "
            "AND status = %s ORDER BY agreement_id, approved_at DESC, id DESC",
            [*ids, AssessmentStatus.APPROVED.value],
        ):
            latest.setdefault(agreement_id, (assessment_id, catalogue_id))
        old_active = [s for s in stored.values() if s.is_active]
        rules = catalogue_rules(catalogue_ids={c for _, c in latest.values()} | {s.catalogue_id for s in old_active})
        categories = {cid: category for r in rules.values() for cid, category in r.categories.items()}

        ratings: dict[int, list[scoring.RatingInput]] = defaultdict(list)
        wanted = sorted({a for a, _ in latest.values()} | {s.assessment_id for s in old_active})
        for rid, assessment_id, category_id, il, ii, rl, ri, confidence in _fetch(
            cursor,
            f"SELECT id, assessment_id, category_id, inherent_likelihood, inherent_impact, residual_likelihood, "
            f"residual_impact, confidence FROM {T.rating} WHERE assessment_id IN ({_marks(wanted)}) "
            "AND inherent_likelihood IS NOT NULL AND inherent_impact IS NOT NULL "
            "AND residual_likelihood IS NOT NULL AND residual_impact IS NOT NULL",
            wanted,
        ) if wanted else ():
            code, weight = categories[category_id]
            ratings[assessment_id].append(scoring.RatingInput(rid, code, weight, il, ii, rl, ri, confidence))

        def scored(assessment_id: int, catalogue_id: int) -> tuple[scoring.RatingScore, ...]:
            matrix = rules[catalogue_id].matrix
            return tuple(scoring.rating_score(r, matrix=matrix, widening=widening) for r in ratings[assessment_id])

        deltas: dict[tuple, scoring.Tally] = {}
        upserts, removed = [], []
        for agreement_id in ids:
            partner_ids = tuple(sorted(partners[agreement_id]))
            result, scores = None, ()
            if agreement_id in latest:
                assessment_id, catalogue_id = latest[agreement_id]
                scores = scored(assessment_id, catalogue_id)
                result = scoring.agreement_result(
                    scores, matrix=rules[catalogue_id].matrix, rollup=rules[catalogue_id].rollup
                )
            active = statuses.get(agreement_id) == AgreementStatus.ACTIVE
            new = scoring.AgreementState(agreement_id, active, partner_ids, result, scores)
            old_row = stored.get(agreement_id)
            old = {}
            if old_row is not None and old_row.is_active:
                old = scoring.agreement_contributions(scoring.AgreementState(
                    agreement_id, True, partner_ids, old_row.result, scored(old_row.assessment_id, old_row.catalogue_id)
                ))
            for key, delta in scoring.contributions_delta(old, scoring.agreement_contributions(new)).items():
                deltas[key] = deltas.get(key, scoring.Tally()) + delta
            if result is not None:
                upserts.append(AgreementScore(
                    agreement_id=agreement_id, assessment_id=latest[agreement_id][0],
                    catalogue_id=latest[agreement_id][1], is_active=active, computed_at=now,
                    **{name: getattr(result, name) for name in AgreementScore.RESULT_FIELDS},
                    **dict(zip(AgreementScore.BAND_FIELDS, result.band_counts, strict=True)),
                ))
            elif old_row is not None:
                removed.append(agreement_id)

        if upserts:
            AgreementScore.objects.bulk_create(
                upserts, batch_size=CHUNK_ROWS, update_conflicts=True, unique_fields=["agreement"],
                update_fields=_AGREEMENT_UPDATE_FIELDS,
            )
        if removed:
            AgreementScore.objects.filter(agreement_id__in=removed).delete()

        by_level: dict[str, list[tuple]] = defaultdict(list)
        for key, delta in sorted(deltas.items(), key=lambda item: tuple(map(str, item[0]))):
            by_level[key[0]].append((*key[1:], delta))
        for level, table, key_columns in (
            ("partner", T.partner_score, ["partner_id"]),
            ("partner_category", T.partner_category_score, ["partner_id", "category_code"]),
            ("category", T.category_score, ["category_code"]),
        ):
            if by_level[level]:
                _apply_deltas(cursor, table=table, key_columns=key_columns, rows=by_level[level], db_now=db_now)
        if by_level["portfolio"]:  # never emptied: the portfolio row stays, counting zero
            _apply_deltas(cursor, table=T.portfolio_score, key_columns=["id"],
                          rows=[(1, t) for (t,) in by_level["portfolio"]], db_now=db_now, delete_emptied=False)

        for chunk in _chunks(marks):
            clauses = " OR ".join(["(agreement_id = %s AND generation = %s)"] * len(chunk))
            cursor.execute(f"DELETE FROM {T.dirty} WHERE {clauses}", [v for mark in chunk for v in mark])
    return len(ids)

