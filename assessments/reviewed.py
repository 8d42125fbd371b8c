"""What a manager read on the review page, carried by its decision links and forms.

The review page signs a compact snapshot of what it showed: the assessment's version, the last
workflow step it listed and each category's rating. The Approve and Return links carry it, the
decision forms post it back, and the decision is taken on that version only (``expected_version``
of the services), never on the current one. When the assessment moved on meanwhile, the snapshot
tells the manager what changed, field by field.

The snapshot travels in a URL, so it must stay short whatever the analysts wrote (gunicorn refuses
a request line over 4 KiB): levels, confidence and safeguard codes are kept as they were, each free
text as a digest, which tells that the text changed but not what it said. Pure functions over plain
values, apart from the signing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core import signing

from .comparison import RATING_FIELDS
from .rules import LEVEL_FIELDS

SALT = "assessments.reviewed"
# The query parameter of the decision links, and the hidden field of the decision forms.
PARAM = "reviewed"
TEXT_FIELDS = ("safeguards_other", "rationale", "evidence")


class ReviewedInvalid(Exception):
    """The decision came without a usable snapshot of what was reviewed: ``reason`` says why."""

    MISSING = "missing"
    OTHER_USER = "other_user"
    MALFORMED = "malformed"

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Reviewed:
    """A decoded snapshot: what ``user_id`` read of assessment ``assessment_id``.

    ``ratings`` maps a category id to its compact state (``compact_state``); ``last_transition_id``
    is the newest workflow step the page listed (0 when none).
    """

    assessment_id: int
    user_id: int
    version: int
    last_transition_id: int
    ratings: Mapping[int, Mapping[str, object]]
    token: str


def text_digest(text: str) -> str:
    """A short digest of a text ("" for no text): equal texts give equal digests."""
    if not text:
        return ""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=9, person=b"rb-reviewed").digest()
    return "#" + base64.urlsafe_b64encode(digest).decode("ascii")


def compact_state(state: Mapping[str, object]) -> dict[str, object]:
    """A rating state (``comparison.rating_state``) with each free text replaced by its digest.

    Two compact states compare like the states they came from (``comparison.changed_fields``).
    """
    compact = {name: state.get(name) for name in RATING_FIELDS}
    compact["safeguards"] = tuple(state.get("safeguards") or ())
    for name in TEXT_FIELDS:
        compact[name] = text_digest(str(state.get(name) or ""))
    return compact


def reviewed_dumps(
    *, assessment_id: int, user_id: int, version: int, last_transition_id: int,
    states: Iterable[tuple[int, Mapping[str, object]]],
) -> str:
    """Sign what the page showed: ``states`` are ``(category id, rating state)`` pairs."""
    ratings = {
        str(category_id): [list(value) if name == "safeguards" else value for name, value in compact_state(s).items()]
        for category_id, s in states
    }
    payload = {"a": assessment_id, "u": user_id, "v": version, "t": last_transition_id, "r": ratings}
    return signing.dumps(payload, salt=SALT, compress=True)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def _state(values: object) -> dict[str, object]:
    if not isinstance(values, list) or len(values) != len(RATING_FIELDS):
        raise ValueError(values)
    state = dict(zip(RATING_FIELDS, values, strict=True))
    for name in LEVEL_FIELDS:
        if state[name] is not None:
            _int(state[name])
    if not isinstance(state["safeguards"], list) or not all(isinstance(c, str) for c in state["safeguards"]):
        raise ValueError(state["safeguards"])
    state["safeguards"] = tuple(state["safeguards"])
    if not all(isinstance(state[name], str) for name in (*TEXT_FIELDS, "confidence")):
        raise ValueError(state)
    return state


def reviewed_loads(token: str | None, *, assessment_id: int, user_id: int) -> Reviewed:
    """Check and decode a snapshot made by ``reviewed_dumps`` for this assessment and this user.

    Raises ``ReviewedInvalid``: missing, forged or malformed (``MALFORMED``), or made for another
    manager (``OTHER_USER``: a decision carries what its maker read, not what a colleague read).
    """
    if not token:
        raise ReviewedInvalid(ReviewedInvalid.MISSING)
    try:
        data = signing.loads(token, salt=SALT)
        if not isinstance(data, dict) or not isinstance(data.get("r"), dict):
            raise ValueError(data)
        reviewed = Reviewed(
            assessment_id=_int(data["a"]),
            user_id=_int(data["u"]),
            version=_int(data["v"]),
            last_transition_id=_int(data["t"]),
            ratings={int(k): _state(v) for k, v in data["r"].items()},
            token=token,
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ReviewedInvalid(ReviewedInvalid.MALFORMED) from exc
    if reviewed.assessment_id != assessment_id:
        raise ReviewedInvalid(ReviewedInvalid.MALFORMED)
    if reviewed.user_id != user_id:
        raise ReviewedInvalid(ReviewedInvalid.OTHER_USER)
    return reviewed
