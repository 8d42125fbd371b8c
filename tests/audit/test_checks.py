"""Production settings refuse a database whose audit trail is not protected by its triggers."""

import pgtrigger
import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings

from audit.models import AgreementEvent
from tests.audit.conftest import ON_POSTGRES, postgres_only

pytestmark = pytest.mark.django_db


def _audit_errors():
    return [m for m in checks.run_checks(databases=["default"], tags=[checks.Tags.database]) if m.id == "audit.E001"]


@override_settings(RISKBOARD_PRODUCTION=True)
@pytest.mark.skipif(ON_POSTGRES, reason="what production says of an SQLite database")
def test_production_refuses_sqlite():
    [error] = _audit_errors()
    assert error.level == checks.ERROR
    assert "sqlite" in error.msg and "PostgreSQL is required" in error.msg
    with pytest.raises(SystemCheckError, match=r"audit\.E001"):
        call_command("check", "--database", "default")


@pytest.mark.skipif(ON_POSTGRES, reason="development on SQLite")
def test_development_settings_do_not_ask_for_triggers():
    assert _audit_errors() == []


@override_settings(RISKBOARD_PRODUCTION=True)
@postgres_only[0]
@postgres_only[1]
def test_production_accepts_a_database_with_every_trigger_in_place():
    assert _audit_errors() == []


@override_settings(RISKBOARD_PRODUCTION=True)
@postgres_only[0]
@postgres_only[1]
def test_production_refuses_a_database_with_a_disabled_or_missing_trigger():
    table = AgreementEvent.pgh_tracked_model._meta.db_table
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    [error] = _audit_errors()
    assert f"on {table}: disabled" in error.msg

    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
    [(model, trigger)] = [(m, t) for m, t in pgtrigger.registered() if m is AgreementEvent.pgh_tracked_model
                          and t.name == "audit_delete"]
    trigger.uninstall(model)
    [error] = _audit_errors()
    assert f"{trigger.get_pgid(model)} on {table}: uninstalled" in error.msg
    with pytest.raises(SystemCheckError, match="The audit trail is not protected"):
        call_command("check", "--database", "default")
