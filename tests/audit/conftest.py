from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# The audit trail is written by PostgreSQL triggers: on SQLite nothing is recorded to test.
postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="the audit trail is recorded by PostgreSQL triggers; set DATABASE_URL to a PostgreSQL database",
    ),
]


def record_events(event_model, times: Iterable[dt.datetime], *, first_obj_id: int = 1, context=None, **row) -> list:
    """Entries written straight into ``event_model``'s table at the given times, one object each
    (ids from ``first_obj_id`` on), as the triggers would write them. On any database: the paging
    and filtering of the history pages are tested with exact times, ties included.

    ``row`` holds the JSON of the row after the change (e.g. ``name="Partner 1"``, ``catalogue_id=3``).
    """
    created_at = event_model._meta.get_field("pgh_created_at")
    events = [
        event_model(
            pgh_created_at=at, pgh_label="create", pgh_obj_id=first_obj_id + i,
            pgh_after={"id": first_obj_id + i, **row}, pgh_context=context,
        )
        for i, at in enumerate(times)
    ]
    with mock.patch.object(created_at, "auto_now_add", False):  # keep the given times
        return event_model.objects.bulk_create(events)


# --- The runtime database role (audit.roles) ------------------------------------------------------
RUNTIME_ROLE = f"riskboard_runtime_test_{os.getpid()}"


def execute_sql(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def runtime_role():
    """A login role without rights, dropped (with whatever it was granted) after the test."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles need PostgreSQL: set DATABASE_URL")
    execute_sql(f"DROP ROLE IF EXISTS {RUNTIME_ROLE}")
    execute_sql(f"CREATE ROLE {RUNTIME_ROLE} LOGIN")
    yield RUNTIME_ROLE
    execute_sql(f"DROP OWNED BY {RUNTIME_ROLE}")
    execute_sql(f"DROP ROLE {RUNTIME_ROLE}")


@contextlib.contextmanager
def connected_as(role: str):
    """Django's default connection, reconnected as ``role`` for the block."""
    owner = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner


