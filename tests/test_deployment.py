"""docker-compose.yml cannot be run here (no Docker engine), so its contract is checked instead:
the services exist, share one image, pass the environment the settings read, use the two database
roles, keep beat's schedule in a writable place, and keep the image small and unprivileged.
(The commands themselves run in tests/test_processes.py.)"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "worker-dashboards", "beat")
LONG_RUNNING = ("web", "worker", "worker-dashboards", "beat")
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_TEXT)


def _interpolate(value: str, env: dict) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` with ``env``'s values."""
    def one(match):
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":-":
            return rest
        raise KeyError(f"{name} is required: {rest}")
    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


def _script_steps(name: str) -> list[str]:
    text = (ROOT / "deploy" / name).read_text()
    return re.findall(r"manage\.py ([\w-]+(?: --[\w-]+)*)", text)


def test_compose_declares_the_stack(compose):
    assert set(compose["services"]) == {"db", "redis", *APP_SERVICES}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_app_services_reuse_one_image_and_one_environment(compose):
    services = compose["services"]
    assert {services[name]["image"] for name in APP_SERVICES} == {"riskboard:latest"}
    envs = [services[name]["environment"] for name in LONG_RUNNING]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    # The migrate step adds the owner's URL and its switches, and changes nothing else.
    migrate_env = services["migrate"]["environment"]
    assert {k: v for k, v in migrate_env.items() if k in env} == env
    assert set(migrate_env) - set(env) == {
        "DJANGO_MIGRATE_DATABASE_URL", "RISKBOARD_DB_RUNTIME_ROLE", "RISKBOARD_SKIP_STARTUP_CHECK",
    }
    assert env["DJANGO_SETTINGS_MODULE"] == "riskboard.settings.production"
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["DJANGO_DEBUG"] == "0"
    # Secrets are required from the operator, never committed; secure cookies are on by default.
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS"):
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", env[name]), name
    assert env["DJANGO_SECURE_COOKIES"] == "${DJANGO_SECURE_COOKIES:-1}"


def test_web_and_workers_connect_as_the_runtime_role_and_migrations_as_the_owner(compose):
    services = compose["services"]
    runtime_url = services["web"]["environment"]["DATABASE_URL"]
    owner_url = services["migrate"]["environment"]["DJANGO_MIGRATE_DATABASE_URL"]
    assert re.match(r"postgres://riskboard_app:\$\{RISKBOARD_DB_APP_PASSWORD:\?[^}]+\}@db:5432/riskboard$", runtime_url)
    assert re.match(r"postgres://riskboard_owner:\$\{RISKBOARD_DB_OWNER_PASSWORD:\?[^}]+\}@db:5432/riskboard$",
                    owner_url)
    assert services["migrate"]["environment"]["RISKBOARD_DB_RUNTIME_ROLE"] == "riskboard_app"
    # The roles are made when the database volume is created, by the script mounted for it.
    mounts = services["db"]["volumes"]
    init = next(m for m in mounts if "/docker-entrypoint-initdb.d/" in m)
    script = ROOT / init.split(":")[0].removeprefix("./")
    text = script.read_text()
    assert "CREATE ROLE riskboard_owner" in text and "CREATE ROLE riskboard_app" in text
    assert "CREATE DATABASE riskboard OWNER riskboard_owner" in text
    assert "SUPERUSER" not in text.replace("NOSUPERUSER", "")
    assert os.access(script, os.X_OK)


def test_a_deploy_migrates_as_owner_then_grants_then_recomputes_every_score(compose):
    assert compose["services"]["migrate"]["command"] == ["sh", "deploy/migrate.sh"]
    text = (ROOT / "deploy" / "migrate.sh").read_text()
    assert 'export DATABASE_URL="$DJANGO_MIGRATE_DATABASE_URL"' in text
    steps = _script_steps("migrate.sh")
    assert steps[0].startswith("migrate") and "--skip-checks" in steps[0]
    assert steps[1] == "db_roles_grant --runtime-role"
    assert steps[-1] == "recompute_scores --full"
    for step in steps:
        assert step.split()[0] in get_commands(), f"manage.py {step} does not exist"


def test_database_and_broker_are_healthchecked_and_kept(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert any(m.startswith("pgdata:/var/lib/postgresql/data") for m in services["db"]["volumes"])
    assert "pgdata" in compose["volumes"]
    redis = services["redis"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    command = redis["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_dependency_names_a_service(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    # Published on the loopback interface only: the TLS proxy runs in front.
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_commands_name_things_that_exist_and_beat_keeps_its_schedule_in_a_writable_place(compose):
    services = compose["services"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "riskboard"]
    # Every queue a task is routed to has a worker: recomputes on one, dashboard summaries on another.
    queues = {arg.split("=", 1)[1] for name in ("worker", "worker-dashboards")
              for arg in services[name]["command"] if arg.startswith("--queues=")}
    assert queues == {"celery", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())}
    beat = services["beat"]["command"]
    assert beat[:4] == ["celery", "-A", "riskboard", "beat"]
    schedule = beat[beat.index("--schedule") + 1]
    assert schedule.startswith("/tmp/")  # noqa: S108
    # The containers' file system is read-only but for /tmp.
    for name in APP_SERVICES:
        assert services[name]["read_only"] is True
        assert "/tmp" in services[name]["tmpfs"]  # noqa: S108
    assert services["web"]["command"][1] == "riskboard.wsgi:application"


def test_the_image_runs_unprivileged_through_the_startup_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    [user] = re.findall(r"^USER (\S+)", dockerfile, flags=re.M)
    assert user.split(":")[0] not in {"root", "0"}
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    entrypoint = ROOT / "deploy" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert "manage.py check --database default --fail-level ERROR" in entrypoint.read_text()
    assert 'exec "$@"' in entrypoint.read_text()


def test_the_image_leaves_tests_bench_and_ci_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"tests", "bench", ".ci", ".git", ".venv", ".env"} <= ignored


def test_the_example_environment_names_every_variable_compose_requires():
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_TEXT))
    example = {
        line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert required <= example, required - example
    # And no secret in it.
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"(DJANGO_SECRET_KEY|\w*PASSWORD)=", line):
            assert line.endswith("="), line


def test_settings_read_the_environment_compose_passes(compose):
    values = {"RISKBOARD_DB_APP_PASSWORD": "app-pw", "DJANGO_SECRET_KEY": "from-the-operator",
              "DJANGO_ALLOWED_HOSTS": "riskboard.example.org",
              "DJANGO_CSRF_TRUSTED_ORIGINS": "https://riskboard.example.org"}
    env = {k: _interpolate(v, values) for k, v in compose["services"]["web"]["environment"].items()}
    # The compose file's module when this branch has it, the base settings it builds on otherwise.
    if importlib.util.find_spec(env["DJANGO_SETTINGS_MODULE"]) is None:
        env["DJANGO_SETTINGS_MODULE"] = "riskboard.settings.base"
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        "d = settings.DATABASES['default'];"
        "print(json.dumps([d['ENGINE'], d['HOST'], d['NAME'], d['USER'], settings.CELERY_BROKER_URL,"
        " settings.CELERY_TASK_ALWAYS_EAGER, settings.DEBUG, settings.SECRET_KEY, settings.SESSION_COOKIE_SECURE]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env={**env, "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    engine, host, name, user, broker, eager, debug, secret, secure = json.loads(result.stdout)
    assert (engine, host, name, user) == ("django.db.backends.postgresql", "db", "riskboard", "riskboard_app")
    assert broker == "redis://redis:6379/0" and eager is False
    assert debug is False and secret == "from-the-operator" and secure is True


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "riskboard.settings.base", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
