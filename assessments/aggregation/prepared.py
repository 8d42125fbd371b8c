"""Prepared statements for the small statements of the incremental recompute (PostgreSQL)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

PREPARED_LIMIT = 64  # statements kept prepared per database session; the least recently used go


def execute_prepared(cursor, sql: str, params: Sequence) -> None:
    """Run ``sql`` (positional ``%s`` parameters) as a prepared statement on PostgreSQL.

    One approval's incremental recompute runs a few small statements that take longer to plan
    than to run (about 0.3 ms against 0.1 ms for the read), and psycopg2 sends every statement as
    text to be planned again. Here each statement text is prepared once per database session and
    planned once, with a generic plan that every later run reuses. On other databases, or with
    ``RISKBOARD_SCORES_PREPARED_STATEMENTS`` off (needed behind a pooler that shares server
    sessions between transactions, such as PgBouncer in transaction mode), it is run as usual.

    A prepared statement outlives a rolled-back transaction, and is gone with its session: the
    names prepared are recorded for the connection they were prepared on.
    """
    if connection.vendor != "postgresql" or not getattr(settings, "RISKBOARD_SCORES_PREPARED_STATEMENTS", True):
        cursor.execute(sql, list(params))
        return
    session = getattr(connection, "_riskboard_prepared", None)
    statements = []
    if session is None or session[0] is not connection.connection or session[1] is None:
        if session is not None and session[0] is connection.connection:
            statements.append("DEALLOCATE ALL")  # after an error: what was prepared is not known
        session = connection._riskboard_prepared = (connection.connection, {})
    prepared: dict[str, None] = session[1]  # insertion order: least recently used first
    name = "rb_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
    if name in prepared:
        prepared[name] = prepared.pop(name)
    else:
        if len(prepared) >= PREPARED_LIMIT:
            oldest = next(iter(prepared))
            del prepared[oldest]
            statements.append(f"DEALLOCATE {oldest}")
        numbered = iter(range(1, len(params) + 1))
        # Parameters $1, $2...; a literal %% stays as it is, for the interpolation below.
        text = re.sub(r"%%|%s", lambda m: m.group() if m.group() == "%%" else f"${next(numbered)}", sql)
        statements.append(f"PREPARE {name} AS {text}")
    # The generic plan, always: with arrays of rows (unnest), a plan for the actual lengths looks
    # cheaper to the planner, which would otherwise plan every execution anew. (Until the end of
    # the transaction; it concerns prepared statements only.)
    statements.append("SET LOCAL plan_cache_mode = force_generic_plan")
    statements.append(f"EXECUTE {name}" + (f" ({', '.join(['%s'] * len(params))})" if params else ""))
    try:
        cursor.execute("; ".join(statements), list(params))  # one round trip; the result is the last one's
    except BaseException:  # the server may have run the PREPARE all the same
        connection._riskboard_prepared = (connection.connection, None)
        raise
    prepared[name] = None
