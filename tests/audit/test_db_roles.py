"""As the runtime role (the web's and workers' database role), the audit trail cannot be changed or
erased, whatever the session does, while the application's own writes go through.

Needs PostgreSQL. The test creates a role (cluster-wide, so named per run and dropped afterwards),
grants it its rights with ``manage.py db_roles_grant`` and reconnects Django as that role.
"""

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from assessments.aggregation import scores_full_recompute
from assessments.models import Agreement, AgreementScore
from assessments.services import assessment_start
from audit.context import audit_actor
from audit.models import AgreementEvent, AssessmentEvent, SignInEvent
from tests.audit.conftest import RUNTIME_ROLE, connected_as, execute_sql, postgres_only

pytestmark = [*postgres_only, pytest.mark.django_db(transaction=True)]

def _refused(sql: str) -> str:
    """The error PostgreSQL gives ``sql``, in its own transaction; fails the test if it succeeds."""
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        execute_sql(sql)
    return str(error.value)


@pytest.fixture
def database_closed_to_public():
    """The database as deploy/postgres-init.sh leaves it: no CONNECT or TEMPORARY for PUBLIC."""
    database = connection.settings_dict["NAME"]
    execute_sql(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
    yield
    execute_sql(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO PUBLIC')


def test_the_runtime_role_cannot_change_or_erase_the_audit_trail_but_the_application_works(
    world, runtime_role, database_closed_to_public
):
    agreement = world.agreement()
    call_command("db_roles_grant", runtime_role=runtime_role)
    events = AgreementEvent._meta.db_table
    before = AgreementEvent.objects.filter(pgh_obj_id=agreement.pk).count()
    assert before >= 1

    with connected_as(runtime_role):
        execute_sql("SELECT current_user")
        assert connection.cursor().connection.info.user == runtime_role
        assert "permission denied" in _refused(f"UPDATE {events} SET pgh_label = 'forged'")  # noqa: S608 (table names from model metadata)
        assert "permission denied" in _refused(f"DELETE FROM {events}")  # noqa: S608
        assert "permission denied" in _refused(f"TRUNCATE {events}")
        # Switching the append-only guard off for the session, as pgtrigger.ignore() does, changes nothing.
        guards = [f"{AgreementEvent._meta.label}:{t.name}" for m, t in pgtrigger.registered() if m is AgreementEvent]
        assert guards, "the event table has no append-only trigger to ignore"
        pgids = ",".join(f"{events}:{t.get_pgid(m)}" for m, t in pgtrigger.registered() if m is AgreementEvent)
        assert "permission denied" in _refused(
            f"SELECT set_config('pgtrigger.ignore', '{{{pgids}}}', false); DELETE FROM {events}"  # noqa: S608
        )
        with pgtrigger.ignore(*guards), pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AgreementEvent.objects.all().delete()
        # No ownership: the triggers cannot be disabled or dropped.
        tracked = Agreement._meta.db_table
        assert "must be owner" in _refused(f"ALTER TABLE {tracked} DISABLE TRIGGER ALL")
        assert "must be owner" in _refused(f"ALTER TABLE {events} DISABLE TRIGGER ALL")
        assert "must be owner" in _refused(f"DROP TABLE {events}")
        assert "permission denied" in _refused("CREATE TABLE forged (id int)")

        # The application's own writes, through a service, with the actor recorded.
        with audit_actor(actor=world.analyst):
            assessment = assessment_start(agreement=agreement, actor=world.analyst)
        agreement.title = "Renamed by the runtime role"
        agreement.save()
        # The worker's heaviest job: the nightly full recompute (temporary staging tables).
        approved = world.approved()
        AgreementScore.objects.filter(agreement_id=approved.agreement_id).delete()
        result = scores_full_recompute()
        assert result.rows["agreements"] == 1 and result.rows["snapshots"] >= 1
        assert AgreementScore.objects.filter(agreement_id=approved.agreement_id).exists()
        assert AssessmentEvent.objects.filter(pgh_obj_id=assessment.pk, pgh_label="create").exists()
        assert AgreementEvent.objects.filter(pgh_obj_id=agreement.pk).count() == before + 1

    # The owner sees the trail whole; and it is privileges, not the trigger, that stopped the runtime
    # role: for the owner, pgtrigger.ignore() does switch the guard off.
    with transaction.atomic():
        with pgtrigger.ignore(*guards):
            assert AgreementEvent.objects.filter(pgh_obj_id=agreement.pk).delete()[0] > 0
        transaction.set_rollback(True)
    assert AgreementEvent.objects.filter(pgh_obj_id=agreement.pk).count() == before + 1
    [created] = AssessmentEvent.objects.filter(pgh_obj_id=assessment.pk, pgh_label="create")
    assert created.pgh_context.metadata["user"] == world.analyst.pk


def test_signing_in_works_as_the_runtime_role(client, world, runtime_role):
    call_command("db_roles_grant", runtime_role=runtime_role)
    with connected_as(runtime_role):
        response = client.post("/accounts/login/", {"username": "analyst", "password": "correct-horse-battery"})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(world.analyst.pk)
    assert SignInEvent.objects.filter(pgh_after__username="analyst", pgh_after__outcome="signed_in").exists()


def test_the_grant_is_refused_for_a_role_that_could_undo_it(runtime_role):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("db_roles_grant", runtime_role="no_such_role_anywhere")
    owner = connection.settings_dict["USER"]
    with pytest.raises(CommandError, match=r"must not be the owner|superuser"):
        call_command("db_roles_grant", runtime_role=owner)
    execute_sql(f"GRANT {owner} TO {RUNTIME_ROLE}")
    try:
        with pytest.raises(CommandError, match="member of the owner role"):
            call_command("db_roles_grant", runtime_role=runtime_role)
    finally:
        execute_sql(f"REVOKE {owner} FROM {RUNTIME_ROLE}")
