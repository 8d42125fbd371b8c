"""Production settings: the base settings, hardened. ``DJANGO_SETTINGS_MODULE=riskboard.settings.production``.

Refuses to start without ``DJANGO_SECRET_KEY``, with ``DJANGO_DEBUG`` on, or on SQLite. Expects
TLS in front (a proxy setting ``X-Forwarded-Proto``): HSTS, an HTTPS redirect, ``__Host-``
cookies and an enforced Content Security Policy. ``manage.py check --deploy --fail-level WARNING``
passes with these settings (tests/security/test_production_settings.py). Every variable is in
the README's configuration table.
"""

import os

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("DJANGO_SECRET_KEY", "").strip():
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set: production refuses to start without it.")
if os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production (unset it, or set it to 0).")

from .base import *  # noqa: F403
from .base import _CSP_DIRECTIVES, DATABASES, env_bool, env_int, logging_config

RISKBOARD_PRODUCTION = True
DEBUG = False

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Production needs PostgreSQL (DATABASE_URL=postgres://...): the audit trail is kept by its triggers, "
        f"which {DATABASES['default']['ENGINE']} does not have."
    )

# --- HTTPS, behind a TLS proxy ------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers and orchestrators probe the health checks over plain HTTP, from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# The proxy in front says the request came over HTTPS; without it behind a proxy, every request
# would look like plain HTTP and redirect for ever. Turn off only when Django terminates TLS itself.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Asking browsers to preload the domain is a decision for the domain's owner, hard to undo;
    # off by default, and Django's reminder that it is off silenced on purpose.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Cookies: secure, host-only (__Host-: no Domain, path /, HTTPS only), SameSite ---------------
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Content Security Policy: enforced ---------------------------------------------------------
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**_CSP_DIRECTIVES, "upgrade-insecure-requests": True}}
CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# --- Logs: JSON lines unless told otherwise ------------------------------------------------------
DJANGO_LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "json").strip().lower()
LOGGING = logging_config(DJANGO_LOG_FORMAT)
