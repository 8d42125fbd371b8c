"""Fixtures of the scoring tests: generated portfolios, and a real Celery worker with its broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from assessments.choices import AgreementStatus, AssessmentStatus, Confidence
from assessments.models import Agreement, Assessment, Rating
from catalogue.choices import RollupMethod
from tests.factories import AgreementFactory, CatalogueFactory, PartnerFactory, TeamFactory

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Portfolio:
    catalogues: list = field(default_factory=list)
    partners: list = field(default_factory=list)
    agreements: list = field(default_factory=list)
    teams: list = field(default_factory=list)


def _random_rating(rng: random.Random, assessment_id: int, category_id: int, complete: bool = True) -> Rating:
    il, ii = rng.randint(1, 5), rng.randint(1, 5)
    rl, ri = rng.randint(1, il), rng.randint(1, ii)
    return Rating(
        assessment_id=assessment_id, category_id=category_id,
        inherent_likelihood=il, inherent_impact=ii,
        residual_likelihood=rl if complete else None, residual_impact=ri,
        confidence=rng.choice(list(Confidence)),
    )


def build_portfolio(*, seed: int = 1, agreements: int = 40, partners: int = 8, history: int = 3) -> Portfolio:
    """A varied portfolio: four catalogues (one per roll-up method, and a weighted mean with floors;
    uneven weights), agreements of every status with up to ``history`` approved assessments
    (approval-time ties included), some open assessments, some incomplete ratings and some
    agreements never approved."""
    rng = random.Random(seed)
    out = Portfolio()
    out.teams = [TeamFactory(), TeamFactory(), TeamFactory()]
    for method, params in (
        (RollupMethod.WEIGHTED_MEAN, {}),
        (RollupMethod.COUNT_RULE, {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}),
        (RollupMethod.WORST_CASE, {}),
        # Floors, strict enough that they raise bands often on random ratings (whose residual levels
        # are rarely Critical).
        (RollupMethod.WEIGHTED_MEAN, {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "CRITICAL"},
                                                {"escalate_band": "HIGH", "min_count": 1, "to_band": "HIGH"},
                                                {"escalate_band": "MEDIUM", "min_count": 3, "to_band": "HIGH"}]}),
    ):
        catalogue = CatalogueFactory(rollup_method=method, rollup_params=params, contents__categories=4)
        for category in catalogue.categories.all():
            category.weight = Decimal(rng.choice(["0.50", "1.00", "1.25", "2.00", "3.75"]))
            category.save(update_fields=["weight"])
        out.catalogues.append(catalogue)
    out.partners = [PartnerFactory() for _ in range(partners)]
    statuses = [AgreementStatus.ACTIVE] * 6 + [AgreementStatus.SUSPENDED, AgreementStatus.PROPOSED,
                                               AgreementStatus.TERMINATED]
    base = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    for _ in range(agreements):
        agreement = AgreementFactory(
            owner_team=rng.choice(out.teams), status=rng.choice(statuses),
            partners=rng.sample(out.partners, rng.choice([1, 1, 2, 3])),
        )
        out.agreements.append(agreement)
        n_approved = rng.choice([0, *range(1, history + 1)])
        for k in range(n_approved):
            catalogue = rng.choice(out.catalogues)
            # Every third agreement has two approvals at the same instant: the later id wins.
            approved_at = base + dt.timedelta(days=30 * k if rng.random() > 0.3 else 0)
            assessment = Assessment.objects.create(
                agreement=agreement, catalogue=catalogue, status=AssessmentStatus.APPROVED,
                as_of=approved_at.date(), approved_at=approved_at,
            )
            categories = list(catalogue.categories.all())
            if rng.random() < 0.1:
                categories = categories[:-1]  # a category left unrated
            Rating.objects.bulk_create(
                _random_rating(rng, assessment.pk, c.pk, complete=rng.random() > 0.05) for c in categories
            )
        if rng.random() < 0.2:
            draft = Assessment.objects.create(agreement=agreement, catalogue=out.catalogues[0],
                                              status=AssessmentStatus.DRAFT, as_of=dt.date(2025, 1, 1))
            Rating.objects.bulk_create(_random_rating(rng, draft.pk, c.pk) for c in out.catalogues[0].categories.all())
    return out


def approve_new_assessment(*, agreement: Agreement, rng: random.Random, catalogue=None, when=None) -> Assessment:
    """Write a new approved assessment of ``agreement`` straight to the tables (no workflow)."""
    catalogue = catalogue or Assessment.objects.filter(agreement=agreement).first().catalogue
    when = when or dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 10**6))
    assessment = Assessment.objects.create(agreement=agreement, catalogue=catalogue, status=AssessmentStatus.APPROVED,
                                           as_of=when.date(), approved_at=when)
    Rating.objects.bulk_create(_random_rating(rng, assessment.pk, c.pk) for c in catalogue.categories.all())
    return assessment


@pytest.fixture
def portfolio(db) -> Portfolio:
    return build_portfolio()


# --- A real broker and worker -------------------------------------------------------------------


def _require_celery_environment() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("celery tests need PostgreSQL (set DATABASE_URL); the worker shares the test database")
    broker = os.environ.get("RISKBOARD_TEST_BROKER_URL")
    if not broker:
        pytest.skip("celery tests need a Redis broker: set RISKBOARD_TEST_BROKER_URL=redis://127.0.0.1:6379/15")
    return broker


def _test_database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user or password else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


class Broker:
    """A Redis server this test owns (so it may stop it), on its own port."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/15"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Worker:
    """``celery worker`` (with beat) in a subprocess, against the pytest-django test database."""

    def __init__(self, *, broker_url: str, logfile: Path, sweep_seconds: float = 60):
        self.broker_url = broker_url
        self.logfile = logfile
        self.sweep_seconds = sweep_seconds
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "riskboard.settings.base",
            "DJANGO_SECRET_KEY": "celery-test-worker",
            "DATABASE_URL": _test_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": self.broker_url,
            "RISKBOARD_SCORES_SWEEP_SECONDS": str(self.sweep_seconds),
            "PYTHONPATH": str(REPO),
        }
        self.offset = self.logfile.stat().st_size if self.logfile.exists() else 0
        self.process = subprocess.Popen(
            # Both queues, as ``make worker`` and the two compose workers consume them.
            [sys.executable, "-m", "celery", "-A", "riskboard", "worker", "--pool=solo", "--beat",
             "--queues=celery,dashboards",
             f"--schedule={self.logfile.parent / 'beat-schedule'}", "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat", f"--logfile={self.logfile}"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, with the embedded beat process
        )
        self.wait_for_log("ready.", timeout=60)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log()[self.offset:]:
                return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"The worker exited early:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} not in the worker log after {timeout} s:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the worker and its beat process: no cleanup, no acknowledgement, as when a
        machine dies."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
            self.kill()  # whatever of the group is left


def _purge(url: str) -> None:
    import redis

    parts = urlsplit(url)
    client = redis.Redis.from_url(urlunsplit(parts))
    client.flushdb()


@pytest.fixture
def celery_publisher(settings):
    """Make this test process publish tasks to a broker instead of running them in-process."""
    from riskboard.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def reset_pools() -> None:
        # Connection and producer pools are created lazily for the broker configured at the time.
        app._pool = None
        app.amqp._producer_pool = None

    def point_at(broker_url: str) -> None:
        app.conf.update(broker_url=broker_url, task_always_eager=False)
        reset_pools()

    yield point_at
    app.conf.update(**saved)
    reset_pools()


@pytest.fixture
def celery_worker(transactional_db, celery_publisher, tmp_path):
    """A real worker and beat on the shared test broker (RISKBOARD_TEST_BROKER_URL)."""
    broker = _require_celery_environment()
    _purge(broker)
    celery_publisher(broker)
    worker = Worker(broker_url=broker, logfile=tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()
    _purge(broker)


@pytest.fixture
def own_broker(tmp_path):
    """A Redis server on port 6391 that the test may stop and start (never the shared one)."""
    broker = Broker(6391, tmp_path)
    broker.start()
    yield broker
    broker.stop()
