"""Services for teams, memberships, partners and agreements: who may call them, what they refuse,
and which changes mark an agreement's scores for recomputation."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import services
from assessments.choices import AgreementKind, AgreementStatus, Classification, PartnerKind, Region
from assessments.models import Agreement, DirtyAgreement, Membership, Partner, Team
from riskboard.roles import Role
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

NOT_ADMINISTRATORS = ["analyst", "manager", "auditor", "nobody"]


def _agreement_values(world, **changes):
    return {
        "reference": "AGR-NEW", "title": "A new agreement", "kind": AgreementKind.MOU,
        "classification": Classification.SECRET, "owner_team": world.team, "partners": [PartnerFactory()],
        **changes,
    }


# --- Teams and memberships ----------------------------------------------------------------------


def test_an_administrator_creates_renames_and_deletes_a_team(world):
    team = services.team_create(actor=world.administrator, name="Maritime", slug="maritime")
    services.team_update(team=team, actor=world.administrator, name="Maritime security")
    assert Team.objects.get(slug="maritime").name == "Maritime security"

    services.team_delete(team=team, actor=world.administrator)
    assert not Team.objects.filter(slug="maritime").exists()


@pytest.mark.parametrize("who", NOT_ADMINISTRATORS)
def test_only_administrators_may_change_teams_memberships_and_partners(world, who):
    actor, partner = getattr(world, who), PartnerFactory(name="Kept")
    membership = world.analyst.memberships.get()
    writes = [
        lambda: services.team_create(actor=actor, name="Sneaky", slug="sneaky"),
        lambda: services.team_update(team=world.team, actor=actor, name="Renamed"),
        lambda: services.team_delete(team=world.other_team, actor=actor),
        lambda: services.membership_create(actor=actor, user=world.nobody, role=Role.MANAGER, team=world.team),
        lambda: services.membership_update(membership=membership, actor=actor, role=Role.MANAGER),
        lambda: services.membership_delete(membership=membership, actor=actor),
        lambda: services.partner_create(actor=actor, name="Sneaky", kind=PartnerKind.STATE, region=Region.EUROPE),
        lambda: services.partner_update(partner=partner, actor=actor, name="Renamed"),
        lambda: services.partner_delete(partner=partner, actor=actor),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied):
            write()

    assert not Team.objects.filter(slug="sneaky").exists()
    assert Team.objects.get(pk=world.team.pk).name == "Strategic"
    assert Team.objects.filter(pk=world.other_team.pk).exists()
    assert not world.nobody.memberships.exists()
    assert Membership.objects.get(pk=membership.pk).role == Role.ANALYST
    assert Partner.objects.get(pk=partner.pk).name == "Kept"
    assert not Partner.objects.filter(name="Sneaky").exists()


def test_a_team_that_owns_agreements_cannot_be_deleted(world):
    world.agreement()
    world.agreement()

    with pytest.raises(ValidationError, match="owns 2 agreements; give them to another team"):
        services.team_delete(team=world.team, actor=world.administrator)

    assert Team.objects.filter(pk=world.team.pk).exists()
    assert world.analyst.memberships.filter(team=world.team).exists()


def test_an_analyst_or_manager_needs_a_team(world):
    with pytest.raises(ValidationError) as excinfo:
        services.membership_create(actor=world.administrator, user=world.nobody, role=Role.MANAGER)

    assert excinfo.value.messages == ["Analysts and managers act within a team: choose one."]
    assert not world.nobody.memberships.exists()


def test_memberships_are_created_changed_and_removed(world):
    membership = services.membership_create(actor=world.administrator, user=world.nobody, role=Role.AUDITOR)
    assert membership.team is None

    services.membership_update(membership=membership, actor=world.administrator, role=Role.ANALYST, team=world.team)
    assert Membership.objects.get(pk=membership.pk).team == world.team

    with pytest.raises(ValidationError):  # one membership per user and team
        services.membership_create(actor=world.administrator, user=world.nobody, role=Role.MANAGER, team=world.team)

    services.membership_delete(membership=membership, actor=world.administrator)
    assert not world.nobody.memberships.exists()


def test_an_update_starts_from_the_stored_row_not_the_callers_copy(world):
    stale = Team.objects.get(pk=world.team.pk)
    stale.description = "Typed but never saved"

    services.team_update(team=stale, actor=world.administrator, name="Renamed")

    stored = Team.objects.get(pk=world.team.pk)
    assert (stored.name, stored.description) == ("Renamed", "")
    assert (stale.name, stale.description) == ("Renamed", "")  # the caller's copy is refreshed


def test_a_service_refuses_a_field_it_does_not_own(world):
    with pytest.raises(TypeError, match="id"):
        services.partner_update(partner=PartnerFactory(), actor=world.administrator, id=99)


# --- Partners -----------------------------------------------------------------------------------


def test_an_administrator_creates_and_changes_a_partner(world):
    partner = services.partner_create(
        actor=world.administrator, name="Northland", kind=PartnerKind.STATE, region=Region.EUROPE, country="NO"
    )
    services.partner_update(partner=partner, actor=world.administrator, region=Region.GLOBAL, notes="Moved.")

    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.name, stored.region, stored.notes) == ("Northland", Region.GLOBAL, "Moved.")


def test_a_partner_is_validated(world):
    with pytest.raises(ValidationError) as excinfo:
        services.partner_create(actor=world.administrator, name="Atlantis", kind="myth", region=Region.EUROPE)

    assert "kind" in excinfo.value.message_dict
    assert not Partner.objects.filter(name="Atlantis").exists()


def test_a_partner_named_by_agreements_cannot_be_deleted(world):
    partner = PartnerFactory(name="Northland")
    world.agreement(partners=[partner])
    world.agreement(team=world.other_team, partners=[partner, PartnerFactory()])

    with pytest.raises(ValidationError) as excinfo:
        services.partner_delete(partner=partner, actor=world.administrator)

    assert excinfo.value.messages == [
        "Northland is a party to 2 agreements; remove it from them before deleting it: deleting it would rewrite "
        "their history."
    ]
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert Agreement.objects.filter(partners=partner).count() == 2


def test_a_partner_no_agreement_names_can_be_deleted(world):
    partner = PartnerFactory()

    services.partner_delete(partner=partner, actor=world.administrator)

    assert not Partner.objects.filter(pk=partner.pk).exists()


# --- Agreements ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["analyst", "manager", "administrator"])
def test_an_agreement_is_created_by_whoever_edits_its_team(world, who):
    agreement = services.agreement_create(actor=getattr(world, who), **_agreement_values(world))

    assert agreement.status == AgreementStatus.PROPOSED
    assert agreement.partners.count() == 1
    assert not DirtyAgreement.objects.exists()  # no assessment yet, nothing to recompute


@pytest.mark.parametrize("who", ["other_analyst", "other_manager", "auditor", "nobody"])
def test_an_agreement_cannot_be_created_for_another_team(world, who):
    with pytest.raises(PermissionDenied):
        services.agreement_create(actor=getattr(world, who), **_agreement_values(world))

    assert not Agreement.objects.filter(reference="AGR-NEW").exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"partners": []}, "partners"),
    ({"end_date": dt.date(2020, 1, 1), "start_date": dt.date(2021, 1, 1)}, "__all__"),
    ({"status": "paused"}, "status"),
    ({"reference": ""}, "reference"),
])
def test_an_invalid_agreement_is_refused_on_its_field(world, changes, field):
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_create(actor=world.analyst, **_agreement_values(world, **changes))

    assert field in excinfo.value.message_dict
    assert not Agreement.objects.filter(reference="AGR-NEW").exists()


def test_fields_partners_and_status_change_in_one_call_marking_the_scores_once(world):
    agreement = world.agreement()
    partner = PartnerFactory()

    services.agreement_update(
        agreement=agreement, actor=world.analyst, partners=[partner], status=AgreementStatus.SUSPENDED,
        title="Renamed",
    )

    assert (agreement.title, agreement.status) == ("Renamed", AgreementStatus.SUSPENDED)
    assert list(agreement.partners.all()) == [partner]
    mark = DirtyAgreement.objects.get(agreement=agreement)
    assert (mark.generation, mark.reason) == (1, "status,partners")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"status": AgreementStatus.TERMINATED}, "status"),
    ({"partners": "another"}, "partners"),
    ({"title": "Only the title", "description": "And the description"}, None),
    ({"partners": "the same"}, None),
    ({"status": AgreementStatus.ACTIVE}, None),  # unchanged
])
def test_the_scores_are_marked_exactly_when_status_or_partners_change(world, changes, reason):
    agreement = world.agreement()
    partners = {"another": [PartnerFactory()], "the same": list(agreement.partners.all())}
    if "partners" in changes:
        changes = {**changes, "partners": partners[changes["partners"]]}

    services.agreement_update(agreement=agreement, actor=world.manager, **changes)

    marks = list(DirtyAgreement.objects.filter(agreement=agreement).values_list("reason", flat=True))
    assert marks == ([reason] if reason else [])


def test_a_refused_update_changes_nothing_and_marks_nothing(world):
    agreement = world.agreement()
    partners = list(agreement.partners.all())

    with pytest.raises(ValidationError):
        services.agreement_update(
            agreement=agreement, actor=world.analyst, status=AgreementStatus.SUSPENDED, partners=[PartnerFactory()],
            end_date=dt.date(2000, 1, 1),
        )

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert list(agreement.partners.all()) == partners
    assert not DirtyAgreement.objects.exists()


def test_moving_an_agreement_to_another_team_needs_both_teams(world):
    agreement = world.agreement()

    with pytest.raises(PermissionDenied):
        services.agreement_update(agreement=agreement, actor=world.analyst, owner_team=world.other_team)
    assert Agreement.objects.get(pk=agreement.pk).owner_team == world.team

    services.agreement_update(agreement=agreement, actor=world.administrator, owner_team=world.other_team)
    assert Agreement.objects.get(pk=agreement.pk).owner_team == world.other_team
    # Its scores move to the other team's tallies: marked with the change, in its transaction.
    assert DirtyAgreement.objects.get(agreement=agreement).reason == "team"


def test_an_agreement_of_another_team_cannot_be_changed(world):
    agreement = world.agreement()

    with pytest.raises(PermissionDenied):
        services.agreement_update(agreement=agreement, actor=world.other_manager, title="Renamed")

    assert Agreement.objects.get(pk=agreement.pk).title != "Renamed"


def test_set_status_is_an_update_of_the_status(world):
    agreement = world.agreement()

    services.agreement_set_status(agreement=agreement, actor=world.analyst, status=AgreementStatus.SUSPENDED)

    assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.SUSPENDED
    assert DirtyAgreement.objects.get(agreement=agreement).reason == "status"


def test_an_assessed_agreement_cannot_be_deleted(world):
    assessed = world.draft().agreement

    with pytest.raises(ValidationError, match="has 1 assessment; an assessed agreement stays"):
        services.agreement_delete(agreement=assessed, actor=world.administrator)

    assert Agreement.objects.filter(pk=assessed.pk).exists()


def test_only_an_administrator_deletes_an_unassessed_agreement(world):
    agreement = world.agreement()

    with pytest.raises(PermissionDenied):
        services.agreement_delete(agreement=agreement, actor=world.manager)
    services.agreement_delete(agreement=agreement, actor=world.administrator)

    assert not Agreement.objects.filter(pk=agreement.pk).exists()

