import pytest
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# The audit trail is written by PostgreSQL triggers: on SQLite nothing is recorded to test.
postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="the audit trail is recorded by PostgreSQL triggers; set DATABASE_URL to a PostgreSQL database",
    ),
]
