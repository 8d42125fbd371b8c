"""Health checks for load balancers and orchestrators.

- ``/healthz`` (liveness): the process answers. No database, no broker: a database outage must
  not make an orchestrator restart every web process.
- ``/readyz`` (readiness): may this process take traffic? The database, Redis and a Celery worker,
  each ``ok``, ``error`` (with a short detail) or ``not configured``. 503 when a required one is
  in error. Without a broker (tasks in-process) Redis and the worker are "not configured" and
  the process is ready.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

OK, ERROR, NOT_CONFIGURED = "ok", "error", "not configured"
TIMEOUT_SECONDS = 1.0


def _detail(exc: Exception) -> str:
    # The class and a short message: enough for an operator, no connection string.
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def check_database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not a crash
        return {"status": ERROR, "detail": _detail(exc)}
    return {"status": OK}


def _redis_url() -> str | None:
    for url in (settings.CELERY_BROKER_URL, getattr(settings, "DJANGO_CACHE_URL", "")):
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return None


def check_redis() -> dict:
    url = _redis_url()
    if url is None:
        return {"status": NOT_CONFIGURED}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return {"status": ERROR, "detail": _detail(exc)}
    return {"status": OK}


@functools.lru_cache(maxsize=4)
def _control_app(broker_url: str):
    """A Celery app of its own for the ping, bound to ``broker_url``. The project's app publishes
    control messages through a producer pool it keeps for the broker it first used; its own
    settings never change in production, but this keeps the check honest about the broker
    configured now."""
    from celery import Celery

    app = Celery("riskboard-readyz", broker=broker_url, set_as_current=False)
    app.conf.update(
        broker_connection_timeout=TIMEOUT_SECONDS,
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        accept_content=["json"], task_serializer="json", result_serializer="json",
    )
    return app


def check_worker(redis_status: str) -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"status": NOT_CONFIGURED, "detail": "tasks run in-process"}
    if redis_status == ERROR:
        return {"status": ERROR, "detail": "the broker is unreachable"}
    try:
        # The first answer is enough: without a limit, the ping waits out its whole timeout.
        replies = _control_app(settings.CELERY_BROKER_URL).control.ping(timeout=TIMEOUT_SECONDS, limit=1)
    except Exception as exc:
        return {"status": ERROR, "detail": _detail(exc)}
    if not replies:
        return {"status": ERROR, "detail": f"no worker answered within {TIMEOUT_SECONDS:g} s"}
    return {"status": OK}


@login_not_required
@require_GET
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


class LivenessMiddleware:
    """Answer ``/healthz`` before the session and authentication middleware: a request carrying a
    session cookie would otherwise read the session table (Django's login-required middleware
    looks at the user before it looks at the view), and a database outage would fail liveness."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)


@login_not_required
@require_GET
def readyz(request):
    started = time.perf_counter()
    checks = {"database": check_database(), "redis": check_redis()}
    checks["celery_worker"] = check_worker(checks["redis"]["status"])
    required = {"database", "redis"}
    if settings.RISKBOARD_READYZ_REQUIRE_WORKER:
        required.add("celery_worker")
    ready = all(checks[name]["status"] != ERROR for name in required)
    body = {
        "status": OK if ready else ERROR,
        "checks": checks,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if ready else 503)
