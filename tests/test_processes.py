"""The containers' commands, run outside Docker (there is no Docker engine here): gunicorn serving a
page under the production settings as the runtime database role, through the image's entry point,
and Celery beat starting unprivileged in a working directory it cannot write.

The commands are read from docker-compose.yml, so a change there is what gets tested. (A worker
consuming tasks: tests/assessments/test_tasks.py, marked ``celery``.)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection

from tests.audit.conftest import runtime_role  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = "riskboard.settings.production"


def _compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return list(compose["services"][service]["command"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(user: str) -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}@{host}{port}/{settings['NAME']}"


def _base_env(**extra) -> dict:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SECRET_KEY": "processes-test-" + "k" * 50,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        **extra,
    }


def _wait_for(predicate, *, timeout: float, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        if process.poll() is not None:
            raise AssertionError(f"the process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """collectstatic into a temporary directory, as the image build does into its own (leaving out
    the packages' files that the sign-in page does not use, to save a minute of compression)."""
    root = tmp_path_factory.mktemp("static")
    unused = [arg for name in ("admin", "drf_spectacular_sidecar", "flags", "rest_framework") for arg in ("-i", name)]
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0", *unused],
        cwd=ROOT, check=True, env=_base_env(DJANGO_SETTINGS_MODULE="riskboard.settings.base",
                                            DJANGO_STATIC_ROOT=str(root)),
    )
    return root


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_a_page_under_production_settings_as_the_runtime_role(
    runtime_role, static_root, tmp_path  # noqa: F811
):
    call_command("db_roles_grant", runtime_role=runtime_role)
    port = _free_port()
    command = _compose_command("web")
    assert command[:2] == ["gunicorn", "riskboard.wsgi:application"]
    bind = command.index("--bind")
    command[bind + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    command[command.index("--worker-tmp-dir") + 1] = str(tmp_path)
    log = tmp_path / "gunicorn.log"
    env = _base_env(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        DATABASE_URL=_database_url(runtime_role),
        DATABASE_CONN_MAX_AGE="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_FORMAT="text",
    )
    with log.open("w") as out:
        # Through the image's entry point: the startup check runs first, against this database.
        process = subprocess.Popen(
            ["sh", str(ROOT / "deploy" / "entrypoint.sh"), *command],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        def login_page():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                    return response.status, dict(response.headers), response.read().decode()
            except (urllib.error.URLError, ConnectionError):
                return None

        status, headers, body = _wait_for(login_page, timeout=60, process=process, log=log)
        assert status == 200
        assert 'name="password"' in body
        assert "Strict-Transport-Security" in headers
        # A static file, from whitenoise, with its hashed name.
        stylesheet = next(part.split('"')[0] for part in body.split('href="') if part.split('"')[0].endswith(".css"))
        request = urllib.request.Request(f"http://127.0.0.1:{port}{stylesheet}",
                                         headers={"X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            assert response.status == 200
        # Plain HTTP is sent to HTTPS.
        plain = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(plain, timeout=5)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"].startswith("https://")
    finally:
        _stop(process)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _unprivileged() -> list[str]:
    """The prefix that runs a command without privileges: nothing for an ordinary user; for root
    (CI runs as root), every capability dropped, so that file permissions bind it like any user.
    (Not another uid: this machine's virtualenv interpreter lives in root's home.)"""
    if os.getuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop privileges")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]


def _beat(command: list[str], *, cwd: Path, tmp_path: Path, name: str):
    log = tmp_path / f"{name}.log"
    broker = os.environ["RISKBOARD_TEST_BROKER_URL"]
    env = _base_env(DJANGO_SETTINGS_MODULE="riskboard.settings.base", CELERY_BROKER_URL=broker, HOME=str(tmp_path))
    with log.open("w") as out:
        process = subprocess.Popen([*_unprivileged(), *command], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


@pytest.mark.celery
def test_beat_starts_as_an_unprivileged_user_in_a_read_only_working_directory(tmp_path):
    if not os.environ.get("RISKBOARD_TEST_BROKER_URL"):
        pytest.skip("beat needs a Redis broker: set RISKBOARD_TEST_BROKER_URL=redis://127.0.0.1:6379/15")
    command = _compose_command("beat")
    assert command[:4] == ["celery", "-A", "riskboard", "beat"]
    at = command.index("--schedule")
    schedule = command[at + 1]
    assert schedule.startswith("/tmp/"), "the schedule file must be in the writable tmpfs"  # noqa: S108
    without_schedule = command[:at] + command[at + 2:]
    # This test's own writable directory stands for the container's /tmp.
    writable = tmp_path / "tmpfs"
    writable.mkdir()
    command[at + 1] = str(writable / Path(schedule).name)
    command[0] = without_schedule[0] = str(Path(sys.executable).parent / "celery")
    readonly = tmp_path / "app"
    readonly.mkdir(mode=0o555)
    probe = subprocess.run([*_unprivileged(), "sh", "-c", "touch x"], cwd=readonly, capture_output=True)
    assert probe.returncode != 0, "the working directory must not be writable by the user"

    process, log = _beat(command, cwd=readonly, tmp_path=tmp_path, name="beat")
    try:
        _wait_for(lambda: "Starting..." in log.read_text(), timeout=60, process=process, log=log)
        _wait_for(lambda: any(writable.iterdir()), timeout=30, process=process, log=log)
        time.sleep(1)
        assert process.poll() is None, log.read_text()
        assert "Permission denied" not in log.read_text()
    finally:
        _stop(process)

    # Without --schedule, beat writes to the working directory, and fails: what the flag is for.
    process, log = _beat(without_schedule, cwd=readonly, tmp_path=tmp_path, name="beat-default")
    try:
        process.wait(60)
    finally:
        _stop(process)
    assert process.returncode != 0
    assert "Permission denied" in log.read_text()
