#!/bin/sh
# Entry point of the image (web, worker, beat and the migrate step).
#
# Before a long-running process starts, the startup checks run against the database: under the
# production settings they refuse a database without the audit trail's triggers (audit.E001), so a
# web server or worker never runs on an unprotected trail. The migrate step, which installs the
# triggers, sets RISKBOARD_SKIP_STARTUP_CHECK=1.
set -eu
if [ "${RISKBOARD_SKIP_STARTUP_CHECK:-0}" != "1" ]; then
  python manage.py check --database default --fail-level ERROR
fi
exec "$@"
