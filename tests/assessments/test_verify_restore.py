"""manage.py verify_restore: a restored database whose stored scores or audit trail were changed is
reported, with a non-zero exit; an intact one passes. Nothing is written."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from assessments.aggregation import scores_full_recompute
from assessments.models import AgreementScore
from audit.models import AgreementEvent
from tests.audit.conftest import ON_POSTGRES, postgres_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(world):
    approved = [world.approved(), world.approved()]
    scores_full_recompute()
    return approved


def _verify(*args) -> str:
    out = StringIO()
    call_command("verify_restore", *args, stdout=out)
    return out.getvalue()


def _audit_args():
    return [] if ON_POSTGRES else ["--skip-audit"]


def test_an_intact_database_is_verified(portfolio):
    output = _verify(*_audit_args())
    assert "OK: every stored score equals its recomputation" in output
    assert "2 agreements" in output
    assert "Restore verified." in output


def test_a_tampered_stored_score_is_reported_and_fails(portfolio):
    agreement_id = portfolio[0].agreement_id
    AgreementScore.objects.filter(agreement_id=agreement_id).update(score_c=F("score_c") + 1)
    before = list(AgreementScore.objects.order_by("pk").values_list("pk", "score_c"))
    out = StringIO()
    with pytest.raises(CommandError, match="Restore NOT verified: 1 stored scores differ"):
        call_command("verify_restore", *_audit_args(), stdout=out)
    assert f"DIFFERS agreement {agreement_id}:" in out.getvalue()
    # The comparison wrote nothing: the tampered value is still there.
    assert list(AgreementScore.objects.order_by("pk").values_list("pk", "score_c")) == before


def test_a_missing_stored_score_is_reported(portfolio):
    AgreementScore.objects.filter(agreement_id=portfolio[1].agreement_id).delete()
    with pytest.raises(CommandError, match="differ"):
        _verify(*_audit_args())


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason=postgres_only[1].kwargs["reason"])
def test_a_disabled_audit_trigger_is_reported(portfolio):
    table = AgreementEvent.pgh_tracked_model._meta.db_table
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    out = StringIO()
    with pytest.raises(CommandError, match="problems with the audit trail"):
        call_command("verify_restore", stdout=out)
    assert f"on {table}: disabled" in out.getvalue()


@pytest.mark.skipif(ON_POSTGRES, reason="what the check says of SQLite")
def test_on_sqlite_the_audit_check_says_it_needs_postgresql(portfolio):
    with pytest.raises(CommandError, match="problems with the audit trail"):
        _verify()
