"""Reads of the audit trail at the edges of the calendar: no date may crash the query."""

import datetime as dt

import pytest

from audit.selectors import audit_events
from tests.audit.conftest import postgres_only
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("date_from", "date_to"), [
    (None, dt.date.max),
    (dt.date.min, None),
    (dt.date.min, dt.date.max),
    (dt.date.max, dt.date.max),
    (dt.date.min, dt.date.min),
])
def test_the_first_and_last_days_of_the_calendar_are_accepted(date_from, date_to):
    list(audit_events(date_from=date_from, date_to=date_to))


@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
def test_the_ends_of_the_calendar_in_far_time_zones(settings, time_zone):
    settings.TIME_ZONE = time_zone
    list(audit_events(date_from=dt.date.min, date_to=dt.date.max))
    list(audit_events(date_from=dt.date.max, date_to=dt.date.min))


class TestWithHistory:
    pytestmark = postgres_only

    def test_open_ended_ranges_keep_every_entry(self):
        PartnerFactory()
        everything = list(audit_events())
        assert everything
        assert list(audit_events(date_to=dt.date.max)) == everything
        assert list(audit_events(date_from=dt.date.min)) == everything
        assert list(audit_events(date_from=dt.date.max)) == []
