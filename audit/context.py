"""Who is acting: the pghistory context that the history triggers attach to every entry.

Web requests get it from ``audit.middleware.HistoryMiddleware``. Code that writes outside a
request (management commands, Celery tasks, shell scripts) names its actor with
``audit_actor(actor=user)`` around the service calls::

    with audit_actor(actor=user, command="seed_demo"):
        assessment_submit(assessment=assessment, actor=user)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pghistory
from django.db import connection


def history_is_recorded() -> bool:
    """True when the database records history: the triggers and the context are PostgreSQL's."""
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def audit_actor(*, actor, **metadata: Any) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor`` (a user or None).

    Extra keyword arguments are stored with the context (e.g. ``command="seed_demo"``). Nests:
    an inner block adds to the outer one's context. Does nothing on SQLite, where pghistory's
    context (a ``set_config`` prepended to every statement) is not available.
    """
    if not history_is_recorded():
        yield
        return
    user_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    with pghistory.context(user=user_id, **metadata):
        yield
