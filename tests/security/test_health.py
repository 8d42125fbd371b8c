"""/healthz (liveness, no database) and /readyz (database, Redis and a Celery worker)."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import connections

from tests.assessments.conftest import Broker, Worker, _require_celery_environment

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("signed_in", [False, True])
def test_liveness_answers_without_the_database(client, member, django_assert_num_queries, monkeypatch, signed_in):
    if signed_in:  # a browser's session cookie is not even read
        client.force_login(member)

    def no_database(*args, **kwargs):
        raise AssertionError("the liveness check touched the database")

    monkeypatch.setattr(connections["default"], "cursor", no_database)
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_in_process_tasks_are_ready_without_redis_or_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"]["status"] == "not configured"
    assert body["checks"]["celery_worker"]["status"] == "not configured"


def test_a_failing_database_is_not_ready(client, monkeypatch):
    def broken(*args, **kwargs):
        raise connections["default"].Database.OperationalError("the server closed the connection")

    monkeypatch.setattr(connections["default"], "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "error", "detail": "OperationalError: the server closed the connection",
    }


def test_an_unreachable_broker_is_not_ready_and_says_so_quickly(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["status"] == "error" and "ConnectionError" in checks["redis"]["detail"]
    assert checks["celery_worker"] == {"status": "error", "detail": "the broker is unreachable"}


def test_redis_up_without_a_worker_is_not_ready_unless_the_worker_is_optional(client, settings, tmp_path):
    broker = Broker(free_port(), tmp_path)
    broker.start()
    try:
        settings.CELERY_BROKER_URL = broker.url
        response = client.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["redis"] == {"status": "ok"}
        worker = checks["celery_worker"]
        assert worker["status"] == "error" and "no worker answered" in worker["detail"]

        settings.RISKBOARD_READYZ_REQUIRE_WORKER = False
        assert client.get("/readyz").status_code == 200
    finally:
        broker.stop()


def wait_for_status(client, status: int, *, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/readyz")
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.json()
            return response.json()
        time.sleep(0.5)


@pytest.mark.postgres
@pytest.mark.celery
def test_readiness_follows_redis_going_away_and_coming_back(client, settings, tmp_path, transactional_db):
    """A real worker on a Redis server of this test's own: ready; Redis stopped: 503 naming Redis;
    Redis back: ready again once the worker has reconnected."""
    _require_celery_environment()
    broker = Broker(free_port(), tmp_path)
    broker.start()
    worker = Worker(broker_url=broker.url, logfile=tmp_path / "worker.log")
    try:
        worker.start()
        settings.CELERY_BROKER_URL = broker.url
        body = wait_for_status(client, 200, timeout=20)
        assert body["checks"]["redis"] == {"status": "ok"}
        assert body["checks"]["celery_worker"]["status"] == "ok"

        broker.stop()
        body = wait_for_status(client, 503, timeout=10)
        assert body["checks"]["redis"]["status"] == "error"
        assert body["checks"]["database"] == {"status": "ok"}

        broker.start()
        body = wait_for_status(client, 200, timeout=60)
        assert body["checks"]["celery_worker"]["status"] == "ok"
    finally:
        worker.stop()
        broker.stop()
