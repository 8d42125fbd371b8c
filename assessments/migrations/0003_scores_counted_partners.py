"""Record which partners each agreement score was counted for, and leave room on the score pages.

``counted_partners`` lets an incremental recompute subtract an agreement's old contribution from
the partners it was added to, after its partners changed. Existing rows were computed with the
partners they have now, so they are filled from those.

A full recompute rewrites every agreement, partner and partner x category score. With the
default fill factor every rewrite is a non-HOT update that moves the row to the end of the table
and inserts into every index, and the table grows until a vacuum. Half-empty pages let the
rewrite stay on the row's page (a HOT update): cheaper, and the table keeps its size.
"""

from django.db import migrations, models

REWRITTEN = ("assessments_agreementscore", "assessments_partnerscore", "assessments_partnercategoryscore")


def fill_counted_partners(apps, schema_editor):
    partners = (
        "string_agg(CAST(ap.partner_id AS TEXT), ',' ORDER BY ap.partner_id)"
        if schema_editor.connection.vendor == "postgresql" else "group_concat(ap.partner_id, ',')"
    )
    schema_editor.execute(
        f"UPDATE assessments_agreementscore SET counted_partners = COALESCE((SELECT {partners} "  # noqa: S608
        "FROM assessments_agreement_partners ap WHERE ap.agreement_id = assessments_agreementscore.agreement_id), '')"
    )


def set_fill_factor(apps, schema_editor, value="50"):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in REWRITTEN:
        schema_editor.execute(
            f"ALTER TABLE {table} SET (fillfactor = {value})" if value else f"ALTER TABLE {table} RESET (fillfactor)"
        )


def reset_fill_factor(apps, schema_editor):
    set_fill_factor(apps, schema_editor, value=None)


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0002_scores"),
    ]

    operations = [
        migrations.AddField(
            model_name="agreementscore",
            name="counted_partners",
            field=models.TextField(
                blank=True, default="",
                help_text="Ids of the partners its contribution was counted for, comma-separated.",
            ),
        ),
        migrations.RunPython(fill_counted_partners, migrations.RunPython.noop),
        migrations.RunPython(set_fill_factor, reset_fill_factor),
    ]
