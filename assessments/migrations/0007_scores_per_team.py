"""Stored scores get a team dimension: partner, partner x category, category, portfolio and snapshot
rows are per owner team, and an agreement's score remembers the team it was counted for.

The stored scores are derived data: this migration deletes them (and the snapshot history, whose
rows counted every team together and cannot be split) rather than convert them. The next full
recompute rebuilds every row: ``manage.py recompute_scores --full``, which the compose ``migrate``
service runs after ``migrate`` (``make run`` runs ``seed_demo``, which runs it too; so does the
nightly schedule). Until then pages show no partner, category or portfolio score. Recomputes
serialise on ``ScoresLock`` instead of the former single portfolio row.
"""

import django.db.models.deletion
from django.db import migrations, models

import assessments.scoring.numbers

# Rewritten in place by every full recompute: half-empty pages keep the rewrites HOT (see 0003).
REWRITTEN = ("assessments_partnerscore", "assessments_partnercategoryscore")


def clear_agreement_scores(apps, schema_editor):
    apps.get_model("assessments", "AgreementScore").objects.all().delete()


def set_fill_factor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in REWRITTEN:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0006_api_sync_fields"),
    ]

    operations = [
        migrations.RunPython(clear_agreement_scores, migrations.RunPython.noop),
        migrations.DeleteModel(name="PartnerScore"),
        migrations.DeleteModel(name="PartnerCategoryScore"),
        migrations.DeleteModel(name="CategoryScore"),
        migrations.DeleteModel(name="PortfolioScore"),
        migrations.DeleteModel(name="ScoreSnapshot"),
        migrations.AddField(
            model_name="agreementscore",
            name="counted_team",
            field=models.ForeignKey(
                db_constraint=False, db_index=False, default=0,
                help_text="The owner team its contribution was counted for.",
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="assessments.team",
            ),
            preserve_default=False,  # the table was emptied above
        ),
        migrations.CreateModel(
            name='ScoresLock',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('locked_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='PortfolioScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_1', models.IntegerField(default=0)),
                ('band_2', models.IntegerField(default=0)),
                ('band_3', models.IntegerField(default=0)),
                ('band_4', models.IntegerField(default=0)),
                ('band_5', models.IntegerField(default=0)),
                ('band_6', models.IntegerField(default=0)),
                ('n', models.IntegerField(help_text='Agreements (partner, portfolio) or ratings (category) counted.')),
                ('score_sum_c', models.BigIntegerField(help_text='Sum of residual centi-scores.')),
                ('score_low_sum_c', models.BigIntegerField()),
                ('score_high_sum_c', models.BigIntegerField()),
                ('inherent_sum_c', models.BigIntegerField()),
                ('fingerprint', models.BigIntegerField(help_text='Order-independent hash of the inputs counted.')),
                ('computed_at', models.DateTimeField()),
                ('team', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.team')),
            ],
            options={
                'abstract': False,
            },
            bases=(assessments.scoring.numbers.MeanScores, models.Model),
        ),
        migrations.CreateModel(
            name='CategoryScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_1', models.IntegerField(default=0)),
                ('band_2', models.IntegerField(default=0)),
                ('band_3', models.IntegerField(default=0)),
                ('band_4', models.IntegerField(default=0)),
                ('band_5', models.IntegerField(default=0)),
                ('band_6', models.IntegerField(default=0)),
                ('n', models.IntegerField(help_text='Agreements (partner, portfolio) or ratings (category) counted.')),
                ('score_sum_c', models.BigIntegerField(help_text='Sum of residual centi-scores.')),
                ('score_low_sum_c', models.BigIntegerField()),
                ('score_high_sum_c', models.BigIntegerField()),
                ('inherent_sum_c', models.BigIntegerField()),
                ('fingerprint', models.BigIntegerField(help_text='Order-independent hash of the inputs counted.')),
                ('computed_at', models.DateTimeField()),
                ('category_code', models.CharField(max_length=64)),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('category_code', 'team'), name='categoryscore_unique_key')],
            },
            bases=(assessments.scoring.numbers.MeanScores, models.Model),
        ),
        migrations.CreateModel(
            name='PartnerCategoryScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_1', models.IntegerField(default=0)),
                ('band_2', models.IntegerField(default=0)),
                ('band_3', models.IntegerField(default=0)),
                ('band_4', models.IntegerField(default=0)),
                ('band_5', models.IntegerField(default=0)),
                ('band_6', models.IntegerField(default=0)),
                ('n', models.IntegerField(help_text='Agreements (partner, portfolio) or ratings (category) counted.')),
                ('score_sum_c', models.BigIntegerField(help_text='Sum of residual centi-scores.')),
                ('score_low_sum_c', models.BigIntegerField()),
                ('score_high_sum_c', models.BigIntegerField()),
                ('inherent_sum_c', models.BigIntegerField()),
                ('fingerprint', models.BigIntegerField(help_text='Order-independent hash of the inputs counted.')),
                ('computed_at', models.DateTimeField()),
                ('category_code', models.CharField(max_length=64)),
                ('partner', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='category_scores', to='assessments.partner')),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('partner', 'category_code', 'team'), name='partnercategoryscore_unique_key')],
            },
            bases=(assessments.scoring.numbers.MeanScores, models.Model),
        ),
        migrations.CreateModel(
            name='PartnerScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_1', models.IntegerField(default=0)),
                ('band_2', models.IntegerField(default=0)),
                ('band_3', models.IntegerField(default=0)),
                ('band_4', models.IntegerField(default=0)),
                ('band_5', models.IntegerField(default=0)),
                ('band_6', models.IntegerField(default=0)),
                ('n', models.IntegerField(help_text='Agreements (partner, portfolio) or ratings (category) counted.')),
                ('score_sum_c', models.BigIntegerField(help_text='Sum of residual centi-scores.')),
                ('score_low_sum_c', models.BigIntegerField()),
                ('score_high_sum_c', models.BigIntegerField()),
                ('inherent_sum_c', models.BigIntegerField()),
                ('fingerprint', models.BigIntegerField(help_text='Order-independent hash of the inputs counted.')),
                ('computed_at', models.DateTimeField()),
                ('partner', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='assessments.partner')),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('partner', 'team'), name='partnerscore_unique_key')],
            },
            bases=(assessments.scoring.numbers.MeanScores, models.Model),
        ),
        migrations.CreateModel(
            name='ScoreSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('band_1', models.IntegerField(default=0)),
                ('band_2', models.IntegerField(default=0)),
                ('band_3', models.IntegerField(default=0)),
                ('band_4', models.IntegerField(default=0)),
                ('band_5', models.IntegerField(default=0)),
                ('band_6', models.IntegerField(default=0)),
                ('n', models.IntegerField(help_text='Agreements (partner, portfolio) or ratings (category) counted.')),
                ('score_sum_c', models.BigIntegerField(help_text='Sum of residual centi-scores.')),
                ('score_low_sum_c', models.BigIntegerField()),
                ('score_high_sum_c', models.BigIntegerField()),
                ('inherent_sum_c', models.BigIntegerField()),
                ('fingerprint', models.BigIntegerField(help_text='Order-independent hash of the inputs counted.')),
                ('computed_at', models.DateTimeField()),
                ('day', models.DateField()),
                ('level', models.CharField(choices=[('partner', 'Partner'), ('category', 'Category'), ('portfolio', 'Portfolio')], max_length=16)),
                ('key', models.CharField(help_text="Partner id, category code, or 'portfolio'.", max_length=64)),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.team')),
            ],
            options={
                'ordering': ['level', 'key', 'team', 'day'],
                'indexes': [models.Index(fields=['level', 'key', 'team', 'day'], name='scoresnapshot_series')],
                'constraints': [models.UniqueConstraint(fields=('day', 'level', 'key', 'team'), name='scoresnapshot_unique_day_key')],
            },
            bases=(assessments.scoring.numbers.MeanScores, models.Model),
        ),
        migrations.RunPython(set_fill_factor, migrations.RunPython.noop),
    ]
