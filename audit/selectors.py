"""Reads of the audit trail: entries across every event table, newest first, ready to show.

Each tracked model has its own event table (``audit.models``); the global history is a
``UNION ALL`` of them, filtered inside each branch, so one page costs one query for the rows,
one for the count and one for the actors, whatever the number of tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import CharField, F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from .diff import Column, FieldChange, field_changes
from .tracking import AuditEvent

_ROW_FIELDS = ("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_before", "pgh_after")
# Columns that name a row to a person, in order of preference.
_TITLE_COLUMNS = ("reference", "code", "name", "label", "title", "username")


@dataclass(frozen=True)
class HistoryEntry:
    """One created, updated or deleted row, with who did it and what changed."""

    at: dt.datetime
    action: str  # "create", "update" or "delete"
    model_label: str  # the tracked model, e.g. "assessments.agreement"
    model_name: str  # e.g. "Agreement"
    object_id: int
    object_title: str
    object_url: str | None  # its history page (for a link row, its first parent's)
    actor: models.Model | None
    actor_id: int | None
    source: str  # the request path or command that made the change, when known
    changes: list[FieldChange]


def audit_event_models() -> list[type[AuditEvent]]:
    """Every event table of the audit trail."""
    return [m for m in apps.get_app_config("audit").get_models() if issubclass(m, AuditEvent)]


def _event_model_by_tracked_label() -> dict[str, type[AuditEvent]]:
    return {m.pgh_tracked_model._meta.label_lower: m for m in audit_event_models()}


def audit_model_choices() -> list[tuple[str, str]]:
    """(model label, plural name) of every tracked model, for a filter."""
    choices = [
        (label, capfirst(m.pgh_tracked_model._meta.verbose_name_plural))
        for label, m in _event_model_by_tracked_label().items()
    ]
    return sorted(choices, key=lambda choice: choice[1])


def audited_model(model_label: str) -> type[models.Model] | None:
    """The tracked model with its own history page (not an m2m link table), or None."""
    event_model = _event_model_by_tracked_label().get(model_label.lower())
    if event_model is None or event_model.pgh_tracked_model._meta.auto_created:
        return None
    return event_model.pgh_tracked_model


@functools.cache
def _columns(tracked_model: type[models.Model]) -> dict[str, Column]:
    columns = {}
    for field in tracked_model._meta.concrete_fields:
        label = capfirst(field.verbose_name) + (" (id)" if field.is_relation else "")
        columns[field.column] = Column(
            label=label,
            choices=dict(field.flatchoices) if field.choices else None,
            is_datetime=isinstance(field, models.DateTimeField),
        )
    return columns


def _rows(event_model: type[AuditEvent], condition: Q) -> models.QuerySet:
    return event_model.objects.filter(condition).values(
        *_ROW_FIELDS,
        event_model_label=Value(event_model._meta.label_lower, output_field=CharField()),
        context=F("pgh_context__metadata"),
    )


def _union(branches: list[models.QuerySet]) -> models.QuerySet:
    if not branches:
        return _rows(audit_event_models()[0], Q()).none()
    first, *rest = branches
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-pgh_created_at", "-pgh_id")


def _start_of(day: dt.date) -> dt.datetime | None:
    """Midnight at the start of ``day`` in the site's time zone, or None when it cannot be held in
    UTC. Midnight falls outside the range only on 1 January of year 1 east of UTC, before any
    entry, so None means "no bound" there (``_after_end_of`` handles the other end of time)."""
    try:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        start.astimezone(dt.UTC)  # the database stores UTC: year 1 or 9999 may not convert
    except (OverflowError, ValueError):
        return None
    return start


def _after_end_of(day: dt.date) -> dt.datetime | None:
    """Midnight at the end of ``day`` (the start of the next), or None at the end of time."""
    return _start_of(day + dt.timedelta(days=1)) if day < dt.date.max else None


def audit_events(
    *,
    model_label: str | None = None,
    actor_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> models.QuerySet:
    """Rows of every event table (or of ``model_label``'s), newest first, as dicts for ``audit_entries``.

    ``date_from`` and ``date_to`` are inclusive calendar dates in the site's time zone.
    """
    condition = Q()
    if actor_id is not None:
        condition &= Q(pgh_context__metadata__user=actor_id)
    # Ranges of timestamps, not ``__date`` lookups, so that the index on pgh_created_at serves.
    start = _start_of(date_from) if date_from is not None else None
    end = _after_end_of(date_to) if date_to is not None else None
    if start is not None:
        condition &= Q(pgh_created_at__gte=start)
    if end is not None:
        condition &= Q(pgh_created_at__lt=end)
    event_models = audit_event_models()
    if model_label:
        event_models = [m for m in event_models if m.pgh_tracked_model._meta.label_lower == model_label.lower()]
    return _union([_rows(m, condition) for m in event_models])


def audit_object_events(*, model: type[models.Model], object_id: int) -> models.QuerySet:
    """The history of one row, newest first: its own entries and those of the rows it owns
    (an assessment's ratings and transitions, a catalogue's levels, bands, cells, ...)."""
    label = model._meta.label_lower
    branches = []
    for event_model in audit_event_models():
        conditions = []
        if event_model.pgh_tracked_model is model:
            conditions.append(Q(pgh_obj_id=object_id))
        for parent_label, column in event_model.audit_parents:
            if parent_label == label:
                conditions += [Q(**{f"pgh_after__{column}": object_id}), Q(**{f"pgh_before__{column}": object_id})]
        if conditions:
            branches.append(_rows(event_model, functools.reduce(operator.or_, conditions)))
    return _union(branches)


def audit_object_title(*, model: type[models.Model], object_id: int) -> str | None:
    """How the row reads today, or None once it has been deleted."""
    obj = model._default_manager.filter(pk=object_id).first()
    return str(obj) if obj is not None else None


def _title(tracked_model: type[models.Model], object_id: int, row: dict) -> str:
    name = capfirst(tracked_model._meta.verbose_name)
    for column in _TITLE_COLUMNS:
        if row.get(column):
            return f"{name} #{object_id} · {row[column]}"
    return f"{name} #{object_id}"


def _object_url(event_model: type[AuditEvent], object_id: int, row: dict) -> str | None:
    tracked_model = event_model.pgh_tracked_model
    if not tracked_model._meta.auto_created:
        return reverse("audit:object", args=[tracked_model._meta.label_lower, object_id])
    for parent_label, column in event_model.audit_parents:  # an m2m link row: its owner's page
        if row.get(column) is not None:
            return reverse("audit:object", args=[parent_label, row[column]])
    return None


def audit_entries(rows) -> list[HistoryEntry]:
    """Turn rows of ``audit_events`` / ``audit_object_events`` (e.g. one page) into entries.

    One query, for the actors, whatever the number of rows.
    """
    rows = list(rows)
    event_models = {m._meta.label_lower: m for m in audit_event_models()}
    actor_ids = {
        row["context"]["user"] for row in rows if isinstance(row["context"], dict) and row["context"].get("user")
    }
    actors = get_user_model()._default_manager.in_bulk(actor_ids) if actor_ids else {}
    entries = []
    for row in rows:
        event_model = event_models[row["event_model_label"]]
        tracked_model = event_model.pgh_tracked_model
        data = row["pgh_after"] or row["pgh_before"] or {}
        context = row["context"] if isinstance(row["context"], dict) else {}
        actor_id = context.get("user")
        entries.append(
            HistoryEntry(
                at=row["pgh_created_at"],
                action=row["pgh_label"],
                model_label=tracked_model._meta.label_lower,
                model_name=capfirst(tracked_model._meta.verbose_name),
                object_id=row["pgh_obj_id"],
                object_title=_title(tracked_model, row["pgh_obj_id"], data),
                object_url=_object_url(event_model, row["pgh_obj_id"], data),
                actor=actors.get(actor_id),
                actor_id=actor_id,
                source=context.get("url") or context.get("command") or "",
                changes=field_changes(
                    row["pgh_before"], row["pgh_after"],
                    columns=_columns(tracked_model), skip=[tracked_model._meta.pk.column],
                ),
            )
        )
    return entries
