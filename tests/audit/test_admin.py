"""The raw event tables in the admin: administrators only, and read-only for them too."""

import pytest
from django.urls import reverse

from audit.selectors import audit_event_models
from riskboard.roles import Role
from tests.admin_helpers import staff_user
from tests.factories import AgreementFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_agreementevent_changelist")


@pytest.mark.parametrize(("role", "superuser", "status"), [
    (Role.ADMINISTRATOR, False, 200),
    (None, True, 200),
    (Role.AUDITOR, False, 403),  # reads the history pages, not the raw tables
    (Role.MANAGER, False, 403),
    (Role.ANALYST, False, 403),
    (None, False, 403),
])
def test_only_administrators_may_browse_the_event_tables(client, role, superuser, status):
    client.force_login(staff_user(role, superuser=superuser))
    assert client.get(CHANGELIST).status_code == status


def test_staff_without_the_role_do_not_see_the_audit_app(client):
    client.force_login(staff_user(Role.AUDITOR))
    assert client.get(reverse("admin:app_list", args=["audit"])).status_code == 404


@pytest.mark.parametrize("event_model", audit_event_models(), ids=lambda m: m.__name__)
def test_no_event_can_be_added(client, event_model):
    client.force_login(staff_user(Role.ADMINISTRATOR))
    opts = event_model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403


@pytest.mark.parametrize("query", ["12", "abc", "99999999999999999999999", "-1"])
def test_searching_by_id_never_fails(client, query):
    AgreementFactory()
    client.force_login(staff_user(Role.ADMINISTRATOR))
    assert client.get(CHANGELIST, {"q": query}).status_code == 200
