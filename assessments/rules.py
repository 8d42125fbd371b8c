"""The rules of one category's rating, over plain values: no database access.

A rating's *levels* are a mapping ``{level field: int or None}`` over ``LEVEL_FIELDS`` (None = not
rated yet); ``levels_of`` reads them off anything with those attributes (a ``Rating``, a
``services.RatingInput``). The model, the services, the pages and the comparison all use these, so
"rated" and "residual above inherent" mean the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

LEVEL_FIELDS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
AXES = ("likelihood", "impact")


def levels_of(source: object) -> dict[str, int | None]:
    """The four levels of an object that has them as attributes."""
    return {name: getattr(source, name) for name in LEVEL_FIELDS}


def missing_levels(levels: Mapping[str, int | None]) -> list[str]:
    """The level fields not set yet, in ``LEVEL_FIELDS`` order."""
    return [name for name in LEVEL_FIELDS if levels.get(name) is None]


def is_complete(levels: Mapping[str, int | None]) -> bool:
    """A category is rated when all four levels are set (what submission requires)."""
    return not missing_levels(levels)


def residual_exceeds_inherent(levels: Mapping[str, int | None]) -> bool:
    """A residual level above its inherent level on either axis (the rationale must then explain it).

    An axis with either level unset does not count.
    """
    for axis in AXES:
        residual, inherent = levels.get(f"residual_{axis}"), levels.get(f"inherent_{axis}")
        if residual is not None and inherent is not None and residual > inherent:
            return True
    return False
