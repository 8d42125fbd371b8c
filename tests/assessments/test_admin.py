"""The assessments admin: administrators only; assessments, ratings and transitions read-only;
agreement edits recompute scores.

The workflow lives in the assessment pages and ``assessments.services`` (optimistic locking, four
eyes, the audit trail), so the admin must not offer a second way to write an assessment.
"""

import pytest
from django.urls import reverse

from assessments.admin import READ_ONLY_NOTE
from assessments.choices import AgreementStatus, AssessmentStatus, Role
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
from tests.admin_helpers import form_data, staff_user
from tests.factories import CatalogueFactory, PartnerFactory

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


# --- Agreements: editable, and edits recompute scores ----------------------------------------------


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []
    monkeypatch.setattr("assessments.hooks.agreement_status_changed",
                        lambda **kw: calls.append(("status", kw["agreement_id"])))
    monkeypatch.setattr("assessments.hooks.agreement_partners_changed",
                        lambda **kw: calls.append(("partners", kw["agreement_id"])))
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
