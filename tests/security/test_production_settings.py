"""riskboard.settings.production: Django's deployment checks pass, and it refuses to start unsafe."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env_overrides: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "riskboard.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "riskboard.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://riskboard.example.org",
        # Never connected to by the checks below.
        "DATABASE_URL": "postgres://riskboard@127.0.0.1:5432/riskboard",
    })
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_deploy_check_passes_with_no_warning():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_deploy_check_warns_under_the_base_settings():
    """The check is not vacuous: the development settings fail it (no HSTS, no HTTPS redirect)."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        DJANGO_SETTINGS_MODULE="riskboard.settings.base")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SECRET_KEY=None)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_refuses_sqlite():
    result = run_manage("check", DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "Production needs PostgreSQL" in result.stderr


def test_refuses_debug():
    result = run_manage("check", DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_hsts_and_proxy_header_follow_the_environment():
    script = ("from django.conf import settings as s; "
              "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS)")
    default = run_manage("shell", "-c", script)
    assert default.stdout.strip().splitlines()[-1] == (
        "31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') ['https://riskboard.example.org']"
    ), default.stderr
    changed = run_manage("shell", "-c", script, DJANGO_SECURE_HSTS_SECONDS="600", DJANGO_SECURE_SSL_REDIRECT="0",
                         DJANGO_SECURE_PROXY_SSL_HEADER="0",
                         DJANGO_CSRF_TRUSTED_ORIGINS="https://a.example.org, https://b.example.org")
    expected = "600 False None ['https://a.example.org', 'https://b.example.org']"
    assert changed.stdout.strip().splitlines()[-1] == expected, changed.stderr
