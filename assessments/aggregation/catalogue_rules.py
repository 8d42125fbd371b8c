"""The scoring rules of catalogue versions (matrix, roll-up, category weights), read from the database
into ``scoring`` values. (``assessments.rules`` holds the rules of one rating's levels.)"""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from catalogue.models import SCALE_MAX, SCALE_MIN, Band, MatrixCell, RiskCatalogue, RiskCategory

from .. import scoring
from ..rules import LEVEL_FIELDS
from .prepared import execute_prepared


@dataclass(frozen=True)
class BandInfo:
    """A band as pages show it (the attributes of ``catalogue.Band`` that templates use)."""

    rank: int
    code: str
    label: str
    colour: str


@dataclass(frozen=True)
class CatalogueRules:
    """One catalogue version's matrix, roll-up and category weights, plus its bands for display."""

    catalogue_id: int
    matrix: scoring.Matrix
    rollup: scoring.Rollup
    bands: Mapping[int, BandInfo]  # by rank
    categories: Mapping[int, tuple[str, int]]  # category id -> (code, weight in hundredths)


# A rating's columns that scoring reads, in the order ``rating_levels`` takes them.
RATING_COLUMNS = ("id", "category_id", *LEVEL_FIELDS, "confidence")


def rating_levels(row: Sequence, *, categories: Mapping[int, tuple[str, int]]) -> scoring.RatingLevels:
    """A complete rating as scoring reads it, from its values of ``RATING_COLUMNS``; its category's
    code and weight (hundredths) from ``categories`` (``CatalogueRules.categories``, or several
    catalogues' merged). The one way the recomputes, the reference and the explanations build it."""
    rating_id, category_id, inherent_likelihood, inherent_impact, residual_likelihood, residual_impact, confidence \
        = row
    code, weight = categories[category_id]
    return scoring.RatingLevels(rating_id, code, weight, inherent_likelihood, inherent_impact, residual_likelihood,
                                residual_impact, confidence)


def confidence_widening() -> Mapping[str, int]:
    """Levels by which each confidence widens a rating's range (settings, else the scoring default)."""
    return getattr(settings, "RISKBOARD_SCORES_CONFIDENCE_WIDENING", scoring.DEFAULT_CONFIDENCE_WIDENING)


def catalogue_rules(*, catalogue_ids: Iterable[int]) -> dict[int, CatalogueRules]:
    """Rules of the given catalogues, in one query (they run on every incremental recompute).

    Raises ValueError naming a catalogue whose matrix or roll-up parameters cannot be used.
    """
    ids = sorted({int(i) for i in catalogue_ids})
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    catalogue, band, cell, category = (
        RiskCatalogue._meta.db_table, Band._meta.db_table, MatrixCell._meta.db_table, RiskCategory._meta.db_table
    )
    with connection.cursor() as cursor:
        # The catalogues with their bands and matrix cells, then (category_id set) their categories.
        # Parameters as text, so that the rows can key the cache of ``_rules_from``.
        execute_prepared(
            cursor,
            f"SELECT k.id, k.name, k.version, k.rollup_method, CAST(k.rollup_params AS TEXT), b.rank, b.code, "
            f"b.label, b.colour, m.likelihood, m.impact, NULL, NULL FROM {catalogue} k "
            f"LEFT JOIN {band} b ON b.catalogue_id = k.id LEFT JOIN {cell} m ON m.band_id = b.id "
            f"WHERE k.id IN ({marks}) "
            f"UNION ALL SELECT c.catalogue_id, NULL, NULL, NULL, NULL, NULL, c.code, NULL, NULL, NULL, NULL, c.id, "
            f"c.weight FROM {category} c WHERE c.catalogue_id IN ({marks})",
            [*ids, *ids],
        )
        rows = tuple(sorted(cursor.fetchall(), key=repr))
    return dict(_rules_from(ids=tuple(ids), rows=rows))


@functools.lru_cache(maxsize=32)
def _rules_from(*, ids: tuple[int, ...], rows: tuple[tuple, ...]) -> dict[int, CatalogueRules]:
    """The rules those rows describe. Cached by the rows themselves: the same rows give the same
    rules, and any change to a catalogue gives other rows (callers must not mutate the result)."""
    names: dict[int, str] = {}
    methods: dict[int, tuple[str, object]] = {}
    bands: dict[int, dict[int, BandInfo]] = {i: {} for i in ids}
    cells: dict[int, dict[tuple[int, int], int]] = {i: {} for i in ids}
    categories: dict[int, dict[int, tuple[str, int]]] = {i: {} for i in ids}
    for cid, name, version, method, params, rank, code, label, colour, likelihood, impact, category_id, weight in rows:
        if category_id is not None:
            categories[cid][category_id] = (code, scoring.weight_hundredths(weight))
            continue
        names[cid] = f"{name} v{version}"
        methods[cid] = (method, json.loads(params) if params else None)
        if rank is not None:
            bands[cid][rank] = BandInfo(rank, code, label, colour)
        if likelihood is not None:
            cells[cid][(likelihood, impact)] = rank
    out = {}
    for cid, (method, params) in methods.items():
        try:
            matrix = scoring.Matrix(cells[cid], scale_min=SCALE_MIN, scale_max=SCALE_MAX)
            # Leniently: a key a published catalogue held before it could count must not stop its scores.
            rollup = scoring.Rollup.from_params(
                method, params, ranks_by_code={b.code: rank for rank, b in bands[cid].items()}, lenient=True
            )
        except ValueError as exc:
            raise ValueError(f"Catalogue {names[cid]} cannot be used for scoring: {exc}") from exc
        out[cid] = CatalogueRules(cid, matrix, rollup, bands[cid], categories[cid])
    return out
