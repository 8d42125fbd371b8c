"""The audit app on any database: on SQLite nothing is recorded, and nothing breaks either."""

import pytest
from django.urls import reverse

from assessments.models import Partner
from audit.context import audit_actor
from tests.factories import AgreementFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def test_admin_edit_goes_through_the_history_middleware(client, superuser):
    partner = PartnerFactory(name="Before")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:assessments_partner_change", args=[partner.pk]),
        {"name": "After", "kind": partner.kind, "country": "", "region": partner.region, "notes": ""},
    )

    assert response.status_code == 302
    assert Partner.objects.get(pk=partner.pk).name == "After"


def test_writes_inside_audit_actor_work(superuser):
    with audit_actor(actor=superuser, command="test"):
        partner = PartnerFactory()
        partner.name = "Renamed"
        partner.save()
    assert Partner.objects.get(pk=partner.pk).name == "Renamed"


def test_history_is_listed_in_the_admin_but_cannot_be_added(client, superuser):
    AgreementFactory()
    client.force_login(superuser)
    changelist = reverse("admin:audit_agreementevent_changelist")

    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:audit_agreementevent_add")).status_code == 403
