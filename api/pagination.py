"""Cursor (keyset) pagination for every list, in an order that is stable under concurrent writes.

Lists are ordered by one column and the id, ``(updated_at, id)`` unless the client asks for
another order (``?ordering=``). A page is ``WHERE (column, id) > (last row's) ORDER BY column, id
LIMIT n``: never an OFFSET, so a row inserted or changed while a client pages is neither
repeated nor skipped, and page 1,000 costs what page 1 costs.

The default order is the sync feed. A row changed after the client's cursor moves to the end of
it and is delivered again, once per change; ``resume`` is the link to keep for the next sync. Rows
written in the last ``RISKBOARD_API_SYNC_SETTLE_SECONDS`` are held back from it: a transaction that
started earlier may still be committing with an older ``updated_at``, and would be skipped.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

SYNC_FIELD = "updated_at"
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Ordering:
    name: str  # as the client writes it, without the sign
    field: str  # the model field
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def _invalid(name: str, message: str):
    return exceptions.ValidationError({name: [message]})


class KeysetPagination(BasePagination):
    """``?cursor=`` (opaque), ``?page_size=`` (1 to 200, default 50) and ``?ordering=``.

    Views name their orders in ``ordering_fields`` (``{name: model field or annotation}``, non-null
    columns only); the first is the default. Rows are then ordered by ``keyset_tiebreak`` (default
    ``id``: a unique, non-null column of the rows, such as the key a grouped list is grouped by), and
    the sync order holds back fresh rows when ordered by ``sync_field`` (default ``updated_at``).
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"
    max_page_size = MAX_PAGE_SIZE

    def __init__(self):
        self.page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]

    # --- Parsing the request --------------------------------------------------------------------

    def ordering_choices(self, view) -> dict[str, str]:
        return getattr(view, "ordering_fields", {SYNC_FIELD: SYNC_FIELD})

    def get_ordering(self, request, view) -> Ordering:
        choices = self.ordering_choices(view)
        raw = request.query_params.get(self.ordering_query_param, "").strip()
        if not raw:
            name = next(iter(choices))
            return Ordering(name, choices[name], False)
        name = raw.removeprefix("-")
        if name not in choices:
            options = ", ".join(f"{n}, -{n}" for n in choices)
            raise _invalid(self.ordering_query_param, f"Choose one of: {options}.")
        return Ordering(name, choices[name], raw.startswith("-"))

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise _invalid(self.page_size_query_param, f"Choose a whole number from 1 to {self.max_page_size}.")
        return size

    @staticmethod
    def _field(queryset, name: str):
        """The model field or annotation ``name`` of ``queryset``'s rows (to parse a cursor's values)."""
        try:
            return queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            return queryset.query.annotations[name].output_field

    def decode_cursor(self, request, ordering: Ordering, queryset) -> tuple[object, object] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        message = "This cursor is not valid: use the next or resume link of a response, unchanged."
        try:
            name, value, pk = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            if name != ordering.param or not isinstance(pk, int | str) or isinstance(pk, bool):
                raise ValueError
            value = self._field(queryset, ordering.field).to_python(value)
            pk = self._field(queryset, self.tiebreak).to_python(pk)
            if value is None or pk is None:
                raise ValueError
        except (ValueError, TypeError, UnicodeError, binascii.Error, DjangoValidationError):
            raise _invalid(self.cursor_query_param, message) from None
        return value, pk

    @staticmethod
    def encode_cursor(ordering: Ordering, value, pk: int) -> str:
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        text = json.dumps([ordering.param, value, pk], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")

    # --- Paging --------------------------------------------------------------------------------

    tiebreak = "id"
    sync_field = SYNC_FIELD

    def order(self, queryset, ordering: Ordering):
        column = F(ordering.field)
        if ordering.descending:
            return queryset.order_by(column.desc(), F(self.tiebreak).desc())
        return queryset.order_by(column.asc(), F(self.tiebreak).asc())

    def settled(self, queryset, ordering: Ordering):
        """The sync feed holds back rows too fresh to be certainly committed (see module docstring)."""
        if ordering.field != self.sync_field or ordering.descending:
            return queryset
        horizon = timezone.now() - dt.timedelta(seconds=settings.RISKBOARD_API_SYNC_SETTLE_SECONDS)
        return queryset.filter(**{f"{self.sync_field}__lte": horizon})

    def after(self, queryset, ordering: Ordering, cursor: tuple[object, object]):
        value, pk = cursor
        beyond = "lt" if ordering.descending else "gt"
        return queryset.filter(
            Q(**{f"{ordering.field}__{beyond}": value}) | Q(**{ordering.field: value, f"{self.tiebreak}__{beyond}": pk})
        )

    def prepare(self, queryset, request, view):
        """The ordered, settled queryset after the cursor, with the page size: for lists and exports."""
        self.tiebreak = getattr(view, "keyset_tiebreak", "id")
        self.sync_field = getattr(view, "sync_field", SYNC_FIELD)
        self.ordering = self.get_ordering(request, view)
        self.size = self.get_page_size(request)
        cursor = self.decode_cursor(request, self.ordering, queryset)
        queryset = self.settled(self.order(queryset, self.ordering), self.ordering)
        return (self.after(queryset, self.ordering, cursor) if cursor else queryset), cursor

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        queryset, cursor = self.prepare(queryset, request, view)
        rows = list(queryset[: self.size + 1])
        self.has_next = len(rows) > self.size
        rows = rows[: self.size]
        self.last = self.position(rows[-1]) if rows else cursor
        return rows

    def position(self, row) -> tuple[object, object]:
        if isinstance(row, dict):
            return row[self.ordering.field], row[self.tiebreak]
        return getattr(row, self.ordering.field), getattr(row, self.tiebreak)

    def link(self, position) -> str:
        url = self.request.build_absolute_uri()
        if position is None:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, self.encode_cursor(self.ordering, *position))

    def get_paginated_response(self, data):
        return Response({
            "next": self.link(self.last) if self.has_next else None,
            "resume": self.link(self.last),
            "results": data,
        })

    # --- Schema ---------------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "resume", "results"],
            "properties": {
                "next": {
                    "type": "string", "format": "uri", "nullable": True,
                    "description": "The next page, or null on the last page.",
                },
                "resume": {
                    "type": "string", "format": "uri",
                    "description": "Where to continue later: after the last row of this page. Keep it to sync "
                    "what changes from now on.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        choices = list(self.ordering_choices(view))
        return [
            {
                "name": self.cursor_query_param, "in": "query", "required": False,
                "description": "Opaque position, from a `next` or `resume` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param, "in": "query", "required": False,
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param, "in": "query", "required": False,
                "description": f"Order of the rows, then by id; `-` for descending. Default `{choices[0]}`: the "
                "sync order, where rows of the last few seconds are held back until they settle.",
                "schema": {"type": "string", "enum": [c for name in choices for c in (name, f"-{name}")]},
            },
        ]
