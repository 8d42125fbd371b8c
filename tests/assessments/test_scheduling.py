"""The next review date (assessments.scheduling): worked cases, then any input of the calendar."""

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st

from assessments.scheduling import add_months, next_review_date, subtract_days

MONTHS = {"CRITICAL": 3, "HIGH": 6, "MEDIUM": 12, "LOW": 24}


def due(approved_on, band="LOW", *, end=None, notice=90, months=MONTHS):
    return next_review_date(approved_on=approved_on, worst_band_code=band, months_by_band=months,
                            agreement_end=end, notice_period_days=notice)


def test_the_band_sets_the_interval_and_the_agreements_end_caps_it():
    assert due(dt.date(2026, 1, 31), "CRITICAL") == dt.date(2026, 4, 30)  # clamped to the month's end
    assert due(dt.date(2026, 1, 31), "LOW") == dt.date(2028, 1, 31)
    assert due(dt.date(2026, 1, 31), "UNKNOWN") == dt.date(2026, 4, 30)  # the shortest interval
    assert due(dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), notice=30) == dt.date(2026, 12, 1)
    assert due(dt.date(2026, 1, 1), end=dt.date(2026, 2, 1), notice=90) == dt.date(2026, 1, 1)  # not before approval


def test_dates_past_the_calendars_ends_are_clamped_not_raised():
    """Reported: a huge notice period or an extreme end date made every approval page fail (500)."""
    assert add_months(dt.date(9999, 11, 30), 24) == dt.date.max
    assert add_months(dt.date(1, 2, 1), -2) == dt.date.min
    assert subtract_days(dt.date(2026, 1, 1), 2_147_483_647) == dt.date.min
    assert subtract_days(dt.date(2026, 1, 1), -(10**12)) == dt.date.max
    assert due(dt.date(9999, 6, 1)) == dt.date.max
    assert due(dt.date(2026, 1, 1), end=dt.date(2026, 6, 1), notice=2_147_483_647) == dt.date(2026, 1, 1)
    assert due(dt.date(2026, 1, 1), end=dt.date.max, notice=0) == dt.date(2028, 1, 1)
    assert due(dt.date(2026, 1, 1), end=dt.date(1, 1, 1)) == dt.date(2026, 1, 1)


@given(
    approved_on=st.dates(),
    end=st.none() | st.dates(),
    notice=st.integers(min_value=-(10**12), max_value=10**12),
    months=st.dictionaries(st.sampled_from(list(MONTHS)), st.integers(-(10**9), 10**9), min_size=1),
    band=st.sampled_from([*MONTHS, "UNKNOWN"]),
)
@example(approved_on=dt.date.max, end=None, notice=0, months={"LOW": 10**9}, band="LOW")
@example(approved_on=dt.date.min, end=dt.date.min, notice=10**12, months={"LOW": -(10**9)}, band="LOW")
def test_any_input_gives_a_date_between_approval_and_the_notice_deadline(approved_on, end, notice, months, band):
    result = due(approved_on, band, end=end, notice=notice, months=months)
    assert isinstance(result, dt.date)
    assert result >= approved_on
    interval = months.get(band, min(months.values()))
    assert result <= max(add_months(approved_on, interval), approved_on)
    if end is not None:
        assert result <= max(subtract_days(end, notice), approved_on)


@given(day=st.dates(), months=st.integers(-(10**6), 10**6))
def test_adding_months_keeps_the_day_or_the_months_last_day(day, months):
    moved = add_months(day, months)
    target = (day.year * 12 + day.month - 1 + months) // 12
    if dt.MINYEAR <= target <= dt.MAXYEAR:
        assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
        assert moved.day == day.day or (moved.day < day.day and (moved + dt.timedelta(days=1)).day == 1)
    else:
        assert moved in (dt.date.min, dt.date.max)
