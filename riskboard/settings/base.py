"""Riskboard settings.

Everything that differs between a laptop and production comes from the environment:

- ``DJANGO_DEBUG``: ``1``/``true`` turns on debug mode. Off by default.
- ``DJANGO_SECRET_KEY``: required when debug is off; a throwaway key is used in debug mode.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated host names (default ``localhost,127.0.0.1``).
- ``DATABASE_URL``: any dj-database-url URL; an SQLite file ``db.sqlite3`` when unset.
- ``CELERY_BROKER_URL``: e.g. ``redis://127.0.0.1:6379/0``; when unset, tasks run in-process.

Production adds its own requirements on top of these: ``riskboard.settings.production``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", False)
# True only under riskboard.settings.production (its startup checks read it).
RISKBOARD_PRODUCTION = False

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "For local development, set DJANGO_DEBUG=1 (as `make run` does)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "catalogue",
    "assessments",
    "pgtrigger",
    "pghistory",
    "accounts",
    "audit",
    "api",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "riskboard.security",
]

MIDDLEWARE = [
    # First: every log line of the request, and the response, carry its id.
    "riskboard.security.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "riskboard.security.middleware.NoStoreMiddleware",
    # /healthz answers here, before anything reads the session or the database.
    "riskboard.health.LivenessMiddleware",
    # A NUL character in the path, query string, form data or cookies: 400 before anything reads them.
    "riskboard.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Pages compressed (static files come compressed from whitenoise, above): a dashboard's HTML
    # holds its charts' data. Django's gzip pads each response at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # 30 minutes idle, 12 hours in all: then the session ends (riskboard.security.sessions).
    "riskboard.security.middleware.SessionLifetimeMiddleware",
    # Every page needs a signed-in user unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A forced password change, or a second factor still to give, comes before any other page.
    "riskboard.security.middleware.AccountGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "audit.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riskboard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "riskboard.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "riskboard.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A fresh test database per run; the name is derived from the configured one.
    DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (the image builds it in; CI serves pages from a temporary one).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js, from the installed plotly package (riskboard/dashboards/staticfiles.py)
    "riskboard.dashboards.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Security headers that cost nothing in development and matter in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
# Behind a TLS proxy: the origins the browser posts from (``https://riskboard.example.org``).
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# --- Content Security Policy (django-csp 4) ---------------------------------------------------
# Scripts come only from our own static files: no inline script, no eval. Styles allow
# 'unsafe-inline' because Plotly draws its charts with inline styles and the band swatches carry
# their catalogue colour in a style attribute; script-src never does. Report-only outside
# production (riskboard.settings.production enforces it), so a violation shows in the console.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}

# --- Responses that must never be kept by a browser or a proxy --------------------------------
# Every page and API response says ``Cache-Control: no-store`` (assessments, scores, the audit
# trail, the dashboards and the API all hold sensitive data; riskboard.security.middleware),
# except the paths below: static files and the liveness check, which hold none.
RISKBOARD_CACHEABLE_PREFIXES = ("/static/", "/healthz")

# --- Sign-in protection (django-axes) ----------------------------------------------------------
# Failures count per (username, address): a guesser elsewhere can never lock a user out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("RISKBOARD_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RISKBOARD_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "riskboard.security.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "riskboard.security.client.client_ip"
AXES_VERBOSE = False  # our own receivers log sign-in events (riskboard.security.signals)
# Successful sign-ins are logged (riskboard.security) and kept in the audit trail; axes' own table
# of them would only grow.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "token", "otp_token"]
# Proxies in front of the application that append to X-Forwarded-For (0: use the peer address).
RISKBOARD_TRUSTED_PROXY_COUNT = env_int("RISKBOARD_TRUSTED_PROXY_COUNT", 0)

# --- Sessions ---------------------------------------------------------------------------------
# The cookie and the stored session last at most the absolute limit; the middleware ends a session
# idle for longer than RISKBOARD_SESSION_IDLE_SECONDS, or older than the absolute limit.
RISKBOARD_SESSION_IDLE_SECONDS = env_int("RISKBOARD_SESSION_IDLE_MINUTES", 30) * 60
RISKBOARD_SESSION_ABSOLUTE_SECONDS = env_int("RISKBOARD_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = RISKBOARD_SESSION_ABSOLUTE_SECONDS

# --- Two-factor authentication (django-otp, TOTP) ---------------------------------------------
# Optional for everyone; required of administrators and managers when this is on.
RISKBOARD_REQUIRE_2FA = env_bool("RISKBOARD_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "Riskboard"

# --- REST API (api/, and each app's api/ package) ---------------------------------------------
# Clients send `Authorization: Token <key>` (api.authentication); the browsable API and the docs
# also accept the signed-in session. Errors share one JSON shape (api.errors).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    # Per token (or per signed-in user); "heavy" is for CSV exports and other expensive reads.
    "DEFAULT_THROTTLE_RATES": {
        "api": os.environ.get("RISKBOARD_API_RATE", "1200/min"),
        "api_heavy": os.environ.get("RISKBOARD_API_HEAVY_RATE", "30/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Riskboard API",
    "DESCRIPTION": (
        "Risk assessments of security and intelligence cooperation agreements, for other systems of "
        "the ministry. Read `/api/v1/docs/` for every operation; the README has curl and Python examples."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The same choices in several components (agreements, their scores) get one name.
    "ENUM_NAME_OVERRIDES": {"AgreementStatusEnum": "assessments.choices.AgreementStatus"},
}
# Rows written in the last few seconds are held back from the sync order (updated_at, id), so that
# a write still committing when a client reads can never be skipped (api.pagination).
RISKBOARD_API_SYNC_SETTLE_SECONDS = float(os.environ.get("RISKBOARD_API_SYNC_SETTLE_SECONDS", "5"))
# API tokens record when they were last used, at most once per this many seconds.
RISKBOARD_API_TOKEN_TOUCH_SECONDS = 60
# Throttle counters live in the cache: set DJANGO_CACHE_URL (e.g. redis://127.0.0.1:6379/1) when
# several processes serve the API, so that they share one count.
DJANGO_CACHE_URL = os.environ.get("DJANGO_CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["DJANGO_CACHE_URL"]}
        if os.environ.get("DJANGO_CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "riskboard"}
    )
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker, tasks run in-process so the embedded default needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Dashboard summaries have a queue (and, in docker-compose.yml, a worker) of their own: refreshing a
# team's takes a while at scale, and a recompute (an approval's score) must never wait behind one.
CELERY_TASK_ROUTES = {"assessments.tasks.dashboard_summaries_refresh": {"queue": "dashboards"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A write must never fail because the broker is down: publishing gives up quickly and the
# periodic sweeper picks up whatever was left dirty.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
# /readyz answers 503 when no worker answers a ping (riskboard.health); off where the web
# process is ready to serve without one.
RISKBOARD_READYZ_REQUIRE_WORKER = env_bool("RISKBOARD_READYZ_REQUIRE_WORKER", True)

# --- Riskboard ------------------------------------------------------------------------------
# Months until the next review, by the assessment's worst residual band.
RISKBOARD_REVIEW_MONTHS = {"CRITICAL": 3, "HIGH": 6, "MEDIUM": 12, "LOW": 24}

# --- Audit trail (audit/) ------------------------------------------------------------------
# History triggers are installed after every `migrate` instead of living in migrations, so the
# tracked apps (catalogue, assessments) never get trigger migrations of their own.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True

# One JSON object per line (``DJANGO_LOG_FORMAT=json``, production's default) or plain text.
# Each line carries the request's id, user and path (riskboard.security.logs).
DJANGO_LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text").strip().lower()


def logging_config(log_format: str) -> dict:
    if log_format not in {"json", "text"}:
        raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be json or text, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "riskboard.security.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "riskboard.security.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
        "loggers": {
            # Logins, failures, lockouts, refusals and token use (riskboard.security.signals).
            "riskboard.security": {"level": "INFO"},
            # Our request log (one line per request, with status and duration) replaces it.
            "django.server": {"level": "WARNING"},
        },
    }


LOGGING = logging_config(DJANGO_LOG_FORMAT)

# --- Scores ---------------------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402

# Levels by which a rating's confidence widens its score range (assessments.scoring). Incremental
# recomputes assume it fixed: after changing it, run `manage.py recompute_scores --full` (the
# compose file's migrate step does on every deploy).
RISKBOARD_SCORES_CONFIDENCE_WIDENING = {"high": 0, "medium": 0, "low": 1}
# The sweeper recomputes dirty agreements in batches; with more than FULL_THRESHOLD dirty it runs
# one full recompute instead. Its interval is shortened by tests that wait for it.
RISKBOARD_SCORES_SWEEP_BATCH = 500
RISKBOARD_SCORES_FULL_THRESHOLD = 5000
RISKBOARD_SCORES_SWEEP_MAX_SECONDS = 45
# An agreement the sweeper fails to recompute keeps its mark (with the error) and waits this long
# before its next try, doubling with each failure up to the maximum (seconds).
RISKBOARD_SCORES_RETRY_SECONDS = 120
RISKBOARD_SCORES_RETRY_MAX_SECONDS = 6 * 3600
# Memory for the sorts and hashes of the full recompute, per PostgreSQL transaction.
RISKBOARD_SCORES_WORK_MEM = os.environ.get("RISKBOARD_SCORES_WORK_MEM", "64MB")
RISKBOARD_SCORES_SWEEP_SECONDS = float(os.environ.get("RISKBOARD_SCORES_SWEEP_SECONDS", "60"))
# The incremental recompute's statements are prepared once per database session (PostgreSQL).
# Turn off behind a pooler that hands one session to several clients (PgBouncer in transaction mode).
RISKBOARD_SCORES_PREPARED_STATEMENTS = env_bool("RISKBOARD_SCORES_PREPARED_STATEMENTS", True)
CELERY_BEAT_SCHEDULE = {
    # The reference recompute, and the day's snapshot for trends.
    "scores-full-recompute-nightly": {
        "task": "assessments.tasks.scores_full_recompute",
        "schedule": crontab(hour=2, minute=15),
        "options": {"expires": 3 * 3600},
    },
    # Anything still dirty (e.g. its task was lost while the broker was down).
    "scores-sweep": {
        "task": "assessments.tasks.scores_sweep",
        "schedule": RISKBOARD_SCORES_SWEEP_SECONDS,
        "options": {"expires": RISKBOARD_SCORES_SWEEP_SECONDS},
    },
    # Each team's agreement-count rows, one per change, folded into one (the lists read their sum).
    "agreement-counts-compact": {
        "task": "assessments.tasks.agreement_counts_compact",
        "schedule": 600,
        "options": {"expires": 600},
    },
    # Dashboard summaries out of date (their refresh after a recompute was lost, or a new day).
    "dashboard-summaries-refresh": {
        "task": "assessments.tasks.dashboard_summaries_refresh",
        "schedule": RISKBOARD_SCORES_SWEEP_SECONDS,
        "options": {"expires": RISKBOARD_SCORES_SWEEP_SECONDS},
    },
}
