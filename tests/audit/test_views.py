"""History pages: who may read them, what they show, filtering, paging by cursor and escaping."""

import base64
import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Context

from assessments import choices as ac
from assessments.models import Partner
from audit.models import PartnerEvent, RatingEvent
from audit.views import PAGE_SIZE
from tests.audit.conftest import ON_POSTGRES, postgres_only, record_events
from tests.factories import AgreementFactory, MembershipFactory, PartnerFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.audit.urls")]

GLOBAL = reverse("audit:global", urlconf="tests.audit.urls")


def _object_url(model_label, pk):
    return reverse("audit:object", args=[model_label, pk], urlconf="tests.audit.urls")


@pytest.fixture
def auditor():
    return MembershipFactory(team=None, role=ac.Role.AUDITOR).user


def _user(role):
    if role == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    if role in (ac.Role.AUDITOR, ac.Role.ADMINISTRATOR):
        return MembershipFactory(team=None, role=role).user
    return MembershipFactory(role=role).user


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [GLOBAL, _object_url("assessments.agreement", 1)])
def test_anonymous_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (ac.Role.ANALYST, 403),
        (ac.Role.MANAGER, 403),
        (ac.Role.AUDITOR, 200),
        (ac.Role.ADMINISTRATOR, 200),
        ("superuser", 200),
    ],
)
@pytest.mark.parametrize("url", [GLOBAL, _object_url("assessments.agreement", 1)])
def test_only_administrators_and_auditors_may_read_the_history(client, role, status, url):
    client.force_login(_user(role))
    assert client.get(url).status_code == status


def test_a_user_without_any_role_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(GLOBAL).status_code == 403


@pytest.mark.parametrize("label", ["assessments.nosuchmodel", "auth.permission", "assessments.rating_safeguards"])
def test_history_of_an_untracked_kind_of_record_is_not_found(client, auditor, label):
    client.force_login(auditor)
    assert client.get(_object_url(label, 1)).status_code == 404


def test_history_pages_refuse_writes(client, auditor):
    client.force_login(auditor)
    assert client.post(GLOBAL).status_code == 405


# --- What the pages show -----------------------------------------------------------------------


def test_pages_say_whether_history_is_recorded(client, auditor):
    client.force_login(auditor)
    notice = "No history is being recorded on this server"
    for url in (GLOBAL, _object_url("assessments.agreement", 1)):
        response = client.get(url)
        assert response.status_code == 200
        assert (notice in response.content.decode()) is not ON_POSTGRES


def test_invalid_filter_shows_the_error_next_to_its_field(client, auditor):
    client.force_login(auditor)
    response = client.get(GLOBAL, {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert response.status_code == 200
    assert "Choose a date on or after the start date." in response.content.decode()
    assert response.context["entries"] == []


# --- Bad input: a clear form error or an empty result, never a server error ----------------------


@pytest.mark.parametrize("params", [
    {"date_to": "9999-12-31"},  # the day after does not exist
    {"date_from": "0001-01-01"},
    {"date_from": "9999-12-31"},
    {"date_to": "0001-01-01"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"page": "abc"},  # links from before pages had cursors: ignored
    {"page": "-5"},
    {"page": "99999999999999999999999"},
])
def test_extreme_but_valid_filters_answer_a_page(client, auditor, params):
    client.force_login(auditor)
    response = client.get(GLOBAL, params)
    assert response.status_code == 200
    assert not response.context["form"].errors


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"date_to": "10000-01-01"}, "date_to", "Enter a valid date."),
    ({"date_from": "2025-13-45"}, "date_from", "Enter a valid date."),
    ({"actor": "abc"}, "actor", "Select a valid choice."),
    ({"actor": "99999999999999999999999"}, "actor", "Select a valid choice."),
    ({"actor": "-1"}, "actor", "Select a valid choice."),
    ({"model": "nope.nothing"}, "model", "Select a valid choice."),
    ({"model": "auth.permission"}, "model", "Select a valid choice."),
])
def test_bad_filters_show_a_form_error(client, auditor, params, field, message):
    client.force_login(auditor)
    response = client.get(GLOBAL, params)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["entries"] == []


@pytest.mark.parametrize(("url", "status"), [
    (_object_url("assessments.agreement", 2**63 - 1), 200),  # the largest bigint: no history yet
    (_object_url("assessments.agreement", 2**63), 404),  # beyond a bigint: no record ever had it
    (_object_url("assessments.agreement", 99999999999999999999999), 404),
    (_object_url("assessments.agreement", 1) + "?page=abc", 200),
])
def test_an_object_page_with_an_impossible_id_answers_without_error(client, auditor, url, status):
    client.force_login(auditor)
    assert client.get(url).status_code == status


@pytest.mark.parametrize("label", ["nope.nothing", "auth.permission", "assessments.agreement_partners", "x"])
def test_an_unknown_or_untracked_record_type_is_not_found(client, auditor, label):
    client.force_login(auditor)
    assert client.get(_object_url(label, 1)).status_code == 404


class TestWithHistory:
    pytestmark = postgres_only

    def test_global_history_shows_actor_and_before_after(self, client, auditor):
        editor = UserFactory(is_superuser=True, is_staff=True, first_name="Eve", last_name="Editor")
        partner = PartnerFactory(name="Old name")
        client.force_login(editor)
        client.post(
            reverse("admin:assessments_partner_change", args=[partner.pk]),
            {"name": "New name", "kind": partner.kind, "country": "NO", "region": partner.region, "notes": ""},
        )
        client.force_login(auditor)

        response = client.get(GLOBAL)

        assert response.status_code == 200
        # Signing in (force_login signs in too) is recorded as well: the partner's entries come next.
        entries = [e for e in response.context["entries"] if e.model_label != "accounts.signin"]
        [latest, created] = entries[:2]
        assert (latest.action, latest.model_label, latest.object_id) == ("update", "assessments.partner", partner.pk)
        assert latest.actor == editor
        # Every save also stamps ``updated_at`` (the API's sync order), as it does an agreement's.
        changes = [(c.label, c.before, c.after) for c in latest.changes if c.column != "updated_at"]
        assert changes == [("Name", "Old name", "New name")]
        assert created.action == "create" and created.actor is None
        html = response.content.decode()
        assert "Eve Editor" in html
        assert "Old name" in html and "New name" in html
        assert f'href="{_object_url("assessments.partner", partner.pk)}"' in html

    def test_object_history_includes_the_records_it_owns(self, client, auditor):
        agreement = AgreementFactory()
        other = AgreementFactory()
        client.force_login(auditor)

        response = client.get(_object_url("assessments.agreement", agreement.pk))

        assert response.status_code == 200
        entries = response.context["entries"]
        assert {(e.model_label, e.action) for e in entries} == {
            ("assessments.agreement", "create"),
            ("assessments.agreement_partners", "create"),
        }
        assert all(e.object_id != other.pk or e.model_label != "assessments.agreement" for e in entries)
        assert str(agreement) in response.content.decode()

    def test_deleted_record_keeps_its_history(self, client, auditor):
        partner = PartnerFactory()
        pk = partner.pk
        partner.delete()
        client.force_login(auditor)

        response = client.get(_object_url("assessments.partner", pk))

        assert [e.action for e in response.context["entries"]] == ["delete", "create"]
        assert "This record has been deleted" in response.content.decode()

    def test_filters_by_record_type_actor_and_date(self, client, auditor):
        editor = UserFactory(is_superuser=True, is_staff=True)
        partner = PartnerFactory()
        AgreementFactory(partners=[partner])
        client.force_login(editor)
        client.post(
            reverse("admin:assessments_partner_change", args=[partner.pk]),
            {"name": "Renamed", "kind": partner.kind, "country": "", "region": partner.region, "notes": ""},
        )
        client.force_login(auditor)
        today = timezone.localdate()

        def labels(**params):
            response = client.get(GLOBAL, params)
            assert response.status_code == 200
            return [(e.model_label, e.action) for e in response.context["entries"]]

        partner_entries = [("assessments.partner", "update"), ("assessments.partner", "create")]
        assert labels(model="assessments.partner") == partner_entries
        # The editor's entries: the change, and signing in before it.
        assert labels(actor=editor.pk) == [("assessments.partner", "update"), ("accounts.signin", "create")]
        assert len(labels(date_from=today.isoformat(), date_to=today.isoformat())) == len(labels())
        assert labels(date_to=(today - dt.timedelta(days=1)).isoformat()) == []

    def test_paging_the_recorded_history_while_partners_are_added(self, client, auditor):
        Partner.objects.bulk_create(
            Partner(name=f"Partner {i:03d}", kind=ac.PartnerKind.STATE, region=ac.Region.EUROPE)
            for i in range(PAGE_SIZE + 5)
        )
        client.force_login(auditor)

        first = client.get(GLOBAL, {"model": "assessments.partner"})
        PartnerFactory(name="Added meanwhile")
        second = client.get(_link(first, "next"))
        back = client.get(_link(second, "prev"))
        top = client.get(_link(back, "prev"))

        assert _names(first) == [f"Partner {i:03d}" for i in range(PAGE_SIZE + 4, 4, -1)]  # newest first
        assert _names(second) == ["Partner 004", "Partner 003", "Partner 002", "Partner 001", "Partner 000"]
        assert _names(back) == _names(first)
        assert _names(top) == ["Added meanwhile"]

    def test_the_widest_date_range_lists_everything(self, client, auditor):
        PartnerFactory()
        client.force_login(auditor)
        everything = client.get(GLOBAL).context["entries"]

        widest = client.get(GLOBAL, {"date_from": "0001-01-01", "date_to": "9999-12-31"}).context["entries"]
        none_yet = client.get(GLOBAL, {"date_from": "9999-12-31"}).context["entries"]

        assert everything and [e.at for e in widest] == [e.at for e in everything]
        assert none_yet == []

    def test_stored_markup_is_escaped(self, client, auditor):
        AgreementFactory(title="<script>alert('x')</script>")
        client.force_login(auditor)

        html = client.get(GLOBAL).content.decode()

        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


# --- Paging by cursor: "Newer" and "Older" links, filters kept, nothing counted --------------------

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _partners(count, *, first_obj_id=1, start=T0, context=None):
    times = [start + dt.timedelta(seconds=i) for i in range(count)]
    events = []
    for i, at in enumerate(times):
        obj_id = first_obj_id + i
        events += record_events(PartnerEvent, [at], first_obj_id=obj_id, context=context, name=f"Partner {obj_id:03d}")
    return events


def _link(response, rel):
    """The href of the page's "Newer" (rel=prev) or "Older" (rel=next) link, or None."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def _names(response):
    return [entry.object_title.split(" · ")[1] for entry in response.context["entries"]]


def test_pages_go_older_and_back_newer_with_the_filters_kept(client, auditor):
    _partners(2 * PAGE_SIZE + 5)
    record_events(RatingEvent, [T0 + dt.timedelta(hours=1)], assessment_id=1)  # filtered out
    client.force_login(auditor)
    filters = {"model": "assessments.partner", "date_from": T0.date().isoformat()}

    first = client.get(GLOBAL, filters)
    assert first.status_code == 200
    assert _link(first, "prev") is None  # the newest page
    older_url = _link(first, "next")
    assert older_url.startswith(GLOBAL + "?") and "model=assessments.partner" in older_url
    assert f"date_from={T0.date().isoformat()}" in older_url

    second = client.get(older_url)
    third = client.get(_link(second, "next"))

    newest = 2 * PAGE_SIZE + 5
    assert _names(first) == [f"Partner {i:03d}" for i in range(newest, newest - PAGE_SIZE, -1)]
    assert _names(second) == [f"Partner {i:03d}" for i in range(newest - PAGE_SIZE, 5, -1)]
    assert _names(third) == [f"Partner {i:03d}" for i in range(5, 0, -1)]
    assert _link(third, "next") is None  # the oldest page
    assert "Newest" in second.content.decode() and "Newest" not in first.content.decode()

    back = client.get(_link(third, "prev"))
    assert _names(back) == _names(second)
    assert _names(client.get(_link(back, "prev"))) == _names(first)
    assert _link(client.get(_link(back, "prev")), "prev") is None


def test_changes_recorded_while_paging_show_up_once_on_the_way_back(client, auditor):
    _partners(PAGE_SIZE + 3)
    client.force_login(auditor)
    params = {"model": "assessments.partner"}

    first = client.get(GLOBAL, params)
    _partners(2, first_obj_id=900, start=T0 + dt.timedelta(hours=1))  # saved meanwhile
    second = client.get(_link(first, "next"))
    back = client.get(_link(second, "prev"))
    top = client.get(_link(back, "prev"))

    assert _names(second) == ["Partner 003", "Partner 002", "Partner 001"]
    assert _names(back) == _names(first)
    assert _names(top) == ["Partner 901", "Partner 900"]
    assert _link(top, "prev") is None


def test_a_page_shows_no_total_and_says_what_it_holds(client, auditor):
    _partners(PAGE_SIZE + 1)
    client.force_login(auditor)

    first = client.get(GLOBAL, {"model": "assessments.partner"}).content.decode()
    second = client.get(_link(client.get(GLOBAL, {"model": "assessments.partner"}), "next"))

    assert f"{PAGE_SIZE} changes on this page, newest first." in first
    assert "1 change on this page, newest first: from" in second.content.decode()
    assert "<title>Audit trail (earlier changes)" in second.content.decode()


def _token(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_CURSORS = [
    {"after": ""},
    {"after": "not-a-cursor"},
    {"before": "%%%"},
    # A NUL character never reaches the page: riskboard.middleware answers 400 first (tests/test_bad_input.py).
    {"after": "A" * 5000},
    {"after": _token("1~audit.nosuchevent~1")},
    {"before": _token(f"{10**20}~audit.partnerevent~1")},
    {"after": _token("1~audit.partnerevent~1"), "before": _token("1~audit.partnerevent~1")},
]


@pytest.mark.parametrize("params", BAD_CURSORS)
@pytest.mark.parametrize("url", [GLOBAL, _object_url("assessments.agreement", 1)])
def test_a_malformed_cursor_is_a_bad_request_with_a_way_back(client, auditor, url, params):
    client.force_login(auditor)

    response = client.get(url, {**params, "model": "assessments.partner"} if url == GLOBAL else params)

    assert response.status_code == 400
    content = response.content.decode()
    assert "This link to a page of the history is not valid" in content
    newest = f"{url}?model=assessments.partner" if url == GLOBAL else url
    assert f'<a href="{html.escape(newest) if url == GLOBAL else newest}">Show the newest changes</a>' in content
    assert response.context["entries"] == []


def test_an_object_history_pages_through_the_rows_it_owns(client, auditor):
    record_events(RatingEvent, [T0 + dt.timedelta(seconds=i) for i in range(PAGE_SIZE + 2)], assessment_id=7)
    record_events(RatingEvent, [T0], first_obj_id=999, assessment_id=8)
    client.force_login(auditor)
    url = _object_url("assessments.assessment", 7)

    first = client.get(url)
    second = client.get(_link(first, "next"))

    assert len(first.context["entries"]) == PAGE_SIZE
    assert [e.object_id for e in second.context["entries"]] == [2, 1]
    assert _link(second, "next") is None
    assert _link(second, "prev").startswith(url + "?before=")


def test_query_count_does_not_grow_with_the_page_or_its_depth(client, auditor, django_assert_max_num_queries):
    editors = [UserFactory() for _ in range(3)]
    for i, editor in enumerate(editors):  # entries by three different people on every page
        context = Context.objects.create(metadata={"user": editor.pk, "url": "/admin/"})
        _partners(PAGE_SIZE, first_obj_id=1 + i * PAGE_SIZE, start=T0 + dt.timedelta(hours=i), context=context)
    client.force_login(auditor)
    partners = {"model": "assessments.partner"}  # (on PostgreSQL the fixtures' own changes are recorded too)
    client.get(GLOBAL, partners)  # the session is warm, as it is after sign-in

    # session, user, grants, navigation role, rows, actors, actor choices
    with django_assert_max_num_queries(7):
        first = client.get(GLOBAL, partners)
    deep_url = _link(client.get(_link(first, "next")), "next")
    with django_assert_max_num_queries(7):
        deep = client.get(deep_url)
    # filtered by actor: two more, the form's check of the chosen user and the actor's contexts
    with django_assert_max_num_queries(9):
        by_actor = client.get(GLOBAL, {**partners, "actor": editors[0].pk})
    # session, user, grants, navigation role, the record's title, rows, actors
    with django_assert_max_num_queries(7):
        client.get(_object_url("assessments.partner", 1))

    assert len(first.context["entries"]) == len(deep.context["entries"]) == PAGE_SIZE
    assert {e.actor for e in first.context["entries"]} == {editors[2]}
    assert {e.actor for e in deep.context["entries"]} == {editors[0]}
    assert len(by_actor.context["entries"]) == PAGE_SIZE and {e.actor for e in by_actor.context["entries"]} == {
        editors[0]
    }
