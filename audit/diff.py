"""Before -> after of one history entry, as plain values: no ORM, no database.

A history entry holds the whole row before and after the change as JSON objects (column ->
value). ``field_changes`` turns a pair into the list a person reads: the columns that changed on
an update, every filled-in column on a create or a delete.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EMPTY = "—"


@dataclass(frozen=True)
class Column:
    """How to show one column: its label, the labels of its coded values (choices), and
    whether it holds a timestamp (stored as ISO 8601 text)."""

    label: str
    choices: Mapping[Any, str] | None = None
    is_datetime: bool = False


@dataclass(frozen=True)
class FieldChange:
    column: str
    label: str
    before: str | None  # None: the row did not exist before (create)
    after: str | None  # None: the row no longer exists (delete)


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def display_value(value: Any, column: Column | None = None) -> str:
    """A stored JSON value as text: choice labels for codes, Yes/No, JSON for lists and objects."""
    if column is not None and column.choices and not isinstance(value, list | dict) and value in column.choices:
        return column.choices[value]
    if _is_blank(value):
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if column is not None and column.is_datetime and isinstance(value, str):
        return _display_datetime(value)
    return str(value)


def _display_datetime(value: str) -> str:
    """``2026-11-26T12:56:44.561432+00:00`` -> ``26 Nov 2026, 12:56:44 UTC`` (to the second)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    offset = moment.utcoffset()
    zone = "" if offset is None else " UTC" if not offset else moment.strftime(" UTC%z")
    return f"{moment.day} {moment:%b %Y, %H:%M:%S}{zone}"


def _ordered(keys: set[str], order: Sequence[str]) -> list[str]:
    known = [key for key in order if key in keys]
    return known + sorted(keys - set(known))


def field_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    columns: Mapping[str, Column] | None = None,
    skip: Collection[str] = (),
) -> list[FieldChange]:
    """What changed between two versions of a row, in the order of ``columns``.

    - update (both rows): the columns whose values differ;
    - create (no ``before``): every column with a value in ``after``;
    - delete (no ``after``): every column with a value in ``before``.

    ``columns`` maps column name -> ``Column``; a column missing from it (e.g. one added to the
    table later) is still shown, labelled by its name. ``skip`` names columns never listed (the
    primary key, already part of the entry's title).
    """
    columns = columns or {}
    before_row = before or {}
    after_row = after or {}
    if before is not None and after is not None:
        keys = {key for key in before_row.keys() | after_row.keys() if before_row.get(key) != after_row.get(key)}
    else:
        keys = {key for key, value in (after_row if before is None else before_row).items() if not _is_blank(value)}
    changes = []
    for key in _ordered(keys - set(skip), list(columns)):
        column = columns.get(key)
        changes.append(
            FieldChange(
                column=key,
                label=column.label if column else key,
                before=None if before is None else display_value(before_row.get(key), column),
                after=None if after is None else display_value(after_row.get(key), column),
            )
        )
    return changes
