"""Comparing one category's rating between two states (``assessments.comparison``): what the review
page marks as changed, and how the conflict page merges two people's edits."""

from assessments.comparison import (
    EMPTY_RATING,
    RATING_FIELDS,
    UNKNOWN_BASE,
    changed_fields,
    rating_state,
    three_way_merge,
)

LEVELS = {"inherent_likelihood": 4, "inherent_impact": 3, "residual_likelihood": 2, "residual_impact": 2}


def state(**changes):
    values = {"levels": LEVELS, "safeguards": ["SG_B", "SG_A"], "rationale": "Because.", "evidence": "Report 7",
              "confidence": "high"}
    levels = {**values.pop("levels"), **{k: changes.pop(k) for k in list(changes) if k in LEVELS}}
    return rating_state(levels=levels, **{**values, **changes})


def test_a_state_is_normalised_so_that_cosmetic_differences_do_not_count():
    typed = rating_state(levels=LEVELS, safeguards=["SG_B", "SG_A"], rationale="  Line one\r\nLine two \n",
                         evidence=None, safeguards_other="\r\n")

    assert typed == {
        **LEVELS, "safeguards": ("SG_A", "SG_B"), "safeguards_other": "", "rationale": "Line one\nLine two",
        "evidence": "", "confidence": "medium",
    }
    assert set(typed) == set(RATING_FIELDS)
    assert rating_state(levels={}, safeguards=[]) == {**EMPTY_RATING}  # nothing rated yet
    assert changed_fields(typed, rating_state(levels=LEVELS, safeguards=("SG_A", "SG_B"),
                                              rationale="Line one\nLine two")) == []


def test_changed_fields_lists_what_differs_in_display_order():
    before = state()
    after = state(residual_impact=1, safeguards=["SG_A"], confidence="low")

    assert changed_fields(before, after) == ["residual_impact", "safeguards", "confidence"]
    assert changed_fields(before, before) == []


def test_a_category_not_rated_before_differs_in_every_field_it_now_has():
    after = state()

    assert changed_fields(None, after) == [*LEVELS, "safeguards", "rationale", "evidence", "confidence"]
    assert changed_fields(after, None) == changed_fields(None, after)
    assert changed_fields(None, None) == []
    assert changed_fields(None, rating_state(levels={}, safeguards=[])) == []  # an empty rating is no change


def test_a_field_only_the_other_person_changed_is_taken_from_them():
    base = state()
    merge = three_way_merge(base=base, mine=state(rationale="Mine."), theirs=state(residual_likelihood=1))

    assert merge.state == state(rationale="Mine.", residual_likelihood=1)
    assert merge.taken_from_them == ["residual_likelihood"]
    assert merge.conflicts == []


def test_a_field_both_changed_differently_keeps_mine_and_is_reported():
    base = state()
    merge = three_way_merge(base=base, mine=state(evidence="Mine"), theirs=state(evidence="Theirs"))

    assert merge.state["evidence"] == "Mine"  # nothing typed is lost
    assert merge.conflicts == ["evidence"] and merge.taken_from_them == []


def test_the_same_change_on_both_sides_is_no_conflict():
    merge = three_way_merge(base=state(), mine=state(confidence="low"), theirs=state(confidence="low"))

    assert merge.state == state(confidence="low") and merge.conflicts == [] and merge.taken_from_them == []


def test_without_the_base_every_difference_is_a_conflict():
    mine, theirs = state(rationale="Mine."), state(residual_likelihood=1)

    merge = three_way_merge(base=UNKNOWN_BASE, mine=mine, theirs=theirs)

    assert merge.state == mine
    assert merge.conflicts == ["residual_likelihood", "rationale"] and merge.taken_from_them == []


def test_a_category_first_rated_by_the_other_person_is_taken_when_i_left_it_empty():
    theirs = state()

    merge = three_way_merge(base=None, mine=None, theirs=theirs)

    assert merge.state == theirs
    assert merge.taken_from_them == [name for name in RATING_FIELDS if theirs[name] != EMPTY_RATING[name]]
