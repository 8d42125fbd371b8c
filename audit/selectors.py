"""Reads of the audit trail: entries across every event table, newest first, a page at a time.

Each tracked model has its own event table (``audit.models``); the history is a ``UNION ALL`` of
them, filtered inside each branch. Pages are found by seeking from a cursor (the last entry
shown) along an index, never by counting or skipping rows: one query for the rows and one for
the actors, whatever the number of tables, the number of entries or how deep the page is.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import CharField, F, IntegerField, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from pghistory.models import Context

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
    address: str  # the client's IP address, for changes made by a web request
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
    if event_model is None or event_model.pgh_tracked_model._meta.auto_created or event_model.audit_obj_id_sql:
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


def _event_ranks() -> dict[str, int]:
    """Each event table's place in the order of entries that share a timestamp (see ``AuditCursor``)."""
    return {label: rank for rank, label in enumerate(sorted(m._meta.label_lower for m in audit_event_models()))}


class InvalidCursor(ValueError):
    """A page link's cursor that this server did not make: cut short, edited or from another version."""


# A cursor is small; anything much longer was not made here.
_MAX_TOKEN_LENGTH = 200
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class AuditCursor:
    """A place in the history: the entry at ``at`` in event table ``event_label`` with id ``event_id``.

    Entries are ordered by (time, event table, id), newest first: time alone can tie (two tables
    written in the same microsecond), and ids are per table. A page of older entries holds those
    after the cursor in that order, a page of newer ones those before it, so a page never depends
    on how many entries came before it, and rows added meanwhile neither shift nor repeat it.
    (The time is the clock's when the row was written, not when its transaction committed: an
    entry of a transaction that commits after a page was read, timestamped earlier, shows on
    pages read later, among its peers in time.)
    """

    at: dt.datetime
    event_label: str
    event_id: int

    @classmethod
    def of(cls, row: dict) -> AuditCursor:
        return cls(at=row["pgh_created_at"], event_label=row["event_model_label"], event_id=row["pgh_id"])

    @property
    def token(self) -> str:
        """The cursor as it travels in a URL: opaque, URL-safe, without padding."""
        microseconds = (self.at - _EPOCH) // dt.timedelta(microseconds=1)
        raw = f"{microseconds}~{self.event_label}~{self.event_id}".encode("ascii")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> AuditCursor:
        """The cursor that ``token`` names; ``InvalidCursor`` unless this server made it."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise InvalidCursor("empty or too long")
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
            microseconds, event_label, event_id = raw.decode("ascii").split("~")
            at = _EPOCH + dt.timedelta(microseconds=int(microseconds))
            cursor = cls(at=at, event_label=event_label, event_id=int(event_id))
        except (ValueError, OverflowError) as error:  # binascii.Error and UnicodeDecodeError included
            raise InvalidCursor(str(error)) from error
        if cursor.event_label not in _event_ranks() or not 0 < cursor.event_id < 2**63:
            raise InvalidCursor("unknown event table or id out of range")
        return cursor


@dataclass(frozen=True)
class AuditPage:
    """One page of history, newest first, and where the pages next to it start.

    ``older`` (``newer``) is the cursor for the page of older (newer) entries, or None when there
    is nothing older (newer) to show.
    """

    entries: list[HistoryEntry]
    older: AuditCursor | None
    newer: AuditCursor | None

    @classmethod
    def empty(cls) -> AuditPage:
        return cls(entries=[], older=None, newer=None)


def _beyond(cursor: AuditCursor, *, rank: int, cursor_rank: int, older: bool) -> Q:
    """The entries of the event table of ``rank`` that come after (``older``) or before ``cursor``.

    The order is (time, rank, id) descending. Each branch of the union gets its own condition,
    a range on time first, so that it reads its (time, id) index from the cursor on.
    """
    at, event_id = cursor.at, cursor.event_id
    if older:
        if rank < cursor_rank:
            return Q(pgh_created_at__lte=at)
        if rank > cursor_rank:
            return Q(pgh_created_at__lt=at)
        return Q(pgh_created_at__lte=at) & (Q(pgh_created_at__lt=at) | Q(pgh_id__lt=event_id))
    if rank > cursor_rank:
        return Q(pgh_created_at__gte=at)
    if rank < cursor_rank:
        return Q(pgh_created_at__gt=at)
    return Q(pgh_created_at__gte=at) & (Q(pgh_created_at__gt=at) | Q(pgh_id__gt=event_id))


def _page(
    branches: list[tuple[type[AuditEvent], Q]],
    *,
    after: AuditCursor | None,
    before: AuditCursor | None,
    size: int,
) -> AuditPage:
    """One page of the union of ``branches`` (event table, condition): ``size`` entries after
    ``after`` (older), before ``before`` (newer), or the newest. Two queries: rows and actors.

    Each branch reads at most ``size + 1`` rows in index order (where the database allows a limit
    inside a UNION: PostgreSQL does, SQLite does not), so a page costs the same on page one and on
    page ten thousand, and nothing is counted.
    """
    if after is not None and before is not None:
        raise ValueError("A page starts after one cursor or before another, not both.")
    newest_first = before is None
    cursor = after or before
    ranks = _event_ranks()
    direction = "-" if newest_first else ""
    branch_order = [f"{direction}pgh_created_at", f"{direction}pgh_id"]
    limit_each = connection.features.supports_slicing_ordering_in_compound
    queries = []
    for event_model, condition in branches:
        rank = ranks[event_model._meta.label_lower]
        if cursor is not None:
            condition &= _beyond(cursor, rank=rank, cursor_rank=ranks[cursor.event_label], older=newest_first)
        rows = event_model.objects.filter(condition).values(
            *_ROW_FIELDS,
            event_model_label=Value(event_model._meta.label_lower, output_field=CharField()),
            event_rank=Value(rank, output_field=IntegerField()),
            context=F("pgh_context__metadata"),
        )
        queries.append(rows)
    if not queries:
        return AuditPage.empty()
    if len(queries) > 1:
        if limit_each:
            queries = [rows.order_by(*branch_order)[: size + 1] for rows in queries]
        first, *rest = queries
        queries = [first.union(*rest, all=True)]
    order = [f"{direction}pgh_created_at", f"{direction}event_rank", f"{direction}pgh_id"]
    rows = list(queries[0].order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not newest_first:
        rows.reverse()
    if not rows:
        return AuditPage.empty()
    if newest_first:
        # Newer entries exist when this page starts after a cursor: the cursor's own entry at least.
        older, newer = (AuditCursor.of(rows[-1]) if more else None), (AuditCursor.of(rows[0]) if after else None)
    else:
        older, newer = AuditCursor.of(rows[-1]), (AuditCursor.of(rows[0]) if more else None)
    return AuditPage(entries=audit_entries(rows), older=older, newer=newer)


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
    after: AuditCursor | None = None,
    before: AuditCursor | None = None,
    size: int = 50,
) -> AuditPage:
    """A page of the entries of every event table (or of ``model_label``'s), newest first.

    ``date_from`` and ``date_to`` are inclusive calendar dates in the site's time zone. The page
    holds the ``size`` newest entries, or those just older than ``after`` / newer than ``before``.
    """
    condition = Q()
    if actor_id is not None:
        # The actor's contexts first (one query, on an index: audit migration 0002), then their
        # ids as a list: the planner weighs a list against its statistics of each event table
        # and reads a rare actor's rows by the context index instead of walking the whole table.
        context_ids = list(Context.objects.filter(metadata__user=actor_id).values_list("pk", flat=True))
        if not context_ids:
            return AuditPage.empty()
        condition &= Q(pgh_context_id__in=context_ids)
    # Ranges of timestamps, not ``__date`` lookups, so that the index on (pgh_created_at, pgh_id) serves.
    start = _start_of(date_from) if date_from is not None else None
    end = _after_end_of(date_to) if date_to is not None else None
    if start is not None:
        condition &= Q(pgh_created_at__gte=start)
    if end is not None:
        condition &= Q(pgh_created_at__lt=end)
    event_models = audit_event_models()
    if model_label:
        event_models = [m for m in event_models if m.pgh_tracked_model._meta.label_lower == model_label.lower()]
    return _page([(m, condition) for m in event_models], after=after, before=before, size=size)


def audit_object_events(
    *,
    model: type[models.Model],
    object_id: int,
    after: AuditCursor | None = None,
    before: AuditCursor | None = None,
    size: int = 50,
) -> AuditPage:
    """A page of the history of one row, newest first: its own entries and those of the rows it
    owns (an assessment's ratings and transitions, a catalogue's levels, bands, cells, ...)."""
    label = model._meta.label_lower
    branches = []
    for event_model in audit_event_models():
        conditions = []
        if event_model.pgh_tracked_model is model:
            conditions.append(Q(pgh_obj_id=object_id))
        for parent_label, column in event_model.audit_parents:
            if parent_label == label:  # each side served by its own index (audit.tracking)
                conditions += [Q(**{f"pgh_after__{column}": object_id}), Q(**{f"pgh_before__{column}": object_id})]
        if conditions:
            branches.append((event_model, functools.reduce(operator.or_, conditions)))
    return _page(branches, after=after, before=before, size=size)


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
    if event_model.audit_obj_id_sql:  # an id derived from the row, not its key: no page of its own
        return None
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
                address=context.get("ip") or "",
                changes=field_changes(
                    row["pgh_before"], row["pgh_after"],
                    columns=_columns(tracked_model), skip=[tracked_model._meta.pk.column],
                ),
            )
        )
    return entries
