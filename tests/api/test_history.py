"""``<object>/history/``: the audit trail of one object, for administrators and auditors."""

import pytest
from django.conf import settings

from assessments import services

pytestmark = pytest.mark.django_db
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the audit trail is recorded by PostgreSQL triggers")
def test_an_auditor_pages_through_an_assessments_history_newest_first(api, world, tokens):
    from audit.context import audit_actor

    with audit_actor(actor=world.analyst):
        draft = world.draft(rated=True)
        services.assessment_submit(assessment=draft, actor=world.analyst)
    client = api.with_key(tokens["read_auditor"])
    entries, url = [], f"/api/v1/assessments/{draft.pk}/history/?page_size=3"
    while url:
        body = client.get(url).json()
        assert body["recorded"] is True
        entries += body["results"]
        url = body["next"]
    assert len(entries) > 3  # more than one page
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert entries[-1]["action"] == "create" and entries[-1]["model"] == "assessments.assessment"
    assert {e["actor"] for e in entries} == {"analyst"}
    status_changes = [c for e in entries for c in e["changes"] if c["field"] == "status"]
    assert status_changes[0]["after"] == "Submitted"


def test_without_a_recorded_trail_the_history_says_so(api, world, tokens):
    agreement = world.agreement()
    body = api.with_key(tokens["read_auditor"]).get(f"/api/v1/agreements/{agreement.pk}/history/").json()
    assert body["recorded"] is ON_POSTGRES
    assert body["next"] is None


def test_a_bad_history_cursor_is_a_400(api, world, tokens):
    agreement = world.agreement()
    response = api.with_key(tokens["read_auditor"]).get(f"/api/v1/agreements/{agreement.pk}/history/?cursor=-")
    assert response.status_code == 400 and "cursor" in response.json()["fields"]
