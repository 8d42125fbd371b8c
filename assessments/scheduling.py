"""When an approved assessment is next due for review. Pure functions, no database access."""

import calendar
import datetime as dt
from collections.abc import Mapping


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved forward by ``months`` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
        latest = agreement_end - dt.timedelta(days=notice_period_days)
        due = max(min(due, latest), approved_on)
    return due
