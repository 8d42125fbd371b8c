"""CSV of any list, streamed: ``?format=csv`` or ``Accept: text/csv``, with the list's filters."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence

from rest_framework.renderers import BaseRenderer

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CSVRenderer(BaseRenderer):
    """Chosen by content negotiation; list views stream the body themselves (``stream_csv``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Never reached: lists stream their CSV, and errors switch to JSON (api.views.ApiViewMixin).
        return json.dumps(data, default=str).encode()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[tuple[str, Callable[[dict], object]]], rows: Iterable[dict]) -> Iterator[bytes]:
    """The header, then one line per row, each value taken by its column's function."""
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in columns]).encode()
    for row in rows:
        yield writer.writerow([_cell(get(row)) for _, get in columns]).encode()
