"""The assessments admin: administrators only; assessments, ratings and transitions read-only;
teams, memberships, partners and agreements written through their services (what a service
refuses shows on the page and changes nothing); agreement edits recompute scores.

The workflow lives in the assessment pages and ``assessments.services`` (optimistic locking, four
eyes, the audit trail), so the admin must not offer a second way to write an assessment.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments.admin import READ_ONLY_NOTE
from assessments.choices import AgreementKind, AgreementStatus, AssessmentStatus, Classification, PartnerKind, Region
from assessments.models import (
    Agreement,
    Assessment,
    AssessmentTransition,
    DirtyAgreement,
    Membership,
    Partner,
    Rating,
    Team,
)
from riskboard.roles import Role
from tests.admin_helpers import form_data, staff_user
from tests.factories import CatalogueFactory, MembershipFactory, PartnerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

WORKFLOW_MODELS = [Assessment, Rating, AssessmentTransition]
EDITABLE_MODELS = [Team, Membership, Partner, Agreement]


def _url(model, view, *args):
    return reverse(f"admin:assessments_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_user():
    return staff_user(Role.ADMINISTRATOR, username="staff-administrator")


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def draft(world):
    return world.draft(rated=True)


@pytest.fixture
def approved(world):
    return world.approved()


def _object_of(model, assessment):
    if model is Assessment:
        return assessment
    return model.objects.filter(assessment=assessment).first()


# --- Who may use it -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "superuser", "status"), [
    (Role.ADMINISTRATOR, False, 200),
    (None, True, 200),
    (Role.MANAGER, False, 403),
    (Role.ANALYST, False, 403),
    (Role.AUDITOR, False, 403),
    (None, False, 403),
])
@pytest.mark.parametrize("model", WORKFLOW_MODELS + EDITABLE_MODELS, ids=lambda m: m.__name__)
def test_only_administrators_may_use_the_assessments_admin(client, world, approved, role, superuser, status, model):
    client.force_login(staff_user(role, superuser=superuser))
    obj = {Team: world.team, Membership: world.analyst.memberships.first(), Partner: PartnerFactory(),
           Agreement: approved.agreement}.get(model) or _object_of(model, approved)

    assert client.get(_url(model, "changelist")).status_code == status
    assert client.get(_url(model, "change", obj.pk)).status_code == status


def test_a_manager_on_the_staff_cannot_list_another_teams_agreements(client, world):
    world.agreement(team=world.other_team, reference="AGR-OTHER")
    client.force_login(staff_user(Role.MANAGER))
    response = client.get(_url(Agreement, "changelist"))
    assert response.status_code == 403
    assert b"AGR-OTHER" not in response.content


# --- Assessments, ratings and transitions are read-only ---------------------------------------------


@pytest.mark.parametrize("model", WORKFLOW_MODELS, ids=lambda m: m.__name__)
def test_nothing_of_the_workflow_can_be_added(client_admin, model):
    assert client_admin.get(_url(model, "add")).status_code == 403


def test_a_rating_cannot_be_added_to_an_approved_assessment(client_admin, world, approved):
    category = CatalogueFactory(name="Another catalogue").categories.first()
    count = approved.ratings.count()

    response = client_admin.post(_url(Rating, "add"), {
        "assessment": approved.pk, "category": category.pk, "inherent_likelihood": "5", "inherent_impact": "5",
        "residual_likelihood": "5", "residual_impact": "5", "confidence": "high", "rationale": "Sneaked in",
    })

    assert response.status_code == 403
    assert approved.ratings.count() == count


@pytest.mark.parametrize("assessment_fixture", ["draft", "approved"])
@pytest.mark.parametrize("model", WORKFLOW_MODELS, ids=lambda m: m.__name__)
def test_nothing_of_the_workflow_can_be_changed_or_deleted(client_admin, request, model, assessment_fixture):
    assessment = request.getfixturevalue(assessment_fixture)
    obj = _object_of(model, assessment)
    version = assessment.version

    assert client_admin.post(_url(model, "change", obj.pk), {"rationale": "Changed"}).status_code == 403
    assert client_admin.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    response = client_admin.post(_url(model, "changelist"), {
        "action": "delete_selected", "_selected_action": [obj.pk], "post": "yes",
    })

    assert response.status_code in (200, 302)  # the action is not offered
    assert model.objects.filter(pk=obj.pk).exists()
    assessment.refresh_from_db()
    assert assessment.version == version


def test_a_drafts_ratings_cannot_be_edited_inline_and_its_authors_stay(client_admin, world, draft):
    rating = draft.ratings.first()
    authors = set(draft.authors.all())
    page = client_admin.get(_url(Assessment, "change", draft.pk))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="ratings-0-rationale"' not in html  # shown, not editable
    assert rating.rationale in html

    response = client_admin.post(_url(Assessment, "change", draft.pk), {
        "ratings-TOTAL_FORMS": "1", "ratings-INITIAL_FORMS": "1", "ratings-0-id": rating.pk,
        "ratings-0-rationale": "Overwritten by the admin", "authors": [],
    })

    assert response.status_code == 403
    rating.refresh_from_db()
    draft.refresh_from_db()
    assert rating.rationale != "Overwritten by the admin"
    assert set(draft.authors.all()) == authors


def test_the_assessment_admin_page_links_to_the_assessment_page_and_says_why_it_is_read_only(client_admin, draft):
    html = client_admin.get(_url(Assessment, "change", draft.pk)).content.decode()
    assert f'href="{reverse("assessments:assessment-detail", args=[draft.pk])}"' in html
    assert READ_ONLY_NOTE in html


@pytest.mark.parametrize("model", WORKFLOW_MODELS, ids=lambda m: m.__name__)
def test_the_lists_say_they_are_read_only_and_offer_no_add_button(client_admin, approved, model):
    html = client_admin.get(_url(model, "changelist")).content.decode()
    assert READ_ONLY_NOTE in html
    assert _url(model, "add") not in html


def test_the_assessment_list_can_still_be_searched_and_filtered(client_admin, world, approved):
    other = world.draft(world.agreement(reference="AGR-DRAFT"))

    by_search = client_admin.get(_url(Assessment, "changelist"), {"q": approved.agreement.reference})
    by_status = client_admin.get(_url(Assessment, "changelist"), {"status__exact": AssessmentStatus.DRAFT})

    assert [a.pk for a in by_search.context["cl"].result_list] == [approved.pk]
    assert [a.pk for a in by_status.context["cl"].result_list] == [other.pk]


# --- Agreements: edits recompute scores -----------------------------------------------------------


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []

    def record(*, agreement_id, status=False, partners=False, team=False):
        calls.extend([("status", agreement_id)] * status + [("partners", agreement_id)] * partners
                     + [("team", agreement_id)] * team)

    monkeypatch.setattr("assessments.hooks.agreement_changed", record)
    return calls


def test_a_status_change_in_the_admin_goes_through_the_service(client_admin, world, approved, hook_calls):
    agreement = approved.agreement
    page = client_admin.get(_url(Agreement, "change", agreement.pk))

    response = client_admin.post(
        _url(Agreement, "change", agreement.pk), form_data(page, status=AgreementStatus.SUSPENDED, title="Renamed")
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.title) == (AgreementStatus.SUSPENDED, "Renamed")
    assert hook_calls == [("status", agreement.pk)]


def test_a_partner_change_in_the_admin_recomputes_the_scores(client_admin, world, approved, hook_calls):
    agreement = approved.agreement
    added = PartnerFactory(name="New partner")
    page = client_admin.get(_url(Agreement, "change", agreement.pk))
    partners = [*agreement.partners.values_list("pk", flat=True), added.pk]

    response = client_admin.post(_url(Agreement, "change", agreement.pk), form_data(page, partners=partners))

    assert response.status_code == 302
    assert added in agreement.partners.all()
    assert hook_calls == [("partners", agreement.pk)]


def test_an_edit_that_changes_neither_recomputes_nothing(client_admin, world, approved, hook_calls):
    agreement = approved.agreement
    page = client_admin.get(_url(Agreement, "change", agreement.pk))

    response = client_admin.post(_url(Agreement, "change", agreement.pk), form_data(page, title="Only the title"))

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "Only the title"
    assert hook_calls == []


@pytest.mark.parametrize("change", ["status", "partners"])
def test_an_admin_edit_marks_the_agreements_scores_dirty(client_admin, world, approved, change):
    agreement = approved.agreement
    DirtyAgreement.objects.all().delete()
    page = client_admin.get(_url(Agreement, "change", agreement.pk))
    changes = {"status": AgreementStatus.TERMINATED} if change == "status" else {"partners": [PartnerFactory().pk]}

    response = client_admin.post(_url(Agreement, "change", agreement.pk), form_data(page, **changes))

    assert response.status_code == 302
    # The mark commits with the change; the recompute is queued on commit (never, in this test).
    assert DirtyAgreement.objects.filter(agreement=agreement).exists()


def test_an_agreement_added_in_the_admin_is_created_by_the_service_with_its_partners(client_admin, world):
    partners = [PartnerFactory(), PartnerFactory()]
    page = client_admin.get(_url(Agreement, "add"))

    response = client_admin.post(_url(Agreement, "add"), form_data(page, **{
        "reference": "AGR-ADMIN", "title": "Added in the admin", "kind": AgreementKind.MOU,
        "classification": Classification.SECRET, "owner_team": world.team.pk, "status": AgreementStatus.ACTIVE,
        "partners": [p.pk for p in partners], "notice_period_days": "30",
    }))

    assert response.status_code == 302
    agreement = Agreement.objects.get(reference="AGR-ADMIN")
    assert set(agreement.partners.all()) == set(partners)
    assert agreement.notice_period_days == 30


# --- Every write goes through its service ---------------------------------------------------------

REFUSAL = "Refused by the service."


def _refuse(monkeypatch, name, error=None):
    def refuse(**kwargs):
        raise error or ValidationError(REFUSAL)

    monkeypatch.setattr(f"assessments.services.{name}", refuse)


def _page_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(m for errors in form.errors.values() for m in errors)


def _new(model, world):
    """A row of ``model`` that may be changed and deleted, and the POST data of a new one."""
    if model is Team:
        return TeamFactory(name="Spare", slug="spare"), {"name": "Maritime", "slug": "maritime"}
    if model is Membership:
        return MembershipFactory(user=UserFactory(), team=world.team), {"user": world.nobody.pk, "role": Role.AUDITOR}
    if model is Partner:
        return PartnerFactory(name="Spare"), {"name": "Northland", "kind": PartnerKind.STATE, "region": Region.EUROPE,
                                              "country": "NO"}
    return world.agreement(reference="AGR-SPARE"), {
        "reference": "AGR-ADMIN", "title": "Added in the admin", "kind": AgreementKind.MOU,
        "classification": Classification.SECRET, "owner_team": world.team.pk, "status": AgreementStatus.ACTIVE,
        "partners": [PartnerFactory().pk], "notice_period_days": "90",
    }


SERVICE_PREFIX = {Team: "team", Membership: "membership", Partner: "partner", Agreement: "agreement"}
CHANGES = {Team: {"name": "Renamed"}, Membership: {"role": Role.MANAGER}, Partner: {"name": "Renamed"},
           Agreement: {"title": "Renamed"}}


def _state(model):
    return sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]))


@pytest.mark.parametrize("model", EDITABLE_MODELS, ids=lambda m: m.__name__)
def test_an_add_in_the_admin_goes_through_the_create_service(client_admin, world, monkeypatch, model):
    _obj, values = _new(model, world)
    page = client_admin.get(_url(model, "add"))
    data = form_data(page, **values)
    before = _state(model)
    _refuse(monkeypatch, f"{SERVICE_PREFIX[model]}_create")

    refused = client_admin.post(_url(model, "add"), data)

    assert REFUSAL in _page_errors(refused)
    assert _state(model) == before
    monkeypatch.undo()  # the same form, without the refusal, is saved
    assert client_admin.post(_url(model, "add"), data).status_code == 302
    assert len(_state(model)) == len(before) + 1


@pytest.mark.parametrize("model", EDITABLE_MODELS, ids=lambda m: m.__name__)
def test_a_change_in_the_admin_goes_through_the_update_service(client_admin, world, monkeypatch, model):
    obj, _values = _new(model, world)
    page = client_admin.get(_url(model, "change", obj.pk))
    data = form_data(page, **CHANGES[model])
    before = _state(model)
    _refuse(monkeypatch, f"{SERVICE_PREFIX[model]}_update")

    refused = client_admin.post(_url(model, "change", obj.pk), data)

    assert REFUSAL in _page_errors(refused)
    assert _state(model) == before
    assert refused.context["adminform"].form[next(iter(CHANGES[model]))].value() == next(iter(CHANGES[model].values()))
    monkeypatch.undo()
    assert client_admin.post(_url(model, "change", obj.pk), data).status_code == 302
    assert _state(model) != before


@pytest.mark.parametrize("bulk", [False, True], ids=["delete page", "delete selected"])
@pytest.mark.parametrize("model", EDITABLE_MODELS, ids=lambda m: m.__name__)
def test_a_delete_in_the_admin_goes_through_the_delete_service(client_admin, world, monkeypatch, model, bulk):
    obj, _values = _new(model, world)
    bulk_data = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    url, data = (_url(model, "changelist"), bulk_data) if bulk else (_url(model, "delete", obj.pk), {"post": "yes"})
    before = _state(model)
    _refuse(monkeypatch, f"{SERVICE_PREFIX[model]}_delete")

    refused = client_admin.post(url, data, follow=True)

    assert refused.status_code == 200
    assert REFUSAL in [str(m) for m in refused.context["messages"]]
    assert "Successfully deleted" not in refused.content.decode()
    assert _state(model) == before
    monkeypatch.undo()
    client_admin.post(url, data)
    assert not model.objects.filter(pk=obj.pk).exists()


def test_a_refusal_of_the_actor_by_a_service_shows_on_the_page_not_as_a_403(client_admin, world, monkeypatch):
    partner = PartnerFactory(name="Kept")
    _refuse(monkeypatch, "partner_delete", PermissionDenied("Your role does not allow you to administer this."))

    response = client_admin.post(_url(Partner, "delete", partner.pk), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert "Your role does not allow you to administer this." in [str(m) for m in response.context["messages"]]
    assert Partner.objects.filter(pk=partner.pk).exists()


@pytest.mark.parametrize("operation", ["create", "update", "delete"])
def test_the_team_pages_membership_rows_go_through_the_membership_services(client_admin, world, monkeypatch,
                                                                          operation):
    page = client_admin.get(_url(Team, "change", world.team.pk))
    [memberships] = [f.formset for f in page.context["inline_admin_formsets"]]
    row = next(f for f in memberships.forms if f.instance.user == world.analyst)
    n = len(memberships.forms)
    data = form_data(page, name="Renamed", **{
        "create": {"memberships-TOTAL_FORMS": str(n + 1), f"memberships-{n}-user": str(world.nobody.pk),
                   f"memberships-{n}-role": Role.ANALYST},
        "update": {row.add_prefix("role"): Role.MANAGER},
        "delete": {row.add_prefix("DELETE"): "on"},
    }[operation])
    before = _state(Membership)
    _refuse(monkeypatch, f"membership_{operation}")

    refused = client_admin.post(_url(Team, "change", world.team.pk), data)

    assert REFUSAL in _page_errors(refused)
    assert _state(Membership) == before
    assert Team.objects.get(pk=world.team.pk).name == "Strategic"  # the team's own change rolled back too
    monkeypatch.undo()
    assert client_admin.post(_url(Team, "change", world.team.pk), data).status_code == 302
    assert _state(Membership) != before


# --- What the services refuse, as the administrator sees it -----------------------------------------


@pytest.mark.parametrize("bulk", [False, True], ids=["delete page", "delete selected"])
def test_a_partner_named_by_agreements_is_not_deleted_and_the_admin_says_why(client_admin, world, bulk):
    partner = PartnerFactory(name="Northland")
    world.agreement(partners=[partner])
    spare = PartnerFactory(name="Aardvark")  # listed, and deleted, first
    url, data = (_url(Partner, "changelist"),
                 {"action": "delete_selected", "_selected_action": [spare.pk, partner.pk], "post": "yes"}) \
        if bulk else (_url(Partner, "delete", partner.pk), {"post": "yes"})

    response = client_admin.post(url, data, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Northland is a party to 1 agreement; remove it from them before deleting it: deleting it would rewrite "
        "their history."
    ]
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert Partner.objects.filter(pk=spare.pk).exists()  # nothing of a refused bulk delete happens
    assert not LogEntry.objects.filter(object_id=str(spare.pk)).exists()  # nor is it logged


def test_a_team_that_owns_agreements_is_not_deleted_and_the_admin_says_why(client_admin, world):
    agreement = world.agreement()

    response = client_admin.post(_url(Team, "delete", world.team.pk), {"post": "yes"})

    # The agreement protects its team: the admin lists it and offers no deletion (the service
    # refuses too, for any other caller).
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert agreement.reference in response.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()


def test_a_membership_without_the_team_its_role_needs_is_refused_on_the_field(client_admin, world):
    page = client_admin.get(_url(Membership, "add"))

    response = client_admin.post(_url(Membership, "add"), form_data(page, user=world.nobody.pk, role=Role.ANALYST))

    assert _page_errors(response) == "Analysts and managers act within a team: choose one."
    assert not world.nobody.memberships.exists()


def test_an_agreement_without_partners_is_refused_on_the_field(client_admin, world, approved):
    agreement = approved.agreement
    page = client_admin.get(_url(Agreement, "change", agreement.pk))

    response = client_admin.post(_url(Agreement, "change", agreement.pk), form_data(page, partners=[]))

    assert "partners" in response.context["adminform"].form.errors
    assert agreement.partners.exists()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"notice_period_days": "99999"}, "notice_period_days", "Choose a notice period from 0 to 3650 days (ten years)."),
    ({"end_date": "9999-12-31"}, "end_date", "Choose a date from 1 January 1900 to 31 December 2200."),
    ({"start_date": "0001-01-01"}, "start_date", "Choose a date from 1 January 1900 to 31 December 2200."),
])
def test_the_agreement_admin_refuses_dates_and_notice_periods_out_of_range(client_admin, world, changes, field,
                                                                           message):
    agreement = world.agreement()
    page = client_admin.get(_url(Agreement, "change", agreement.pk))

    response = client_admin.post(_url(Agreement, "change", agreement.pk), form_data(page, **changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    stored = Agreement.objects.get(pk=agreement.pk)
    assert (stored.start_date, stored.end_date, stored.notice_period_days) == (
        agreement.start_date, agreement.end_date, agreement.notice_period_days)
