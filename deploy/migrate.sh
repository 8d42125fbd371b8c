#!/bin/sh
# The deploy step, run as the database OWNER role (DJANGO_MIGRATE_DATABASE_URL):
#   1. migrate (creates tables and installs the audit triggers);
#   2. grant the runtime role (DATABASE_URL's user) exactly its rights, again after every migrate;
#   3. load the default catalogue (idempotent) and recompute every score (a failure is reported,
#      the nightly run retries).
# --skip-checks: the startup check of the triggers cannot pass before migrate has installed them.
set -eu
: "${DJANGO_MIGRATE_DATABASE_URL:?set DJANGO_MIGRATE_DATABASE_URL (the owner role)}"
: "${RISKBOARD_DB_RUNTIME_ROLE:?set RISKBOARD_DB_RUNTIME_ROLE}"
export DATABASE_URL="$DJANGO_MIGRATE_DATABASE_URL"
python manage.py migrate --no-input --skip-checks
python manage.py db_roles_grant --runtime-role "$RISKBOARD_DB_RUNTIME_ROLE"
python manage.py check --database default --fail-level ERROR
python manage.py load_default_catalogue
python manage.py recompute_scores --full \
  || echo 'warning: the full score recompute failed (see above); the nightly run will retry' >&2
