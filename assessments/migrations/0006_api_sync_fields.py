"""Partners get created/updated times, and the API's sync order (updated_at, id) an index per table."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("assessments", "0005_membership_message_sweep_retries"),
    ]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="partner",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddIndex(
            model_name="partner",
            index=models.Index(fields=["updated_at", "id"], name="partner_sync_order"),
        ),
        migrations.AddIndex(
            model_name="agreement",
            index=models.Index(fields=["updated_at", "id"], name="agreement_sync_order"),
        ),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(fields=["updated_at", "id"], name="assessment_sync_order"),
        ),
    ]
