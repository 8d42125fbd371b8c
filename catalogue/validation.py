"""Validation of a catalogue exchange document (see ``catalogue.serialization`` for its shape).

``document_validate`` checks the whole document before anything is written and reports every
problem at once, each with its place in the document, e.g. ``categories[3].weight: must be a
positive number`` or ``matrix: missing cell likelihood=4 impact=2``. It never touches the database;
the model classes are used only for their field validators, on unsaved instances, so the rules on
lengths, codes and colours are stated once, in ``catalogue.models``.

``scoring_problems`` asks the scoring maths itself whether it can use a catalogue's matrix and
roll-up rule; the document, the publication of a draft and an edit of its roll-up all go through it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from .choices import CatalogueStatus, RollupMethod, Scale
from .models import SCALE_MAX, SCALE_MIN, Band, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel
from .serialization import (
    FORMAT,
    FORMAT_VERSION,
    LEVELS,
    SMALL_INT_MAX,
    WEIGHT_STEP,
    BandSpec,
    CatalogueSpec,
    CategorySpec,
    LevelSpec,
    SafeguardSpec,
)


class _Missing:
    """A required key that is absent: already reported by ``_Problems.mapping``, so checked silently."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class _Problems:
    """Collects every problem of a document, each prefixed with its place.

    Each check returns the checked value, or ``None`` when it found a problem (or got ``MISSING``).
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.messages.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()):
        """``value`` with ``MISSING`` for absent required keys, reporting those and unknown keys."""
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return None
        for key in required:
            if key not in value:
                self.add(_join(path, key), "missing required key")
        for key in value:
            if key not in required and key not in optional:
                self.add(_join(path, str(key)), "unknown key")
        return {**dict.fromkeys(required, MISSING), **value}

    def list(self, value: Any, path: str, *, what: str, min_items: int = 0) -> list | None:
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.add(path, f"must be a list of {what}, not {_kind(value)}")
            return None
        if len(value) < min_items:
            self.add(path, f"must list at least {min_items} {what}")
        return value

    def string(self, value: Any, path: str, *, blank: bool = False) -> str | None:
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.add(path, f"must be a string, not {_kind(value)}")
            return None
        if not blank and not value.strip():
            self.add(path, "must not be empty")
            return None
        return value

    def integer(self, value: Any, path: str, *, low: int, high: int, what: str | None = None) -> int | None:
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(path, f"must be {what or f'an integer from {low} to {high}'}, not {value!r}")
            return None
        return value

    def fields(self, model, path: str, **values: Any) -> bool:
        """Run the model's own field validators on the values that passed the type checks.

        Returns whether they all passed.
        """
        checked = {name: value for name, value in values.items() if value is not None}
        excluded = [f.name for f in model._meta.fields if f.name not in checked]
        try:
            model(**checked).clean_fields(exclude=excluded)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    self.add(_join(path, name), message[:1].lower() + message[1:].rstrip("."))
            return False
        return True


def _join(path: str, key: str) -> str:
    """The place of ``key`` inside ``path``; keys of the whole document are named alone."""
    return key if path == "document" else f"{path}.{key}"


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false", type(None): "empty"}
    return names.get(type(value), f"a number ({value!r})" if isinstance(value, int | float) else type(value).__name__)


def _weight(problems: _Problems, value: Any, path: str) -> Decimal | None:
    """A positive decimal from a number or a decimal string."""
    if value is MISSING:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        weight = Decimal(str(value).strip())
    except InvalidOperation:
        weight = None
    if weight is None or not weight.is_finite() or weight <= 0:
        problems.add(path, f"must be a positive number, not {value!r}")
        return None
    return weight


def _is_format_version(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == FORMAT_VERSION


def _duplicates(problems: _Problems, items: list[tuple[int, Any]], path: str, key: str, what: str) -> None:
    """Report each repeated value of ``key``, naming the first place it was used."""
    first: dict[Any, int] = {}
    for index, value in items:
        if value is None:
            continue
        if value in first:
            problems.add(f"{path}[{index}].{key}", f"duplicate {what} {value!r} (also {path}[{first[value]}])")
        else:
            first[value] = index


def _scale_validate(problems: _Problems, value: Any, path: str) -> tuple[LevelSpec, ...]:
    items = problems.list(value, path, what="levels")
    if items is None:
        return ()
    levels, values = [], []
    for index, raw in enumerate(items):
        here = f"{path}[{index}]"
        item = problems.mapping(raw, here, required=("value", "label", "description"))
        if item is None:
            continue
        level = problems.integer(item["value"], f"{here}.value", low=SCALE_MIN, high=SCALE_MAX)
        label = problems.string(item["label"], f"{here}.label")
        text = problems.string(item["description"], f"{here}.description")
        valid = problems.fields(ScaleLevel, here, label=label)
        values.append((index, level))
        if valid and None not in (level, label, text):
            levels.append(LevelSpec(value=level, label=label, description=text))
    _duplicates(problems, values, path, "value", "level")
    for missing in sorted(set(LEVELS) - {v for _, v in values if v is not None}):
        problems.add(path, f"missing level {missing}")
    return tuple(sorted(levels, key=lambda lv: lv.value))


def _bands_validate(problems: _Problems, value: Any) -> tuple[tuple[BandSpec, ...], set[str]]:
    """The bands, and every code named (even by a faulty band) so the matrix is not blamed twice."""
    items = problems.list(value, "bands", what="bands", min_items=1)
    if items is None:
        return (), set()
    bands, codes, ranks = [], [], []
    for index, raw in enumerate(items):
        here = f"bands[{index}]"
        item = problems.mapping(raw, here, required=("code", "label", "rank", "colour"), optional=("description",))
        if item is None:
            continue
        code = problems.string(item["code"], f"{here}.code")
        label = problems.string(item["label"], f"{here}.label")
        rank = problems.integer(item["rank"], f"{here}.rank", low=1, high=SMALL_INT_MAX)
        colour = problems.string(item["colour"], f"{here}.colour")
        text = problems.string(item.get("description", ""), f"{here}.description", blank=True)
        valid = problems.fields(Band, here, code=code, label=label, colour=colour)
        codes.append((index, code))
        ranks.append((index, rank))
        if valid and None not in (code, label, rank, colour, text):
            bands.append(BandSpec(code=code, label=label, rank=rank, colour=colour, description=text))
    _duplicates(problems, codes, "bands", "code", "band code")
    _duplicates(problems, ranks, "bands", "rank", "rank")
    return tuple(sorted(bands, key=lambda b: b.rank)), {c for _, c in codes if c is not None}


def _matrix_validate(problems: _Problems, value: Any, band_codes: set[str]) -> dict[tuple[int, int], str]:
    rows = f"{SCALE_MAX} rows (likelihood {SCALE_MIN} to {SCALE_MAX})"
    cells = f"{SCALE_MAX} band codes (impact {SCALE_MIN} to {SCALE_MAX})"
    if value is MISSING:
        return {}
    if not isinstance(value, list):
        problems.add("matrix", f"must be a list of {rows}, each a list of {cells}, not {_kind(value)}")
        return {}
    for index in range(SCALE_MAX, len(value)):
        problems.add(f"matrix[{index}]", f"extra row: the matrix has {rows}")
    matrix = {}
    for lk in LEVELS:
        row = value[lk - 1] if lk <= len(value) else []
        if not isinstance(row, list):
            problems.add(f"matrix[{lk - 1}]", f"must be a list of {cells}, not {_kind(row)}")
            continue
        for index in range(SCALE_MAX, len(row)):
            problems.add(f"matrix[{lk - 1}][{index}]", f"extra cell: a row has {cells}")
        for im in LEVELS:
            code = row[im - 1] if im <= len(row) else None
            here = f"matrix[{lk - 1}][{im - 1}]"
            if code is None:
                problems.add("matrix", f"missing cell likelihood={lk} impact={im}")
            elif not isinstance(code, str):
                problems.add(here, f"must be a band code, not {_kind(code)} (likelihood={lk} impact={im})")
            elif code not in band_codes:
                problems.add(here, f"unknown band code {code!r} (likelihood={lk} impact={im})")
            else:
                matrix[(lk, im)] = code
    return matrix


def _guidance_validate(problems: _Problems, value: Any, path: str) -> tuple[str, ...] | None:
    items = problems.list(value, path, what="questions")
    if items is None:
        return None
    questions = [problems.string(q, f"{path}[{i}]") for i, q in enumerate(items)]
    return None if None in questions else tuple(questions)


def _categories_validate(problems: _Problems, value: Any) -> tuple[tuple[CategorySpec, ...], list[str]]:
    """The categories in display order, and every code named (even by a faulty category), in that order."""
    items = problems.list(value, "categories", what="categories", min_items=1)
    if items is None:
        return (), []
    categories, codes = [], []
    for index, raw in enumerate(items):
        here = f"categories[{index}]"
        item = problems.mapping(
            raw, here, required=("code", "name", "description", "weight"), optional=("guidance", "display_order")
        )
        if item is None:
            continue
        code = problems.string(item["code"], f"{here}.code")
        name = problems.string(item["name"], f"{here}.name")
        text = problems.string(item["description"], f"{here}.description")
        weight = _weight(problems, item["weight"], f"{here}.weight")
        order = problems.integer(
            item.get("display_order", index + 1), f"{here}.display_order", low=0, high=SMALL_INT_MAX
        )
        guidance = _guidance_validate(problems, item.get("guidance", []), f"{here}.guidance")
        valid = problems.fields(RiskCategory, here, code=code, name=name, weight=weight)
        codes.append((index, code))
        if valid and None not in (code, name, text, weight, order, guidance):
            categories.append(
                CategorySpec(
                    code=code, name=name, description=text, guidance=guidance,
                    weight=weight.quantize(WEIGHT_STEP), display_order=order,
                )
            )
    _duplicates(problems, codes, "categories", "code", "category code")
    categories.sort(key=lambda c: (c.display_order, c.code))
    named = [c.code for c in categories]
    named += [c for _, c in codes if c is not None and c not in named]
    return tuple(categories), named


def _category_refs_validate(problems: _Problems, value: Any, path: str, known: list[str]) -> tuple[str, ...] | None:
    """Category codes of a safeguard, in catalogue order; ``known`` lists the codes in that order."""
    items = problems.list(value, path, what="category codes")
    if items is None:
        return None
    refs, valid = [], True
    for index, ref in enumerate(items):
        here = f"{path}[{index}]"
        if not isinstance(ref, str):
            problems.add(here, f"must be a category code, not {_kind(ref)}")
        elif ref not in known:
            problems.add(here, f"unknown category code {ref!r}")
        elif ref in refs:
            problems.add(here, f"category code {ref!r} is listed twice")
        else:
            refs.append(ref)
            continue
        valid = False
    return tuple(sorted(refs, key=known.index)) if valid else None


def _safeguards_validate(problems: _Problems, value: Any, categories: list[str]) -> tuple[SafeguardSpec, ...]:
    items = problems.list(value, "safeguards", what="safeguards")
    if items is None:
        return ()
    safeguards, codes = [], []
    for index, raw in enumerate(items):
        here = f"safeguards[{index}]"
        item = problems.mapping(raw, here, required=("code", "name", "categories"), optional=("description",))
        if item is None:
            continue
        code = problems.string(item["code"], f"{here}.code")
        name = problems.string(item["name"], f"{here}.name")
        text = problems.string(item.get("description", ""), f"{here}.description", blank=True)
        refs = _category_refs_validate(problems, item["categories"], f"{here}.categories", categories)
        valid = problems.fields(Safeguard, here, code=code, name=name)
        codes.append((index, code))
        if valid and None not in (code, name, text, refs):
            safeguards.append(SafeguardSpec(code=code, name=name, description=text, categories=refs))
    _duplicates(problems, codes, "safeguards", "code", "safeguard code")
    return tuple(sorted(safeguards, key=lambda s: (s.name, s.code)))


def scoring_problems(
    *, method: str, params: Any, ranks_by_code: Mapping[str, int], matrix: Mapping[tuple[int, int], str] | None = None
) -> list[str]:
    """Why the scores could not use this roll-up rule (and ``matrix``, ``{(likelihood, impact): band
    code}``, when given) with these bands, one ``<place>: <problem>`` each; empty when they can.

    The rules are ``assessments.scoring``'s own (``Rollup.from_params``, ``Matrix``), not restated
    here: a catalogue the scores cannot read would make every full recompute fail once published.
    """
    # scoring is pure (no Django, no app of ours), so importing it cannot form a cycle; it is
    # imported here, not at the top, so that importing catalogue never loads assessments.
    from assessments.scoring import Matrix, Rollup, RollupError

    problems = []
    if matrix is not None:
        try:
            Matrix({cell: ranks_by_code[code] for cell, code in matrix.items() if code in ranks_by_code},
                   scale_min=SCALE_MIN, scale_max=SCALE_MAX)
        except ValueError as exc:
            problems.append(f"matrix: {str(exc)[:1].lower()}{str(exc)[1:].rstrip('.')}")
    try:
        Rollup.from_params(method, params, ranks_by_code=ranks_by_code)
    except RollupError as exc:
        problems += [f"{place}: {message}" for place, message in exc.problems]
    return problems


def document_validate(*, data: Any) -> CatalogueSpec:
    """Check a whole export document and return its content as a ``CatalogueSpec``.

    Raises ``ValidationError`` listing every problem found, each as ``<place>: <problem>``. The
    document's ``version`` and ``status`` are checked for shape but not used.
    """
    problems = _Problems()
    doc = problems.mapping(
        data, "document",
        required=("format", "format_version", "name", "scales", "bands", "matrix", "categories", "safeguards"),
        optional=("version", "status", "description", "rollup_method", "rollup_params"),
    )
    if doc is None:
        raise ValidationError(problems.messages)

    if doc["format"] not in (MISSING, FORMAT):
        problems.add("format", f"must be {FORMAT!r}, not {doc['format']!r}")
    if doc["format_version"] is not MISSING and not _is_format_version(doc["format_version"]):
        problems.add("format_version", f"this Riskboard reads version {FORMAT_VERSION}, not {doc['format_version']!r}")
    if doc.get("version") is not None:
        problems.integer(doc["version"], "version", low=1, high=2**31 - 1, what="a positive integer")
    if doc.get("status") is not None and doc["status"] not in CatalogueStatus.values:
        problems.add("status", f"must be one of {', '.join(CatalogueStatus.values)}, not {doc['status']!r}")

    name = problems.string(doc["name"], "name")
    description = problems.string(doc.get("description", ""), "description", blank=True)
    rollup_method = doc.get("rollup_method", RollupMethod.WEIGHTED_MEAN)
    if rollup_method not in RollupMethod.values:
        problems.add("rollup_method", f"must be one of {', '.join(RollupMethod.values)}, not {rollup_method!r}")
    rollup_params = doc.get("rollup_params", {})
    if not isinstance(rollup_params, dict):
        problems.add("rollup_params", f"must be a mapping, not {_kind(rollup_params)}")
    else:
        try:
            json.dumps(rollup_params)
        except (TypeError, ValueError):
            problems.add("rollup_params", "must hold only JSON values (strings, numbers, lists, mappings)")
    problems.fields(RiskCatalogue, "document", name=name)

    scales = problems.mapping(doc["scales"], "scales", required=tuple(Scale.values)) or {}
    scales = {s: _scale_validate(problems, levels, f"scales.{s}") for s, levels in scales.items() if s in Scale.values}
    bands, band_codes = _bands_validate(problems, doc["bands"])
    matrix = _matrix_validate(problems, doc["matrix"], band_codes)
    categories, category_codes = _categories_validate(problems, doc["categories"])
    safeguards = _safeguards_validate(problems, doc["safeguards"], category_codes)
    # Once the roll-up fields, bands and matrix are sound on their own (else a fault is blamed twice).
    if not any(m.startswith(("rollup_", "bands", "matrix")) for m in problems.messages):
        ranks_by_code = {b.code: b.rank for b in bands}
        problems.messages += scoring_problems(
            method=rollup_method, params=rollup_params, ranks_by_code=ranks_by_code, matrix=matrix
        )

    if problems.messages:
        raise ValidationError(problems.messages)
    return CatalogueSpec(
        name=name, description=description, rollup_method=rollup_method, rollup_params=rollup_params,
        scales=scales, bands=bands, matrix=matrix, categories=categories, safeguards=safeguards,
    )
