"""Fixtures of the security tests: production's settings applied in-process, and sign-in helpers."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # every UserFactory user's password (tests/factories.py)

# The settings production changes that matter to a response's headers and cookies.
PRODUCTION_SETTING_NAMES = (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_HTTPONLY", "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY", "X_FRAME_OPTIONS",
)


def load_production_settings(monkeypatch) -> dict:
    """The values ``riskboard.settings.production`` sets, imported fresh under a production-like
    environment (a PostgreSQL URL that is never connected to)."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgres://riskboard@127.0.0.1:5432/riskboard")
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    names = ("riskboard.settings.production", "riskboard.settings.base")
    saved = {name: sys.modules.pop(name, None) for name in names}
    try:
        module = importlib.import_module("riskboard.settings.production")
        return {name: getattr(module, name) for name in PRODUCTION_SETTING_NAMES}
    finally:
        for name, module in saved.items():  # the modules the test settings loaded, as they were
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.fixture
def production(settings, monkeypatch):
    """Production's headers, cookies and CSP for this test (the database stays the test one)."""
    values = load_production_settings(monkeypatch)
    for name, value in values.items():
        setattr(settings, name, value)
    return values


@pytest.fixture
def https_client() -> Client:
    """A client behind the TLS proxy: HTTPS as production's SECURE_PROXY_SSL_HEADER sees it."""
    return Client(headers={"X-Forwarded-Proto": "https"}, secure=True)


@pytest.fixture
def member(db):
    return UserFactory(username="sam")


def sign_in(client: Client, username: str, password: str = PASSWORD, *, ip: str = "192.0.2.10", **extra):
    """POST the login form as a browser at ``ip`` would."""
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip, **extra)


# A test process that publishes to a real broker (tests/assessments/conftest.py).
from tests.assessments.conftest import celery_publisher  # noqa: E402, F401
