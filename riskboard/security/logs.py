"""Structured logs: one JSON object per line, each carrying the request's or the task's context.

The context lives in context variables set by ``RequestIdMiddleware`` (web) and by Celery's task
signals (workers, ``riskboard.celery``), so any logger anywhere gets it without being passed it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.utils.functional import SimpleLazyObject, empty

# The request being served, or the task being run, in this thread or coroutine.
current_request: ContextVar = ContextVar("riskboard_request", default=None)
current_request_id: ContextVar[str | None] = ContextVar("riskboard_request_id", default=None)
current_task_id: ContextVar[str | None] = ContextVar("riskboard_task_id", default=None)
current_task_name: ContextVar[str | None] = ContextVar("riskboard_task_name", default=None)

# An incoming X-Request-ID is kept only if it looks like an id: no spaces, quotes or control
# characters that could forge a log line or a header.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")


def request_id_for(incoming: str | None) -> str:
    """The incoming id if well-formed, else a new one (32 hex digits)."""
    if incoming and REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def request_user_id(request) -> int | None:
    """The signed-in user's id, if the request has already loaded its user (never loads it here:
    a log line must not cost a query)."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id``, ``path``, ``task_id`` and ``task_name`` to every record
    (``None`` outside a request or a task), unless the caller passed its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        defaults = {
            "request_id": current_request_id.get(),
            "user_id": request_user_id(request),
            "path": request.path if request is not None else None,
            "task_id": current_task_id.get(),
            "task_name": current_task_name.get(),
        }
        for key, value in defaults.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# Fields written in this order, each only when it has a value; then any ``extra`` a caller gave.
FIELDS = ("request_id", "user_id", "path", "method", "status", "duration_ms", "task_id", "task_name")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", *FIELDS}


class JsonFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., "request_id": ..., ...}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
