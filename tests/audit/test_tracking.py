"""Audit: one history entry per change, with the actor and the values before and after.

Including changes that bypass ``save()`` (``QuerySet.update()``, ``bulk_create()``), admin edits
and workflow transitions. Needs PostgreSQL: the trail is written by triggers.
"""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from assessments import choices as ac
from assessments.models import Agreement, Partner, Rating
from assessments.services import assessment_approve, assessment_submit
from audit.context import audit_actor
from audit.models import (
    AgreementEvent,
    AssessmentAuthorEvent,
    AssessmentEvent,
    AssessmentTransitionEvent,
    PartnerEvent,
    RatingEvent,
    TeamEvent,
)
from tests.audit.conftest import postgres_only
from tests.factories import (
    AgreementFactory,
    AssessmentFactory,
    CatalogueFactory,
    MembershipFactory,
    PartnerFactory,
    RatingFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [*postgres_only, pytest.mark.django_db]


def _events(event_model, obj, label=None):
    events = event_model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id")
    return list(events.filter(pgh_label=label) if label else events)


def test_create_update_delete_of_an_agreement_record_one_entry_each_with_before_and_after():
    agreement = AgreementFactory(title="Original title")
    [created] = _events(AgreementEvent, agreement)
    assert created.pgh_label == "create"
    assert created.pgh_before is None
    assert created.pgh_after["title"] == "Original title"

    agreement.title = "New title"
    agreement.save()
    [updated] = _events(AgreementEvent, agreement, "update")
    assert (updated.pgh_before["title"], updated.pgh_after["title"]) == ("Original title", "New title")

    agreement.partners.clear()
    agreement_id = agreement.pk
    agreement.delete()
    [deleted] = AgreementEvent.objects.filter(pgh_obj_id=agreement_id, pgh_label="delete")
    assert deleted.pgh_before["title"] == "New title"
    assert deleted.pgh_after is None
    assert AgreementEvent.objects.filter(pgh_obj_id=agreement_id).count() == 3


def test_saving_without_a_change_records_nothing():
    # A team: it has no auto-updated timestamp, so a save that changes nothing changes no column.
    team = TeamFactory()
    team.save()
    assert [e.pgh_label for e in _events(TeamEvent, team)] == ["create"]


def test_queryset_update_records_one_entry_per_row():
    catalogue = CatalogueFactory()
    assessment = AssessmentFactory(catalogue=catalogue)
    ratings = [RatingFactory(assessment=assessment, category=category) for category in catalogue.categories.all()]
    assert len(ratings) == 3

    updated = Rating.objects.filter(assessment=assessment).update(confidence=ac.Confidence.HIGH)

    assert updated == 3
    events = RatingEvent.objects.filter(pgh_label="update").order_by("pgh_obj_id")
    assert [e.pgh_obj_id for e in events] == sorted(r.pk for r in ratings)
    assert {(e.pgh_before["confidence"], e.pgh_after["confidence"]) for e in events} == {("medium", "high")}


def test_bulk_create_records_one_entry_per_row():
    partners = Partner.objects.bulk_create(
        Partner(name=f"Bulk partner {i}", kind=ac.PartnerKind.AGENCY, region=ac.Region.EUROPE) for i in range(4)
    )
    assert PartnerEvent.objects.filter(pgh_label="create", pgh_obj_id__in=[p.pk for p in partners]).count() == 4


def test_admin_edit_records_the_actor_and_the_url(client):
    admin_user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    partner = PartnerFactory(name="Before", notes="")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:assessments_partner_change", args=[partner.pk]),
        {"name": "After", "kind": partner.kind, "country": "NO", "region": partner.region, "notes": "Edited"},
    )

    assert response.status_code == 302, response.content[:2000]
    [event] = _events(PartnerEvent, partner, "update")
    assert (event.pgh_before["name"], event.pgh_after["name"]) == ("Before", "After")
    assert event.pgh_context.metadata["user"] == admin_user.pk
    assert event.pgh_context.metadata["url"] == reverse("admin:assessments_partner_change", args=[partner.pk])


def test_transitions_through_the_services_record_the_actor():
    catalogue = CatalogueFactory()
    analyst = MembershipFactory(role=ac.Role.ANALYST).user
    agreement = AgreementFactory(owner_team=analyst.memberships.get().team)
    manager = MembershipFactory(role=ac.Role.MANAGER, team=agreement.owner_team).user
    assessment = AssessmentFactory(agreement=agreement, catalogue=catalogue)
    for category in catalogue.categories.all():
        RatingFactory(assessment=assessment, category=category)

    with audit_actor(actor=analyst, command="test"):
        assessment_submit(assessment=assessment, actor=analyst)
    with audit_actor(actor=manager):
        assessment_approve(assessment=assessment, actor=manager, comment="Fine")

    status_changes = [
        (e.pgh_before["status"], e.pgh_after["status"], e.pgh_context.metadata["user"])
        for e in _events(AssessmentEvent, assessment, "update")
        if e.pgh_before["status"] != e.pgh_after["status"]
    ]
    assert status_changes == [("draft", "submitted", analyst.pk), ("submitted", "approved", manager.pk)]
    transitions = AssessmentTransitionEvent.objects.filter(pgh_after__assessment_id=assessment.pk).order_by("pgh_id")
    assert [(e.pgh_after["action"], e.pgh_context.metadata["user"]) for e in transitions] == [
        ("submit", analyst.pk), ("approve", manager.pk),
    ]
    [author] = AssessmentAuthorEvent.objects.filter(pgh_after__assessment_id=assessment.pk)
    assert author.pgh_context.metadata == {"user": analyst.pk, "command": "test"}


def test_changes_outside_any_context_have_no_actor():
    partner = PartnerFactory()
    [event] = _events(PartnerEvent, partner)
    assert event.pgh_context is None


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_agreementevent SET pgh_label = 'tampered'", "DELETE FROM audit_agreementevent"],
)
def test_history_cannot_be_changed_or_deleted_in_the_database(sql):
    AgreementFactory()
    assert AgreementEvent.objects.exists()

    with (
        pytest.raises(DatabaseError, match="Cannot update or delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert not AgreementEvent.objects.filter(pgh_label="tampered").exists()


def test_history_cannot_be_changed_or_deleted_through_the_orm():
    AgreementFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        AgreementEvent.objects.update(pgh_label="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AgreementEvent.objects.all().delete()
    assert AgreementEvent.objects.count() == 1


def test_history_is_read_only_in_the_admin(client):
    AgreementFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    event = AgreementEvent.objects.get()
    change = reverse("admin:audit_agreementevent_change", args=[event.pk])

    assert client.get(change).status_code == 200  # shown, read-only
    assert client.post(change, {"pgh_label": "tampered"}).status_code == 403
    delete = reverse("admin:audit_agreementevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AgreementEvent.objects.get(pk=event.pk).pgh_label == "create"


def test_every_tracked_table_has_its_triggers_installed():
    from audit.selectors import audit_event_models

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger"
            " WHERE tgname LIKE 'pgtrigger_%%' AND NOT tgisinternal"
        )
        installed = {(table, name.rsplit("_", 1)[0]) for table, name in cursor.fetchall()}
    for event_model in audit_event_models():
        table = event_model.pgh_tracked_model._meta.db_table
        for trigger in ("pgtrigger_audit_create", "pgtrigger_audit_update", "pgtrigger_audit_delete"):
            assert (table, trigger) in installed
        assert (event_model._meta.db_table, "pgtrigger_append_only") in installed


def test_agreement_is_found_by_its_history_even_after_it_was_deleted():
    agreement = AgreementFactory()
    pk = agreement.pk
    agreement.partners.clear()
    Agreement.objects.filter(pk=pk).delete()
    assert [e.pgh_label for e in AgreementEvent.objects.filter(pgh_obj_id=pk).order_by("pgh_id")] == [
        "create", "delete",
    ]
