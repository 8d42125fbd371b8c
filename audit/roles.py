"""Database privileges of the application's runtime role: what the web and worker processes may do.

Migrations run as the *owner* role, which owns every table, function and trigger. The web server,
the Celery worker and beat connect as a separate *runtime* role that owns nothing (so it cannot
drop, disable or replace a trigger) and that may:

- read and write the application's tables (SELECT, INSERT, UPDATE, DELETE);
- on the audit trail's event tables, only INSERT (the triggers write there as the role making the
  change) and SELECT: no UPDATE, DELETE or TRUNCATE, so ``SET pgtrigger.ignore`` does not help;
- on ``pghistory_context`` (who made a change, from which URL), also UPDATE, because pghistory
  amends a request's context as it learns more (the user after sign-in); never DELETE or TRUNCATE;
- on ``django_migrations``, only SELECT;
- use the sequences (USAGE, SELECT), create temporary tables (the full score recompute stages its
  work in them), never create anything in the schema.

``grant_runtime_privileges`` applies this to every table that exists, and sets default privileges
so that a table a later migration creates starts as INSERT and SELECT only (safe for an event
table) until it is run again, after each migrate (``manage.py db_roles_grant``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connections, transaction
from psycopg2 import sql

from .tracking import AuditEvent

CONTEXT_TABLE = "pghistory_context"
MIGRATIONS_TABLE = "django_migrations"


class RoleError(Exception):
    """The runtime role cannot be given these privileges safely (it is missing, or too powerful)."""


def audit_tables() -> list[str]:
    """The event tables of the audit trail: insert and select only for the runtime role."""
    return sorted(m._meta.db_table for m in apps.get_app_config("audit").get_models() if issubclass(m, AuditEvent))


@dataclass(frozen=True)
class GrantReport:
    runtime_role: str
    owner_role: str
    tables: int
    append_only_tables: list[str]


def _problems_of(cursor, role: str) -> list[str]:
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
    )
    row = cursor.fetchone()
    if row is None:
        return [f'the role "{role}" does not exist: create it first (CREATE ROLE {role} LOGIN PASSWORD ...)']
    superuser, createrole, createdb, bypassrls = row
    problems = []
    if superuser or createrole or bypassrls:
        problems.append(f'"{role}" is a superuser or may create roles or bypass row security: it could undo any grant')
    if createdb:
        problems.append(f'"{role}" may create databases')
    cursor.execute("SELECT current_user, pg_has_role(%s, current_user, 'MEMBER')", [role])
    owner, is_member = cursor.fetchone()
    if owner == role:
        problems.append(f'"{role}" is the role running this command: the runtime role must not be the owner')
    elif is_member:
        problems.append(f'"{role}" is a member of the owner role "{owner}" and so holds its ownership')
    cursor.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        [role],
    )
    owned = cursor.fetchone()[0]
    if owned:
        problems.append(f'"{role}" owns {owned} table(s) or other relations: ownership lets it drop triggers')
    return problems


def grant_runtime_privileges(*, runtime_role: str, using: str = "default") -> GrantReport:
    """Give ``runtime_role`` exactly the privileges above, run as the owner role. Rerunnable.

    Raises ``RoleError`` when the role is missing or could undo the grants (a superuser, a member
    of the owner role, the owner of a table).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RoleError(f"database roles need PostgreSQL, not {connection.vendor}")
    protected = audit_tables()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        problems = _problems_of(cursor, runtime_role)
        if problems:
            raise RoleError("; ".join(problems))
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        )
        tables = [name for (name,) in cursor.fetchall()]
        role, schema_id = sql.Identifier(runtime_role), sql.Identifier(schema)

        def run(statement: sql.Composable) -> None:
            cursor.execute(statement.as_string(cursor.cursor))

        # TEMPORARY: the full score recompute stages its work in temporary tables (it cannot create
        # tables in the schema, so it takes its general path, assessments.aggregation.full).
        run(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(database), role))
        run(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role))
        run(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema_id, role))
        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_id, role))
        run(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(schema_id, role))
        for table in protected:
            if table in tables:
                run(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), role))
        if CONTEXT_TABLE in tables:
            run(sql.SQL("REVOKE DELETE ON {} FROM {}").format(sql.Identifier(CONTEXT_TABLE), role))
        if MIGRATIONS_TABLE in tables:
            run(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(MIGRATIONS_TABLE), role))
        run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema_id, role))
        run(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, role))
        # Tables and sequences that later migrations create (as the owner): fail closed.
        run(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT ON TABLES TO {}").format(
            sql.Identifier(owner), schema_id, role))
        run(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            sql.Identifier(owner), schema_id, role))
    return GrantReport(
        runtime_role=runtime_role, owner_role=owner, tables=len(tables),
        append_only_tables=[t for t in protected if t in tables],
    )
