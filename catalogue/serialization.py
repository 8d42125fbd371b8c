"""The catalogue exchange document ("riskboard-catalogue", format version 1).

A catalogue travels as one JSON or YAML document (see ``document_from_spec`` for its shape). This
module reads and writes that text, and defines ``CatalogueSpec``: everything a catalogue holds, as
plain frozen values. ``catalogue.validation`` turns a parsed document into a spec, reporting every
problem with its place; ``catalogue.selectors`` reads a spec from the database; the services write
one in a single transaction and export one as a document. Nothing here touches the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .choices import Scale
from .models import SCALE_MAX, SCALE_MIN

FORMAT = "riskboard-catalogue"
FORMAT_VERSION = 1
DEFAULT_CATALOGUE_NAME = "Intelligence cooperation risks"
DEFAULT_CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "default_catalogue.yaml"

LEVELS = range(SCALE_MIN, SCALE_MAX + 1)
SMALL_INT_MAX = 32767  # PositiveSmallIntegerField upper bound on every supported database
WEIGHT_STEP = Decimal("0.01")  # RiskCategory.weight has two decimal places


# --- The validated content of a catalogue ---------------------------------------------------


@dataclass(frozen=True)
class LevelSpec:
    value: int  # 1..5
    label: str
    description: str


@dataclass(frozen=True)
class BandSpec:
    code: str
    label: str
    rank: int  # 1 = least severe
    colour: str  # "#RRGGBB"
    description: str


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    description: str
    guidance: tuple[str, ...]
    weight: Decimal  # > 0, two decimal places
    display_order: int


@dataclass(frozen=True)
class SafeguardSpec:
    code: str
    name: str
    description: str
    categories: tuple[str, ...]  # category codes


@dataclass(frozen=True)
class CatalogueSpec:
    """Everything a catalogue version holds, as plain values.

    ``version`` and ``status`` describe where the content came from (an existing catalogue); they
    are ``None`` for a parsed document, whose version and status are never trusted.
    """

    name: str
    description: str
    rollup_method: str
    rollup_params: dict
    scales: dict[str, tuple[LevelSpec, ...]]  # Scale value -> levels ordered by value
    bands: tuple[BandSpec, ...]
    matrix: dict[tuple[int, int], str]  # (likelihood, impact) -> band code
    categories: tuple[CategorySpec, ...]
    safeguards: tuple[SafeguardSpec, ...]
    version: int | None = None
    status: str | None = None


# --- Text <-> document ------------------------------------------------------------------------


class DocumentSyntaxError(ValueError):
    """The text is not well-formed JSON or YAML; the message names the line and column when known."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping instead of keeping the last."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _json_parse(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_object_without_duplicates)
    except json.JSONDecodeError as exc:
        raise DocumentSyntaxError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except ValueError as exc:  # a duplicate key; json gives no position for it
        raise DocumentSyntaxError(f"invalid JSON: {exc}") from exc


def _yaml_parse(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = ": ".join(part for part in (exc.context, exc.problem) if part)
        raise DocumentSyntaxError(f"invalid YAML{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise DocumentSyntaxError(f"invalid YAML: {exc}") from exc


def document_parse(*, text: str, fmt: str | None = None) -> Any:
    """Parse ``text`` as ``fmt`` ("json" or "yaml"); with no ``fmt``, try JSON and then YAML.

    Raises ``DocumentSyntaxError``. The result is not validated: pass it to ``document_validate``.
    """
    if fmt == "json":
        return _json_parse(text)
    if fmt == "yaml":
        return _yaml_parse(text)
    if fmt is not None:
        raise ValueError(f"unknown format {fmt!r}")
    try:
        return _json_parse(text)
    except DocumentSyntaxError:
        # Not JSON; YAML's error is the more useful one for a hand-written file.
        return _yaml_parse(text)


class _FlowRow(list):
    """A list that YAML writes on one line: a row of the matrix reads as a row."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_FlowRow, lambda dumper, row: dumper.represent_sequence("tag:yaml.org,2002:seq", row, True))


def document_dump(*, document: dict, fmt: str) -> str:
    """Write an export document as JSON or YAML text, keys in document order, ending in a newline."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        shown = {**document, "matrix": [_FlowRow(row) for row in document["matrix"]]}
        return yaml.dump(shown, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown format {fmt!r}")


def document_from_spec(*, spec: CatalogueSpec) -> dict:
    """The export document of ``spec``: plain JSON values, in a fixed order.

    The matrix is a grid: five rows (likelihood 1..5), each five band codes (impact 1..5); a cell
    that is missing from an unfinished draft is ``None``. Weights are decimal strings ("1.50").
    """
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": spec.name,
        "version": spec.version,
        "status": spec.status,
        "description": spec.description,
        "rollup_method": spec.rollup_method,
        "rollup_params": spec.rollup_params,
        "scales": {
            scale.value: [
                {"value": level.value, "label": level.label, "description": level.description}
                for level in spec.scales.get(scale.value, ())
            ]
            for scale in Scale
        },
        "bands": [
            {"code": b.code, "label": b.label, "rank": b.rank, "colour": b.colour, "description": b.description}
            for b in spec.bands
        ],
        "matrix": [[spec.matrix.get((lk, im)) for im in LEVELS] for lk in LEVELS],
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "description": c.description,
                "guidance": list(c.guidance),
                "weight": str(c.weight.quantize(WEIGHT_STEP)),
                "display_order": c.display_order,
            }
            for c in spec.categories
        ],
        "safeguards": [
            {"code": s.code, "name": s.name, "description": s.description, "categories": list(s.categories)}
            for s in spec.safeguards
        ],
    }
