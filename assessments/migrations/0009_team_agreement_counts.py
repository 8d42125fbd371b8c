"""Each team's number of agreements, kept by triggers on the agreements table, so that the list of
every agreement a user may see says how many there are without counting them (issue 12: the
list's "of N" read every agreement of the team, and grew with the portfolio).

The triggers append a row per change (+n, -n), never update one: transactions creating
agreements in the same team never wait for each other's commit. A team's number is the sum of
its rows; the worker compacts them (``services.agreement_counts_compact``).

PostgreSQL: statement-level triggers on insert and delete (a bulk load appends one row per team
and statement), and a row-level trigger on an update that moves an agreement to another team
(the only update that changes a number; no other update fires it). SQLite (the development
database): row-level triggers for the same three changes. The rows are filled from the
agreements that exist when the triggers are in place, in the same transaction.

SQLite rebuilds a table to alter it, which drops its triggers: a later migration that alters
``assessments_agreement`` must create them again (``tests/assessments/test_agreement_counts.py``
checks they exist and count right after every migration has run).
"""

# SQL assembled from the two table names below only; no value comes from outside.
# ruff: noqa: S608

import django.db.models.deletion
from django.db import migrations, models

TABLE = "assessments_agreement"
COUNTS = "assessments_teamagreementcount"

POSTGRESQL = [
    f"""
    CREATE FUNCTION rb_agreement_count_insert() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO {COUNTS} (team_id, agreements)
        SELECT owner_team_id, count(*) FROM rb_inserted GROUP BY owner_team_id;
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE TRIGGER rb_agreement_count_insert AFTER INSERT ON {TABLE}
    REFERENCING NEW TABLE AS rb_inserted FOR EACH STATEMENT EXECUTE FUNCTION rb_agreement_count_insert()
    """,
    f"""
    CREATE FUNCTION rb_agreement_count_delete() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO {COUNTS} (team_id, agreements)
        SELECT owner_team_id, -count(*) FROM rb_deleted GROUP BY owner_team_id;
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE TRIGGER rb_agreement_count_delete AFTER DELETE ON {TABLE}
    REFERENCING OLD TABLE AS rb_deleted FOR EACH STATEMENT EXECUTE FUNCTION rb_agreement_count_delete()
    """,
    f"""
    CREATE FUNCTION rb_agreement_count_move() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO {COUNTS} (team_id, agreements) VALUES (OLD.owner_team_id, -1), (NEW.owner_team_id, 1);
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE TRIGGER rb_agreement_count_move AFTER UPDATE OF owner_team_id ON {TABLE}
    FOR EACH ROW WHEN (OLD.owner_team_id IS DISTINCT FROM NEW.owner_team_id)
    EXECUTE FUNCTION rb_agreement_count_move()
    """,
]

SQLITE = [
    f"""
    CREATE TRIGGER rb_agreement_count_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {COUNTS} (team_id, agreements) VALUES (NEW.owner_team_id, 1);
    END
    """,
    f"""
    CREATE TRIGGER rb_agreement_count_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {COUNTS} (team_id, agreements) VALUES (OLD.owner_team_id, -1);
    END
    """,
    f"""
    CREATE TRIGGER rb_agreement_count_move AFTER UPDATE OF owner_team_id ON {TABLE}
    WHEN OLD.owner_team_id IS NOT NEW.owner_team_id BEGIN
        INSERT INTO {COUNTS} (team_id, agreements) VALUES (OLD.owner_team_id, -1), (NEW.owner_team_id, 1);
    END
    """,
]

FILL = (
    f"INSERT INTO {COUNTS} (team_id, agreements) "
    f"SELECT owner_team_id, count(*) FROM {TABLE} GROUP BY owner_team_id"
)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No agreement-count triggers for {vendor}.")
    if vendor == "postgresql":  # no agreement written between the fill and the triggers
        schema_editor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
    for statement in POSTGRESQL if vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def uninstall(apps, schema_editor):
    for name in ("insert", "delete", "move"):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS rb_agreement_count_{name} ON {TABLE}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS rb_agreement_count_{name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS rb_agreement_count_{name}")


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0008_dashboard_summaries"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamAgreementCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("agreements", models.BigIntegerField(
                    help_text="A change of the team's number of agreements (+ or -).")),
                ("team", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+", to="assessments.team")),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
