#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d), as the
# cluster's superuser, which only this script and operators on the database host use.
#
# - riskboard_owner owns the database and everything `migrate` creates (tables, triggers);
# - riskboard_app is the role of the web server, the worker and beat: it owns nothing, and gets its
#   rights from `manage.py db_roles_grant --runtime-role riskboard_app` (run by the migrate step).
set -eu
: "${RISKBOARD_DB_OWNER_PASSWORD:?set RISKBOARD_DB_OWNER_PASSWORD}"
: "${RISKBOARD_DB_APP_PASSWORD:?set RISKBOARD_DB_APP_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$RISKBOARD_DB_OWNER_PASSWORD" -v app_password="$RISKBOARD_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE riskboard_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE riskboard_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
CREATE DATABASE riskboard OWNER riskboard_owner;
REVOKE ALL ON DATABASE riskboard FROM PUBLIC;
\connect riskboard
-- Only the owner creates objects; nobody else (PostgreSQL 15+ already revokes this from PUBLIC).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO riskboard_owner;
SQL
