"""Reads of the audit trail: pages found by seeking from a cursor, filters, and the edges of the calendar.

Entries are written straight into the event tables (``record_events``) with chosen times, so these
run on any database; ``TestWithHistory`` reads entries written by the PostgreSQL triggers.
"""

import base64
import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Assessment
from audit.models import AssessmentEvent, PartnerEvent, RatingEvent, TeamEvent
from audit.selectors import AuditCursor, InvalidCursor, audit_events, audit_object_events
from tests.audit.conftest import postgres_only, record_events
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def seconds(*offsets) -> list[dt.datetime]:
    return [T0 + dt.timedelta(seconds=s) for s in offsets]


def keys(entries) -> list[tuple[str, int]]:
    return [(e.model_label, e.object_id) for e in entries]


def walk_older(size: int, **filters) -> list[list[tuple[str, int]]]:
    """Every page from the newest, following ``older``, as the keys of its entries."""
    page = audit_events(size=size, **filters)
    pages = [keys(page.entries)]
    while page.older is not None:
        page = audit_events(size=size, after=page.older, **filters)
        pages.append(keys(page.entries))
    return pages


@pytest.fixture
def history():
    """Partners and teams changed at the same instants (ties across tables), and three partners in
    one microsecond (ties within a table): 11 entries, newest first as listed in ``expected``."""
    record_events(PartnerEvent, seconds(1, 2, 3, 3, 3, 5), first_obj_id=100)
    record_events(TeamEvent, seconds(2, 3, 4, 5, 6), first_obj_id=200)
    # Newest first; at one instant the tables in label order descending (teamevent > partnerevent),
    # and within one table the later id first.
    return [
        ("assessments.team", 204),
        ("assessments.team", 203), ("assessments.partner", 105),
        ("assessments.team", 202),
        ("assessments.team", 201), ("assessments.partner", 104), ("assessments.partner", 103),
        ("assessments.partner", 102),
        ("assessments.team", 200), ("assessments.partner", 101),
        ("assessments.partner", 100),
    ]


# --- Paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 10, 11, 50])
def test_older_pages_list_every_entry_once_in_order(history, size):
    pages = walk_older(size)

    assert [key for page in pages for key in page] == history
    assert all(len(page) == size for page in pages[:-1])
    assert pages[-1]  # the last "Older" link leads to entries, never to an empty page


@pytest.mark.parametrize("size", [1, 2, 3, 4, 10])
def test_newer_pages_walk_back_to_the_newest_without_gaps_or_repeats(history, size):
    page = audit_events(size=size)
    while page.older is not None:
        page = audit_events(size=size, after=page.older)
    walked = keys(page.entries)

    while page.newer is not None:
        page = audit_events(size=size, before=page.newer)
        assert len(page.entries) == size
        walked = keys(page.entries) + walked

    assert walked == history
    assert page.older is not None


def test_the_newest_page_has_no_newer_link_and_the_oldest_no_older_link(history):
    newest = audit_events(size=4)
    assert newest.newer is None and newest.older is not None

    everything = audit_events(size=len(history))
    assert everything.newer is None and everything.older is None


def test_paging_while_changes_are_recorded_neither_repeats_nor_skips(history):
    """New entries arrive between page loads: going older shows exactly what was there, and
    going back newer shows the new entries too, each once."""
    added = iter(range(300, 400))
    later = iter(seconds(*range(100, 200)))

    def someone_saves():
        record_events(PartnerEvent, [next(later)], first_obj_id=next(added))

    page = audit_events(size=3)
    seen = keys(page.entries)
    while page.older is not None:
        someone_saves()
        page = audit_events(size=3, after=page.older)
        seen += keys(page.entries)
    assert seen == history

    walked = keys(page.entries)
    while page.newer is not None:
        someone_saves()
        page = audit_events(size=3, before=page.newer)
        walked = keys(page.entries) + walked
    new = [("assessments.partner", obj_id) for obj_id in range(300, next(added))]
    assert walked == [*reversed(new), *history]


def test_filters_hold_on_every_page(history):
    record_events(PartnerEvent, [T0 - dt.timedelta(days=1)], first_obj_id=99)  # the day before
    partners = [key for key in history if key[0] == "assessments.partner"]

    assert [key for page in walk_older(2, model_label="assessments.partner") for key in page] == [
        *partners, ("assessments.partner", 99)
    ]
    assert [key for page in walk_older(3, date_from=T0.date()) for key in page] == history
    assert walk_older(3, date_to=T0.date() - dt.timedelta(days=1)) == [[("assessments.partner", 99)]]
    assert walk_older(3, date_from=T0.date() + dt.timedelta(days=1)) == [[]]


def test_the_changes_of_one_actor_are_paged_too(history, django_user_model):
    from pghistory.models import Context

    eve = django_user_model.objects.create(username="eve")
    context = Context.objects.create(metadata={"user": eve.pk, "url": "/admin/"})
    record_events(PartnerEvent, seconds(10, 11, 12), first_obj_id=500, context=context)

    pages = walk_older(2, actor_id=eve.pk)

    assert pages == [[("assessments.partner", 502), ("assessments.partner", 501)], [("assessments.partner", 500)]]
    assert audit_events(actor_id=eve.pk + 1).entries == []


def test_an_object_history_is_paged_with_the_rows_it_owns():
    record_events(AssessmentEvent, seconds(1), first_obj_id=7, agreement_id=1)
    record_events(RatingEvent, seconds(2, 3, 4, 5), first_obj_id=70, assessment_id=7)
    record_events(RatingEvent, seconds(2, 3), first_obj_id=80, assessment_id=8)  # another assessment's

    page = audit_object_events(model=Assessment, object_id=7, size=3)
    older = audit_object_events(model=Assessment, object_id=7, size=3, after=page.older)

    assert keys(page.entries) == [("assessments.rating", 73), ("assessments.rating", 72), ("assessments.rating", 71)]
    assert keys(older.entries) == [("assessments.rating", 70), ("assessments.assessment", 7)]
    assert older.older is None
    back = audit_object_events(model=Assessment, object_id=7, size=3, before=older.newer)
    assert keys(back.entries) == keys(page.entries) and back.newer is None


# --- Cursors --------------------------------------------------------------------------------------


def test_a_cursor_survives_its_trip_through_a_url(history):
    cursor = audit_events(size=4).older

    token = cursor.token

    assert AuditCursor.from_token(token) == cursor
    assert token.isascii() and all(c.isalnum() or c in "-_" for c in token)


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("token", [
    "",
    "!!!",
    "abc\x00def",
    "a" * 1000,
    _token("garbage"),
    _token("1~audit.partnerevent"),  # a part missing
    _token("x~audit.partnerevent~1"),
    _token("1~audit.nosuchevent~1"),  # not an event table
    _token("1~auth.user~1"),
    _token("1~audit.partnerevent~0"),
    _token("1~audit.partnerevent~-4"),
    _token(f"1~audit.partnerevent~{2**63}"),
    _token(f"{10**20}~audit.partnerevent~1"),  # beyond year 9999
    _token(f"-{10**20}~audit.partnerevent~1"),
    base64.urlsafe_b64encode(b"\xff\xfe~audit.partnerevent~1").decode(),  # not text
])
def test_a_cursor_this_server_did_not_make_is_refused(token):
    with pytest.raises(InvalidCursor):
        AuditCursor.from_token(token)


def test_a_page_starts_after_one_cursor_or_before_another_not_both(history):
    cursor = audit_events(size=4).older
    with pytest.raises(ValueError, match="not both"):
        audit_events(after=cursor, before=cursor)


# --- The edges of the calendar: no date may crash the query, and each bound means what it says ---


@pytest.mark.parametrize(("date_from", "date_to", "listed"), [
    (None, dt.date.max, True),
    (dt.date.min, None, True),
    (dt.date.min, dt.date.max, True),
    (dt.date.max, dt.date.max, False),
    (dt.date.min, dt.date.min, False),
])
def test_the_first_and_last_days_of_the_calendar_are_accepted(date_from, date_to, listed):
    record_events(PartnerEvent, [timezone.now()])

    entries = audit_events(date_from=date_from, date_to=date_to).entries

    assert keys(entries) == ([("assessments.partner", 1)] if listed else [])


@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
def test_the_ends_of_the_calendar_in_far_time_zones(settings, time_zone):
    settings.TIME_ZONE = time_zone
    record_events(PartnerEvent, [timezone.now()])

    assert keys(audit_events(date_from=dt.date.min, date_to=dt.date.max).entries) == [("assessments.partner", 1)]
    assert audit_events(date_from=dt.date.max, date_to=dt.date.min).entries == []


class TestWithHistory:
    pytestmark = postgres_only

    def test_open_ended_ranges_keep_every_entry(self):
        PartnerFactory()
        everything = audit_events().entries
        assert everything
        assert audit_events(date_to=dt.date.max).entries == everything
        assert audit_events(date_from=dt.date.min).entries == everything
        assert audit_events(date_from=dt.date.max).entries == []
