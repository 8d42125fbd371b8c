"""When an approved assessment is next due for review. Pure functions, no database access.

They never raise on a date of the calendar (``date.min`` to ``date.max``) or on any integer count
of months or days: a result past either end of the calendar is clamped to that end. The model keeps
agreements' dates and notice periods in a sane range, but the approval page must not depend on it.
"""

import calendar
import datetime as dt
from collections.abc import Mapping


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (back when negative), clamped to the month's last
    day, and to ``date.min`` or ``date.max`` past the calendar's ends."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if year > dt.MAXYEAR:
        return dt.date.max
    if year < dt.MINYEAR:
        return dt.date.min
    month = month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def subtract_days(day: dt.date, days: int) -> dt.date:
    """``day`` minus ``days`` days (forward when negative), clamped to the calendar's ends."""
    try:
        return day - dt.timedelta(days=days)
    except OverflowError:  # past date.min or date.max, or more days than a timedelta holds
        return dt.date.min if days > 0 else dt.date.max


def next_review_date(
    *,
    approved_on: dt.date,
    worst_band_code: str,
    months_by_band: Mapping[str, int],
    agreement_end: dt.date | None,
    notice_period_days: int,
) -> dt.date:
    """The next review date of an assessment approved on ``approved_on``.

    The interval comes from the worst residual band (``months_by_band``, e.g. CRITICAL 3 ... LOW 24;
    an unknown band gets the shortest interval, the cautious choice). The date is never later
    than the agreement's end minus its notice period, so a decision to renew or terminate is made
    in time; it is never earlier than the approval date itself.
    """
    months = months_by_band.get(worst_band_code, min(months_by_band.values()))
    due = add_months(approved_on, months)
    if agreement_end is not None:
        due = min(due, subtract_days(agreement_end, notice_period_days))
    return max(due, approved_on)
