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


def audit_table_problems(*, using: str = "default") -> list[str]:
    """One line per event table that is missing or unreadable, and per entry whose context (who
    made the change) is gone; empty when the trail is whole. PostgreSQL only (see above)."""
    from django.apps import apps

    from .tracking import AuditEvent

    connection = connections[using]
    if connection.vendor != "postgresql":
        return [f"the database is {connection.vendor}, which records no audit trail (PostgreSQL is required)"]
    problems = []
    event_models = [m for m in apps.get_app_config("audit").get_models() if issubclass(m, AuditEvent)]
    existing = set(connection.introspection.table_names())
    for model in event_models:
        table = model._meta.db_table
        if table not in existing:
            problems.append(f"event table {table} is missing")
            continue
        # Identifiers from model metadata, never from input.
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" e WHERE e.pgh_context_id IS NOT NULL '  # noqa: S608
                "AND NOT EXISTS (SELECT 1 FROM pghistory_context c WHERE c.id = e.pgh_context_id)"
            )
            orphans = cursor.fetchone()[0]
        if orphans:
            problems.append(f"{orphans} entries of {table} name a context (who, from where) that is gone")
    return problems


def audit_entry_counts(*, using: str = "default") -> dict[str, int]:
    """Entries per event table, for a report (compare with the counts before the backup)."""
    from django.apps import apps

    from .tracking import AuditEvent

    return {
        m._meta.db_table: m._default_manager.using(using).count()
        for m in apps.get_app_config("audit").get_models()
        if issubclass(m, AuditEvent)
    }
