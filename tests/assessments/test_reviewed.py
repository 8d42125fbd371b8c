"""The snapshot of what a manager read, carried by the decision links (assessments.reviewed)."""

import pytest
from django.core import signing

from assessments.comparison import changed_fields, rating_state
from assessments.reviewed import SALT, ReviewedInvalid, compact_state, reviewed_dumps, reviewed_loads


def state(**overrides):
    values = {
        "levels": {"inherent_likelihood": 4, "inherent_impact": 4, "residual_likelihood": 2, "residual_impact": 3},
        "safeguards": ["SG_2", "SG_1"], "rationale": "Because.", "evidence": "", "confidence": "high",
    }
    return rating_state(**{**values, **overrides})


def token(**overrides):
    values = {"assessment_id": 7, "user_id": 3, "version": 5, "last_transition_id": 12, "states": [(40, state())]}
    return reviewed_dumps(**{**values, **overrides})


def test_a_snapshot_round_trips_for_its_assessment_and_user():
    reviewed = reviewed_loads(token(), assessment_id=7, user_id=3)
    assert (reviewed.assessment_id, reviewed.user_id, reviewed.version, reviewed.last_transition_id) == (7, 3, 5, 12)
    assert reviewed.ratings == {40: compact_state(state())}
    assert reviewed.ratings[40]["safeguards"] == ("SG_1", "SG_2")
    assert reviewed.ratings[40]["inherent_likelihood"] == 4 and reviewed.ratings[40]["evidence"] == ""


def test_texts_travel_as_digests_that_still_tell_a_change():
    before, after = compact_state(state()), compact_state(state(rationale="Because, and more."))
    assert "Because." not in signing.loads(token(), salt=SALT).__repr__()
    assert changed_fields(before, after) == ["rationale"]
    assert changed_fields(before, compact_state(state())) == []
    assert changed_fields(before, compact_state(state(levels={"residual_likelihood": 3}))) == [
        "inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact",
    ]


@pytest.mark.parametrize(("value", "reason"), [
    (None, ReviewedInvalid.MISSING),
    ("", ReviewedInvalid.MISSING),
    ("not-a-token", ReviewedInvalid.MALFORMED),
    ("\x00", ReviewedInvalid.MALFORMED),
    (token()[:-2] + "xx", ReviewedInvalid.MALFORMED),  # tampered with
    (signing.dumps({"a": 7, "u": 3, "v": 5}, salt=SALT), ReviewedInvalid.MALFORMED),  # incomplete
    (signing.dumps({"a": 7, "u": 3, "v": -1, "t": 0, "r": {}}, salt=SALT), ReviewedInvalid.MALFORMED),
    (signing.dumps({"a": 7, "u": 3, "v": 5, "t": 0, "r": {"1": [1]}}, salt=SALT), ReviewedInvalid.MALFORMED),
    (signing.dumps({"a": 7, "u": 3, "v": 5, "t": 0, "r": []}, salt=SALT), ReviewedInvalid.MALFORMED),
    (signing.dumps({"a": 7, "u": 3, "v": "5", "t": 0, "r": {}}, salt=SALT), ReviewedInvalid.MALFORMED),
    (signing.dumps({"a": 7, "u": 3, "v": 5, "t": 0, "r": {}}, salt="another.purpose"), ReviewedInvalid.MALFORMED),
    (token(assessment_id=8), ReviewedInvalid.MALFORMED),
    (token(user_id=4), ReviewedInvalid.OTHER_USER),
])
def test_an_unusable_snapshot_is_refused_with_its_reason(value, reason):
    with pytest.raises(ReviewedInvalid) as refused:
        reviewed_loads(value, assessment_id=7, user_id=3)
    assert refused.value.reason == reason
