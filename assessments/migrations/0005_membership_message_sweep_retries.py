# Follows 0004_agreement_ranges (issue 8).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0004_agreement_ranges'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='membership',
            name='membership_team_required_for_team_roles',
            constraint=models.CheckConstraint(condition=models.Q(('team__isnull', False), ('role__in', ['administrator', 'auditor']), _connector='OR'), name='membership_team_required_for_team_roles', violation_error_message='Analysts and managers act within a team: choose one.'),
        ),
        migrations.AddField(
            model_name='dirtyagreement',
            name='failures',
            field=models.PositiveIntegerField(db_default=0, help_text='Sweeps that failed to recompute it in a row.'),
        ),
        migrations.AddField(
            model_name='dirtyagreement',
            name='last_error',
            field=models.TextField(blank=True, db_default=''),
        ),
        migrations.AddField(
            model_name='dirtyagreement',
            name='retry_at',
            field=models.DateTimeField(blank=True, help_text='Not swept again before this time.', null=True),
        ),
    ]
