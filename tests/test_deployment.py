"""docker-compose.yml cannot be run here (no Docker engine), so its contract is checked instead:
the services exist, share one image, and the environment they pass is what the settings read."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_declares_the_stack(compose):
    assert set(compose["services"]) == {"db", "redis", *APP_SERVICES}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_app_services_reuse_one_image_and_one_environment(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"riskboard:latest"}
    envs = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["DJANGO_DEBUG"] == "0"
    # The secret is required from the operator, never committed.
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?.+\}", env["DJANGO_SECRET_KEY"])


def test_every_dependency_names_a_service(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    assert services["web"]["ports"] == ["8000:8000"]


def test_commands_name_things_that_exist(compose):
    services = compose["services"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "riskboard"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "riskboard", "beat"]
    assert services["web"]["command"][1] == "riskboard.wsgi:application"
    for command in re.findall(r"manage\.py (\w+)", " ".join(services["migrate"]["command"])):
        assert command in get_commands(), f"manage.py {command} does not exist"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile


def test_a_deploy_migrates_then_recomputes_every_score(compose):
    steps = re.findall(r"manage\.py ([\w-]+(?: --[\w-]+)*)", " ".join(compose["services"]["migrate"]["command"]))
    assert steps[0].startswith("migrate") and steps[-1] == "recompute_scores --full"


def test_settings_read_the_environment_compose_passes(compose):
    env = dict(compose["services"]["web"]["environment"])
    env["DJANGO_SECRET_KEY"] = "from-the-operator"
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        "d = settings.DATABASES['default'];"
        "print(json.dumps([d['ENGINE'], d['HOST'], d['NAME'], settings.CELERY_BROKER_URL,"
        " settings.CELERY_TASK_ALWAYS_EAGER, settings.DEBUG, settings.SECRET_KEY]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "riskboard.settings.base", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    engine, host, name, broker, eager, debug, secret = json.loads(result.stdout)
    assert (engine, host, name) == ("django.db.backends.postgresql", "db", "riskboard")
    assert broker == "redis://redis:6379/0" and eager is False
    assert debug is False and secret == "from-the-operator"


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "riskboard.settings.base", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
