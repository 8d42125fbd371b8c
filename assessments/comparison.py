"""Comparing one category's rating between two states. Pure functions, no database access.

A rating state is a plain mapping ``{field: value}`` over ``RATING_FIELDS``: levels are ints 1-5
or ``None``; ``safeguards`` is a sorted tuple (of ids or codes, as long as both sides agree);
the other values are strings. The review page compares an assessment with the previous approved
one; the conflict page merges a user's input with what someone else saved meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .rules import LEVEL_FIELDS

RATING_FIELDS = (*LEVEL_FIELDS, "safeguards", "safeguards_other", "rationale", "evidence", "confidence")
EMPTY_RATING: Mapping[str, object] = {
    **dict.fromkeys(LEVEL_FIELDS),
    "safeguards": (),
    "safeguards_other": "",
    "rationale": "",
    "evidence": "",
    "confidence": "medium",
}


def rating_state(
    *,
    levels: Mapping[str, int | None],
    safeguards: Iterable,
    safeguards_other: str = "",
    rationale: str = "",
    evidence: str = "",
    confidence: str = "medium",
) -> dict[str, object]:
    """A normalised state: sorted safeguards, text with Windows line endings made plain."""
    return {
        **{name: levels.get(name) for name in LEVEL_FIELDS},
        "safeguards": tuple(sorted(safeguards)),
        "safeguards_other": _text(safeguards_other),
        "rationale": _text(rationale),
        "evidence": _text(evidence),
        "confidence": confidence,
    }


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _value(state: Mapping[str, object] | None, name: str):
    value = (state or EMPTY_RATING).get(name, EMPTY_RATING[name])
    return tuple(value) if name == "safeguards" else value


def changed_fields(before: Mapping[str, object] | None, after: Mapping[str, object] | None) -> list[str]:
    """The fields whose value differs between ``before`` and ``after`` (``None`` = not rated)."""
    return [name for name in RATING_FIELDS if _value(before, name) != _value(after, name)]


# The base of a merge when what the user loaded is not known (a form without its snapshot):
# every difference between the two sides is then a conflict, so neither is silently dropped.
UNKNOWN_BASE: Mapping[str, object] = {}


@dataclass
class Merge:
    """The outcome of merging one category: the state to show, and what came from whom."""

    state: dict[str, object]
    # Someone else changed these and this user did not: their value is taken.
    taken_from_them: list[str] = field(default_factory=list)
    # Both changed these to different values: this user's value is kept, theirs is shown.
    conflicts: list[str] = field(default_factory=list)


def three_way_merge(
    *, base: Mapping[str, object] | None, mine: Mapping[str, object] | None, theirs: Mapping[str, object] | None
) -> Merge:
    """Merge this user's input (``mine``) with ``theirs``, both made from ``base``.

    A field only one side changed takes that side's value; a field both changed differently keeps
    ``mine`` (nothing typed is lost) and is reported as a conflict for the user to settle.
    """
    merge = Merge(state={})
    for name in RATING_FIELDS:
        m, t = _value(mine, name), _value(theirs, name)
        b = object() if base is UNKNOWN_BASE else _value(base, name)
        if t == b or m == t:
            merge.state[name] = m
        elif m == b:
            merge.state[name] = t
            merge.taken_from_them.append(name)
        else:
            merge.state[name] = m
            merge.conflicts.append(name)
    return merge
