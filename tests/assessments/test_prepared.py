"""Prepared statements of the incremental recompute (PostgreSQL only; elsewhere a plain execute)."""

import pytest
from django.db import DatabaseError, connection, transaction

from assessments import aggregation
from assessments.aggregation import prepared
from assessments.aggregation.prepared import execute_prepared

pytestmark = pytest.mark.django_db


def _run(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, list(params))
        return cursor.fetchall()


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def test_parameters_and_a_literal_percent_sign_are_passed_through():
    sql = "SELECT 7 %% 3, CAST(%s AS INTEGER) + 1, CAST(%s AS TEXT), '%%s'"
    assert _run(sql, [41, "it's"]) == [(1, 42, "it's", "%s")]
    assert _run(sql, [1, "again"]) == [(1, 2, "again", "%s")]


def postgresql_only(test):
    """Skipped on other databases, and marked ``postgres`` so that a CI run that skips it fails."""
    skip = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
    return pytest.mark.postgres(skip(test))


@postgresql_only
def test_a_statement_is_prepared_once_per_session_and_survives_a_rollback():
    sql = "SELECT CAST(%s AS INTEGER) * 2 AS rb_test_doubled"
    with transaction.atomic():
        sid = transaction.savepoint()
        assert _run(sql, [2]) == [(4,)]
        transaction.savepoint_rollback(sid)  # PREPARE is not undone by a rollback
    assert _run(sql, [5]) == [(10,)]
    assert sum("rb_test_doubled" in s for s in _prepared_statements()) == 1


def _forget_prepared_statements():
    """Start from a session with nothing prepared, whatever earlier tests ran."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        connection._riskboard_prepared = None


@postgresql_only
def test_a_statement_whose_first_run_fails_is_prepared_afresh_next_time():
    _forget_prepared_statements()
    sql = "SELECT 1 / CAST(%s AS INTEGER) AS rb_test_inverse"
    with pytest.raises(DatabaseError), transaction.atomic():
        _run(sql, [0])  # prepared, then division by zero in the same round trip: the transaction is aborted
    assert _run(sql, [1]) == [(1,)]  # not "prepared statement already exists"
    assert _run(sql, [1]) == [(1,)]
    assert sum("rb_test_inverse" in s for s in _prepared_statements()) == 1


@postgresql_only
def test_the_least_recently_used_statements_are_let_go(monkeypatch):
    _forget_prepared_statements()
    monkeypatch.setattr(prepared, "PREPARED_LIMIT", 2)
    for n in (1, 2, 1, 3):  # 2 is the least recently used when 3 comes
        assert _run(f"SELECT {n} AS rb_test_n{n}") == [(n,)]
    kept = {n for n in (1, 2, 3) if any(f"rb_test_n{n}" in s for s in _prepared_statements())}
    assert kept == {1, 3}


@postgresql_only
def test_the_setting_turns_preparation_off(settings):
    settings.RISKBOARD_SCORES_PREPARED_STATEMENTS = False
    assert _run("SELECT CAST(%s AS INTEGER) AS rb_test_plain", [3]) == [(3,)]
    assert not any("rb_test_plain" in s for s in _prepared_statements())


@postgresql_only
def test_the_incremental_read_is_one_statement_whatever_the_number_of_agreements(portfolio):
    _forget_prepared_statements()
    ids = [a.pk for a in portfolio.agreements]
    for size in (1, 3, 7, len(ids)):
        aggregation.agreements_recompute(agreement_ids=ids[:size])
    reads = [s for s in _prepared_statements() if "string_agg" in s]  # the read gathers partner lists
    assert len(reads) == 1
