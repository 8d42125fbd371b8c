"""Structured logs: one JSON object per line with the request's id, user, path, status and
duration; the id comes from a well-formed X-Request-ID or is made, and is echoed; task lines
carry the task's id. Security events: sign-ins, 403s and token use."""

from __future__ import annotations

import io
import json
import logging

import pytest

from riskboard.security.logs import ContextFilter, JsonFormatter
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """What the production handler would write, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("riskboard.request", "riskboard.security", "tests.security")]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_each_request_is_one_json_line_with_its_context(client, member, json_lines):
    client.force_login(member)
    response = client.get("/agreements/", headers={"X-Request-ID": "lb-2f1c.77:a"})
    assert response["X-Request-ID"] == "lb-2f1c.77:a"
    (line,) = [entry for entry in json_lines() if entry["logger"] == "riskboard.request"]
    assert line["message"] == "GET /agreements/ 200"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    assert line["request_id"] == "lb-2f1c.77:a" and line["user_id"] == member.pk
    assert line["path"] == "/agreements/" and line["status"] == 200 and line["method"] == "GET"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, 'quote"', "new\nline"])
def test_a_malformed_request_id_is_replaced(client, incoming, json_lines):
    response = client.get("/healthz", headers={"X-Request-ID": incoming} if "\n" not in incoming else {},
                          **({"HTTP_X_REQUEST_ID": incoming} if "\n" in incoming else {}))
    made = response["X-Request-ID"]
    assert made != incoming and len(made) == 32 and int(made, 16) >= 0
    assert json_lines()[-1]["request_id"] == made


def test_lines_logged_inside_a_view_carry_the_request_id(client, member, json_lines):
    sign_in(client, member.username)
    entries = json_lines()
    signed_in = next(e for e in entries if e.get("event") == "login")
    request_line = next(e for e in entries if e["logger"] == "riskboard.request")
    assert signed_in["request_id"] == request_line["request_id"]
    assert signed_in["user_id"] == member.pk and signed_in["ip"] == "192.0.2.10"


def test_a_403_is_a_security_event(client, world, json_lines):
    client.force_login(world.auditor)
    assert client.get("/my-work/").status_code == 403
    refused = next(e for e in json_lines() if e.get("event") == "forbidden")
    assert refused["level"] == "WARNING" and refused["path"] == "/my-work/" and refused["user_id"] == world.auditor.pk


def test_token_use_is_logged_by_prefix_never_by_key(client, world, json_lines):
    from api.services import api_token_create

    token, key = api_token_create(client="reporting", scope="read")
    assert client.get("/api/v1/agreements/", headers={"Authorization": f"Token {key}"}).status_code == 200
    wrong = {"Authorization": f"Token {token.prefix}.wrong"}
    assert client.get("/api/v1/agreements/", headers=wrong).status_code == 401
    entries = json_lines()
    used = next(e for e in entries if e.get("event") == "token_use")
    refused = next(e for e in entries if e.get("event") == "token_refused")
    assert used["token_prefix"] == token.prefix and refused["token_prefix"] == token.prefix
    assert key.partition(".")[2] not in json.dumps(entries)


def test_task_lines_carry_the_task_id(json_lines):
    from riskboard.celery import app

    @app.task(name="tests.security.log_line")
    def log_line():
        logging.getLogger("tests.security").info("inside the task")

    result = log_line.apply()
    line = next(e for e in json_lines() if e["message"] == "inside the task")
    assert line["task_id"] == result.id and line["task_name"] == "tests.security.log_line"


def test_an_exception_is_one_line_with_its_traceback(json_lines):
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("tests.security").exception("it failed")
    (line,) = [e for e in json_lines() if e["message"] == "it failed"]
    assert "ValueError: bad value" in line["exception"]


def test_the_log_format_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    from riskboard.settings.base import logging_config

    assert logging_config("json")["handlers"]["console"]["formatter"] == "json"
    with pytest.raises(ImproperlyConfigured):
        logging_config("yaml")


@pytest.mark.postgres
@pytest.mark.celery
def test_worker_lines_are_json_with_the_task_id(transactional_db, celery_publisher, tmp_path, monkeypatch):
    """A real worker with DJANGO_LOG_FORMAT=json: its own lines and its tasks' lines are JSON
    objects, a task's carrying the task's id."""
    from assessments.tasks import scores_sweep
    from tests.assessments.conftest import Broker, Worker, _require_celery_environment
    from tests.security.test_health import free_port

    _require_celery_environment()
    monkeypatch.setenv("DJANGO_LOG_FORMAT", "json")
    broker = Broker(free_port(), tmp_path)
    broker.start()
    worker = Worker(broker_url=broker.url, logfile=tmp_path / "worker.log")
    try:
        worker.start()
        celery_publisher(broker.url)
        result = scores_sweep.delay()
        worker.wait_for_log("succeeded", timeout=60)
    finally:
        worker.stop()
        broker.stop()
    lines = [json.loads(line) for line in worker.log().splitlines() if line.strip()]
    assert any(entry["message"].endswith("ready.") for entry in lines)
    done = [entry for entry in lines if entry.get("task_id") == result.id]
    assert done and all(entry["task_name"] == "assessments.tasks.scores_sweep" for entry in done)
    assert any("succeeded" in entry["message"] for entry in done)
