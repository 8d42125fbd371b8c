"""Is the audit trail intact? Its triggers installed, current and enabled, on PostgreSQL.

Used by the startup check (``audit.checks``) and by ``manage.py verify_restore``.
"""

from __future__ import annotations

import pgtrigger
from django.db import connections
from pgtrigger.core import INSTALLED


def audit_trigger_problems(*, using: str = "default") -> list[str]:
    """One line per trigger that is missing, outdated or disabled; empty when all are in place.

    Covers every trigger the project registers: the history triggers on tracked tables and the
    append-only guards on the event tables. On a database other than PostgreSQL, one line saying so.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return [f"the database is {connection.vendor}, which records no audit trail (PostgreSQL is required)"]
    problems = []
    for model, trigger in pgtrigger.registered():
        status, enabled = trigger.get_installation_status(model, database=using)
        where = f"{trigger.get_pgid(model)} on {model._meta.db_table}"
        if status != INSTALLED:
            problems.append(f"{where}: {status.lower()}")
        elif not enabled:
            problems.append(f"{where}: disabled")
    return problems
