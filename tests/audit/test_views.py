"""History pages: who may read them, what they show, filtering, pagination and escaping."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import choices as ac
from assessments.models import Partner
from audit.views import PAGE_SIZE
from tests.audit.conftest import ON_POSTGRES, postgres_only
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


@pytest.mark.parametrize("label", ["assessments.nosuchmodel", "auth.user", "assessments.rating_safeguards"])
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
    {"page": "abc"},
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
    ({"model": "auth.user"}, "model", "Select a valid choice."),
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


@pytest.mark.parametrize("label", ["nope.nothing", "auth.user", "assessments.agreement_partners", "x"])
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
        [latest, created] = response.context["entries"][:2]
        assert (latest.action, latest.model_label, latest.object_id) == ("update", "assessments.partner", partner.pk)
        assert latest.actor == editor
        assert [(c.label, c.before, c.after) for c in latest.changes] == [("Name", "Old name", "New name")]
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
        assert labels(actor=editor.pk) == [("assessments.partner", "update")]
        assert len(labels(date_from=today.isoformat(), date_to=today.isoformat())) == len(labels())
        assert labels(date_to=(today - dt.timedelta(days=1)).isoformat()) == []

    def test_pagination(self, client, auditor):
        Partner.objects.bulk_create(
            Partner(name=f"Partner {i:03d}", kind=ac.PartnerKind.STATE, region=ac.Region.EUROPE)
            for i in range(PAGE_SIZE + 5)
        )
        client.force_login(auditor)

        first = client.get(GLOBAL, {"model": "assessments.partner"})
        second = client.get(GLOBAL, {"model": "assessments.partner", "page": 2})

        assert len(first.context["entries"]) == PAGE_SIZE
        assert len(second.context["entries"]) == 5
        assert "Partner 054" in first.content.decode()  # newest first
        assert "Partner 000" in second.content.decode()
        assert "?model=assessments.partner&amp;page=2" in first.content.decode()  # filters kept
        assert client.get(GLOBAL, {"page": "999"}).status_code == 200  # out of range: last page

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

    def test_query_count_does_not_grow_with_the_page(self, client, auditor, django_assert_max_num_queries):
        for _i in range(3):
            editor = UserFactory(is_superuser=True, is_staff=True)
            client.force_login(editor)
            client.post(reverse("admin:assessments_partner_add"),
                        {"name": f"P{_i}", "kind": "state", "country": "", "region": "europe", "notes": ""})
        AgreementFactory.create_batch(20)
        client.force_login(auditor)

        # session, user, grants, navigation role, count, rows, actors, actor choices
        with django_assert_max_num_queries(8):
            response = client.get(GLOBAL)
        assert len(response.context["entries"]) == PAGE_SIZE
