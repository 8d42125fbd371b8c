"""Riskboard settings.

Everything that differs between a laptop and production comes from the environment:

- ``DJANGO_DEBUG``: ``1``/``true`` turns on debug mode. Off by default.
- ``DJANGO_SECRET_KEY``: required when debug is off; a throwaway key is used in debug mode.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated host names (default ``localhost,127.0.0.1``).
- ``DATABASE_URL``: any dj-database-url URL; an SQLite file ``db.sqlite3`` when unset.
- ``CELERY_BROKER_URL``: e.g. ``redis://127.0.0.1:6379/0``; when unset, tasks run in-process.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL character in the path, query string, form data or cookies: 400 before anything reads them.
    "riskboard.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (static files come compressed from whitenoise, above): a dashboard's HTML
    # holds its charts' data. Django's gzip pads each response at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "audit.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)

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
    "ENUM_NAME_OVERRIDES": {},
}
# Rows written in the last few seconds are held back from the sync order (updated_at, id), so that
# a write still committing when a client reads can never be skipped (api.pagination).
RISKBOARD_API_SYNC_SETTLE_SECONDS = float(os.environ.get("RISKBOARD_API_SYNC_SETTLE_SECONDS", "5"))
# API tokens record when they were last used, at most once per this many seconds.
RISKBOARD_API_TOKEN_TOUCH_SECONDS = 60
# Throttle counters live in the cache: set DJANGO_CACHE_URL (e.g. redis://127.0.0.1:6379/1) when
# several processes serve the API, so that they share one count.
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
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A write must never fail because the broker is down: publishing gives up quickly and the
# periodic sweeper picks up whatever was left dirty.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}

# --- Riskboard ------------------------------------------------------------------------------
# Months until the next review, by the assessment's worst residual band.
RISKBOARD_REVIEW_MONTHS = {"CRITICAL": 3, "HIGH": 6, "MEDIUM": 12, "LOW": 24}

# --- Audit trail (audit/) ------------------------------------------------------------------
# History triggers are installed after every `migrate` instead of living in migrations, so the
# tracked apps (catalogue, assessments) never get trigger migrations of their own.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

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
}
