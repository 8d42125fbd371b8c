"""Benchmark of score aggregation: ``make bench``.

Uses the PostgreSQL database named by ``DATABASE_URL``; ``AGREEMENTS`` (default 20000, with 5
assessments of history each) sizes the portfolio, generated with ``generate_portfolio`` when the
database holds fewer agreements. Prints the figures and writes ``bench/results.json``.

What is measured (medians of repeated runs unless said otherwise):

- ``full_recompute_s``: ``scores_full_recompute()`` (after one warm-up run, reported as
  ``full_recompute_cold_s``). With nothing changed since the warm-up it reads and computes
  everything and writes only the portfolio rows and today's snapshot: what the nightly run does
  when the incremental recomputes have kept up.
- ``full_recompute_from_scratch_s``: the worst case, a full recompute writing every row (the
  score tables emptied first, in a transaction then rolled back; foreign keys checked as rows are
  written, as the commit would).
- ``sql_floor_s``: one SELECT computing the partner x team x category tallies from the latest
  approved ratings: the current-rating expression of the portable path (DISTINCT ON, the matrix
  grid), one join to the partners and one GROUP BY (by team too, as the stored rows are),
  fetched to this process; same session settings (``session_settings``: work_mem, JIT off) as the
  full recompute.
- ``full_to_floor_ratio``: ``full_recompute_s`` / ``sql_floor_s``. The two are timed in alternation, ``BENCH_ROUNDS``
  (default 7) rounds of one each, so that a change in the machine's load falls on both; the
  ratio of the medians is reported, with the lowest and highest ratio of one round
  (``full_to_floor_ratio_range``).
- ``python_loop_s``: ``scores_compute_in_python()``, the ORM ``values_list`` loop over every
  rating of approved assessments calling ``assessments.scoring``.
- ``incremental_*``: one approval's ``agreements_recompute`` (time, statements), and the
  differences between 50 random approvals applied incrementally and a full recompute from
  scratch. These run inside a transaction that is rolled back, leaving the data as it was.
- ``worker_peak_rss_mb``: peak resident memory of a ``manage.py recompute_scores --full`` process.
- ``approval_to_visible_p95_ms``: real approvals (``assessment_approve``) through a Celery
  worker and Redis (``RISKBOARD_BENCH_BROKER_URL``, default redis://127.0.0.1:6379/14): time from
  the commit to the agreement's score showing the new assessment. These approvals are committed.
- ``audit_page_ms_large`` / ``audit_page_ms_small``: server time (the whole request, in process,
  signed in as an auditor) of the first page of ``/audit/``, at this portfolio and at one of
  ``AUDIT_SMALL_AGREEMENTS`` (200) agreements kept in a database of its own, named after this
  one with ``_small`` appended (created when missing). ``audit_deep_page_ms_*``: the page that
  starts halfway through the history, as its "Older" link reaches it. Medians of 15 rounds,
  each one request of each page at each size. ``*_large_to_small_ratio``: how much the page
  slows as the history grows 100-fold.

- ``dashboard_*``, ``heatmap_payload_kib``, ``first_load_kib``, ``repeat_load_kib``: the manager's
  dashboard at this portfolio and at the small one (the same ``_small`` database): see
  ``bench/dashboard.py``.

- ``page_ms_*``, ``page_ratio_*``, ``page_queries_*``, ``api_ms_*``: the pages a team works in and
  the API lists, single user, at this portfolio and the small one: see ``bench/pages.py``.

With ``SCALE=10`` (``make bench SCALE=10``) the portfolio is ten times larger, in its own database
(``<benchmark database>_x10``, generated once with a progress bar and reused); the scores and pages
parts are measured (not the Python loop, the audit, dashboard or API load parts) and written to
``bench/results-x10.json`` with ``growth_<key>``: the figure divided by the 1x figure
(``growth_full_recompute`` <= 10; ``growth_incremental``, ``growth_page_ms_*`` and
``growth_api_ms`` <= 1.5); ``worker_peak_rss_mb`` there is the worker's peak at 10x (<= 300). The
1x full and incremental recomputes are timed in alternation with the 10x ones, by a process of
its own on the 1x database (``full_recompute_s_at_1x``, ``incremental_s_at_1x``: the same load
falls on both sides of the ratio; the ratio to the 1x run's figures in ``bench/results.json``,
which may have been measured at another hour, is kept as ``growth_<key>_against_the_1x_run``);
the pages' growth is against the 1x run's figures.

``bench/run.py --only scores``, ``--only audit``, ``--only dashboard``, ``--only api`` or
``--only pages`` measures one part and updates its keys in ``bench/results.json``, keeping the others.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# SCALE=10: a portfolio ten times larger in a database of its own (the benchmark database's name
# with _x10 appended), generated once and reused; its figures go to bench/results-x10.json with
# growth ratios against the 1x recomputes timed alongside and the 1x run's pages (bench/results.json).
SCALE = int(os.environ.get("SCALE", "1") or "1")
BASE_DATABASE_URL = os.environ.get("DATABASE_URL", "")  # the 1x portfolio's (SCALE > 1: timed alongside)
if SCALE != 1 and os.environ.get("DATABASE_URL") and "--audit-page-here" not in sys.argv:
    from bench.dashboard import _database_url_with_name, _ensure_database

    _base = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    os.environ["DATABASE_URL"] = _database_url_with_name(os.environ["DATABASE_URL"], f"{_base}_x{SCALE}")
    _ensure_database(os.environ["DATABASE_URL"])
    os.environ.setdefault("AGREEMENTS", str(20000 * SCALE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskboard.settings.base")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
BROKER = os.environ.get("RISKBOARD_BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ["CELERY_BROKER_URL"] = BROKER  # approvals publish to the worker started below

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessments import aggregation, services  # noqa: E402
from assessments.aggregation.catalogue_rules import catalogue_rules, confidence_widening  # noqa: E402
from assessments.aggregation.reference import (  # noqa: E402
    scores_compute_in_python,
    scores_differences,
    scores_stored,
)
from assessments.aggregation.sql import Dialect, T, session_settings  # noqa: E402
from assessments.choices import AgreementStatus, AssessmentStatus  # noqa: E402
from assessments.models import Agreement, AgreementScore, Assessment, Membership, Rating  # noqa: E402
from bench.api import measure_api  # noqa: E402  (the REST API's keys: see its docstring)
from riskboard.roles import Role  # noqa: E402

BASELINE = REPO / "bench" / "results.json"
RESULTS = BASELINE if SCALE == 1 else REPO / "bench" / f"results-x{SCALE}.json"
# growth_<key>: this run's figure / the 1x figure (SCALE > 1: see ScoresAt1x), and its target.
GROWTH = {
    "full_recompute": ("full_recompute_s", SCALE),
    "incremental": ("incremental_s", 1.5),
    **{f"page_ms_{page}": (f"page_ms_{page}", 1.5) for page in ("agreements", "dashboard", "agreement", "review",
                                                                  "form")},
    **{f"api_ms_{name}": (f"api_ms_{name}", 1.5) for name in ("agreements", "partners", "assessments")},
}
HISTORY = 5
AUDIT_SMALL_AGREEMENTS = 200
# The lines on which the small portfolio's process reports (bench/run.py --audit-page-here).
AUDIT_READY, AUDIT_RESULT = "audit-ready: ", "audit-sample: "
# ... and the 1x portfolio's, timed alongside a SCALE > 1 run (bench/run.py --scores-here).
SCORES_READY, SCORES_RESULT = "scores-ready: ", "scores-sample: "
TARGETS = {
    "full_to_floor_ratio": ("<=", 1.5),
    "incremental_to_full_ratio": ("<=", 0.01),
    "incremental_mismatches": ("==", 0),
    "api_assessments_ratio": ("<=", 2.0),
    "api_errors": ("==", 0),
    "worker_peak_rss_mb": ("<=", 300),
    "audit_page_large_to_small_ratio": ("<=", 2),
    "audit_deep_page_large_to_small_ratio": ("<=", 2),
    "dashboard_time_ratio": ("<=", 2),
    "heatmap_payload_kib": ("<=", 200),
    "repeat_load_kib": ("<=", 100),
}


def say(message: str) -> None:
    print(message, flush=True)


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


# --- Portfolio --------------------------------------------------------------------------------


def ensure_portfolio(agreements: int) -> None:
    call_command("migrate", verbosity=0)
    have = Agreement.objects.count()
    if have < agreements:
        say(f"Generating {agreements - have} agreements x {HISTORY} assessments (this takes minutes)...")
        call_command("generate_portfolio", agreements=agreements - have, history=HISTORY, seed=agreements)
    elif have > agreements:
        say(f"Note: the database holds {have} agreements (AGREEMENTS={agreements}); measuring all of them.")
    with connection.cursor() as cursor:
        # Fresh planner statistics after a bulk load, and no dead rows left by an earlier run: the
        # state autovacuum keeps a database in.
        cursor.execute("VACUUM (ANALYZE)")


# --- Measurements -------------------------------------------------------------------------------


def floor_sql() -> str:
    dialect = Dialect(connection)
    catalogue_ids = Assessment.objects.filter(status=AssessmentStatus.APPROVED).values_list(
        "catalogue_id", flat=True).distinct()
    rules = catalogue_rules(catalogue_ids=catalogue_ids)
    current = dialect.current_ratings(confidence_widening(), rules)
    # Per team too, as the stored rows are (the current ratings carry each agreement's owner team).
    return (
        f"SELECT ap.partner_id, c.team_id, c.category_code, {dialect.tally_of_ratings()} FROM ({current}) c "
        f"JOIN {T.agreement_partners} ap ON ap.agreement_id = c.agreement_id WHERE c.active "
        f"GROUP BY ap.partner_id, c.team_id, c.category_code"
    )


def full_recompute_from_scratch() -> float:
    """A full recompute that writes every row (no score stored yet), in a transaction rolled back."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for table in (T.agreement_score, T.partner_score, T.partner_category_score, T.category_score,
                              T.portfolio_score):
                    cursor.execute(f"DELETE FROM {table}", [])
                # Foreign keys checked as rows are written, not at a commit that never comes.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE", [])
            seconds, _ = timed(aggregation.scores_full_recompute)
            raise Rollback
    except Rollback:
        return seconds


def run_floor(sql: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        session_settings(cursor, connection.vendor)  # as the full recompute: work_mem, no JIT
        cursor.execute(sql, [])
        return len(cursor.fetchall())


def peak_rss_of_full_recompute() -> float:
    """Peak RSS (MB) of a separate process running the full recompute, as a worker would."""
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, str(REPO / "manage.py"), "recompute_scores", "--full", "--verbosity", "0"],
        cwd=REPO, env=os.environ.copy(),
    )
    peak = 0
    process = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.005)
    if child.wait() != 0:
        raise RuntimeError("recompute_scores --full failed")
    import resource

    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
    return peak / 2**20


def new_approved_assessment(agreement_id: int, rng: random.Random) -> int:
    """An approved reassessment written straight to the tables: the previous ratings, some changed."""
    previous = Assessment.objects.filter(agreement_id=agreement_id).approved_latest_first().first()
    now = timezone.now()
    assessment = Assessment.objects.create(
        agreement_id=agreement_id, catalogue_id=previous.catalogue_id, status=AssessmentStatus.APPROVED,
        as_of=now.date(), approved_at=now, submitted_at=now, previous=previous,
    )
    ratings = []
    for old in Rating.objects.filter(assessment=previous):
        il, ii = rng.randint(1, 5), rng.randint(1, 5)
        ratings.append(Rating(
            assessment=assessment, category_id=old.category_id, inherent_likelihood=il, inherent_impact=ii,
            residual_likelihood=rng.randint(1, il), residual_impact=rng.randint(1, ii), confidence=old.confidence,
        ))
    Rating.objects.bulk_create(ratings)
    return assessment.pk


class Rollback(Exception):
    pass


def incremental_samples(rng: random.Random, count: int) -> list[tuple[float, int]]:
    """``count`` approvals' incremental recomputes: (seconds, statements) each; rolled back."""
    active = list(AgreementScore.objects.filter(is_active=True).values_list("agreement_id", flat=True))
    samples = []
    try:
        with transaction.atomic():
            for agreement_id in rng.sample(active, count):
                new_approved_assessment(agreement_id, rng)
                aggregation.agreements_mark_dirty(agreement_ids=[agreement_id], reason="bench")
                with CaptureQueriesContext(connection) as queries:
                    seconds, _ = timed(aggregation.agreements_recompute, agreement_ids=[agreement_id])
                samples.append((seconds, len(queries.captured_queries)))
            raise Rollback
    except Rollback:
        pass
    return samples


def measure_incremental(full_seconds: float, rng: random.Random, at_1x: ScoresAt1x | None) -> dict:
    """Incremental recomputes of approvals (20, in rounds of 5; alternating with as many at 1x when
    ``at_1x``) and their equivalence to a full recompute; rolled back."""
    out = {}
    samples, samples_1x = [], []
    for _ in range(4):
        samples += incremental_samples(rng, 5)
        if at_1x:
            samples_1x += at_1x.sample("incremental 5")
    out["incremental_s"] = statistics.median(seconds for seconds, _ in samples)
    out["incremental_to_full_ratio"] = out["incremental_s"] / full_seconds
    out["incremental_statements"] = max(statements for _, statements in samples)
    if at_1x:
        out["incremental_s_at_1x"] = statistics.median(samples_1x)
    try:
        with transaction.atomic():
            everything = list(Agreement.objects.values_list("id", flat=True))
            for agreement_id in rng.sample(everything, 50):
                if rng.random() < 0.2:  # a status change now and then
                    Agreement.objects.filter(pk=agreement_id).update(status=rng.choice(list(AgreementStatus)))
                elif Assessment.objects.filter(agreement_id=agreement_id, status=AssessmentStatus.APPROVED).exists():
                    new_approved_assessment(agreement_id, rng)
                aggregation.agreements_recompute(agreement_ids=[agreement_id])
            incremental = scores_stored()
            with connection.cursor() as cursor:
                for table in (T.agreement_score, T.partner_score, T.partner_category_score, T.category_score,
                              T.portfolio_score):
                    cursor.execute(f"DELETE FROM {table}", [])
            aggregation.scores_full_recompute()
            differences = scores_differences(scores_stored(), incremental)
            out["incremental_mismatches"] = len(differences)
            for line in differences[:5]:
                say(f"  mismatch: {line}")
            raise Rollback
    except Rollback:
        pass
    return out


def start_worker(logfile: Path) -> subprocess.Popen:
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "riskboard", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", f"--logfile={logfile}"],
        cwd=REPO, env={**os.environ, "CELERY_BROKER_URL": BROKER}, stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if logfile.exists() and "ready." in logfile.read_text(errors="replace"):
            return worker
        if worker.poll() is not None:
            break
        time.sleep(0.1)
    worker.kill()
    raise RuntimeError(f"The Celery worker did not start; see {logfile}")


def bench_users():
    from django.contrib.auth import get_user_model

    users = []
    for username in ("bench-author", "bench-reviewer"):
        user, _ = get_user_model().objects.get_or_create(username=username)
        Membership.objects.get_or_create(user=user, team=None, role=Role.ADMINISTRATOR)
        users.append(user)
    return users


def measure_approval_to_visible(rng: random.Random, approvals: int = 25) -> dict:
    author, reviewer = bench_users()
    logfile = REPO / "bench" / "worker.log"
    logfile.unlink(missing_ok=True)
    worker = start_worker(logfile)
    latencies = []
    try:
        candidates = list(
            AgreementScore.objects.filter(is_active=True).exclude(
                agreement__assessments__status__in=[AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED,
                                                    AssessmentStatus.RETURNED]
            ).values_list("agreement_id", flat=True)
        )
        for agreement_id in rng.sample(candidates, approvals):
            agreement = Agreement.objects.get(pk=agreement_id)
            draft = services.assessment_start(agreement=agreement, actor=author)
            submitted = services.assessment_submit(assessment=draft, actor=author)
            committed: list[float] = []
            with transaction.atomic():
                transaction.on_commit(lambda done=committed: done.append(time.perf_counter()))  # before publishing
                approved = services.assessment_approve(assessment=submitted, actor=reviewer)
            deadline = time.monotonic() + 30
            while not AgreementScore.objects.filter(agreement_id=agreement_id, assessment_id=approved.pk).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Approval of agreement {agreement_id} not visible after 30 s; see {logfile}")
                time.sleep(0.002)
            latencies.append((time.perf_counter() - committed[0]) * 1000)
    finally:
        worker.terminate()
        worker.wait(30)
    latencies.sort()
    return {
        "approval_to_visible_p50_ms": statistics.median(latencies),
        "approval_to_visible_p95_ms": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "approvals_measured": len(latencies),
    }


class AuditPageSampler:
    """Times /audit/ in process, signed in as an auditor: the first page, and the page halfway
    through the history as its "Older" link reaches it (the cursor of the middle rating entry)."""

    def __init__(self):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import reverse

        from audit.models import RatingEvent
        from audit.selectors import AuditCursor, audit_event_models

        user, _ = get_user_model().objects.get_or_create(username="bench-auditor")
        Membership.objects.get_or_create(user=user, team=None, role=Role.AUDITOR)
        self.entries = sum(m.objects.count() for m in audit_event_models())
        middle = RatingEvent.objects.order_by("pgh_id")[RatingEvent.objects.count() // 2]
        cursor = AuditCursor(at=middle.pgh_created_at, event_label=RatingEvent._meta.label_lower,
                             event_id=middle.pgh_id)
        first = reverse("audit:global")
        self.urls = {"first": first, "deep": f"{first}?after={cursor.token}"}
        plain_static = {**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # no collectstatic manifest
        override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain_static).enable()
        self.client = Client()
        self.client.force_login(user)
        for _ in range(2):  # warm-up
            self.sample()

    def sample(self) -> dict[str, float]:
        """One request of each page: milliseconds by page."""
        times = {}
        for name, url in self.urls.items():
            seconds, response = timed(self.client.get, url)
            if response.status_code != 200 or b'rel="next"' not in response.content:
                raise RuntimeError(f"{url} answered {response.status_code} without a full page of entries")
            times[name] = seconds * 1000
        return times


class ScoresAt1x:
    """The 1x portfolio's full and incremental recomputes, timed by a process of its own on the 1x
    database, one sample per request: a SCALE > 1 run alternates them with its own, so that its
    growth ratios compare figures taken under the same load (a figure from an earlier 1x run may
    have been taken on a faster or slower hour of this machine)."""

    def __init__(self):
        self.child = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), "--scores-here"],
            cwd=REPO, env={**os.environ, "DATABASE_URL": BASE_DATABASE_URL, "SCALE": "1",
                           "AGREEMENTS": str(int(os.environ["AGREEMENTS"]) // SCALE)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.agreements = self._report(SCORES_READY)["agreements"]

    def _report(self, prefix: str):
        for line in self.child.stdout:
            if line.startswith(prefix):
                return json.loads(line.removeprefix(prefix))
            say(f"  [1x] {line.rstrip()}")
        raise RuntimeError(f"The 1x portfolio's process ended ({self.child.wait()}) before it reported.")

    def sample(self, request: str):
        try:
            self.child.stdin.write(request + "\n")
        except BrokenPipeError:
            raise RuntimeError(f"The 1x portfolio's process ended ({self.child.wait()}).") from None
        return self._report(SCORES_RESULT)

    def close(self) -> None:
        """Ends the process (its input closed; killed if it has not ended within two minutes)."""
        with contextlib.suppress(BrokenPipeError):
            self.child.stdin.close()
        try:
            self.child.wait(120)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()


def serve_score_samples(rng: random.Random) -> None:
    """The 1x portfolio's side (``--scores-here``): per line read from stdin, ``full`` times one full
    recompute (seconds), ``incremental N`` N approvals' incremental recomputes (seconds each)."""
    aggregation.scores_full_recompute()  # warm-up, as the run it is compared with
    say(SCORES_READY + json.dumps({"agreements": Agreement.objects.count()}))
    for line in sys.stdin:
        request, *count = line.split()
        if request == "full":
            say(SCORES_RESULT + json.dumps(timed(aggregation.scores_full_recompute)[0]))
        else:
            say(SCORES_RESULT + json.dumps([seconds for seconds, _ in incremental_samples(rng, int(count[0]))]))


def serve_audit_samples() -> None:
    """The small portfolio's side (``--audit-page-here``): one sample per line read from stdin."""
    sampler = AuditPageSampler()
    say(AUDIT_READY + json.dumps({"entries": sampler.entries}))
    for _ in sys.stdin:
        say(AUDIT_RESULT + json.dumps(sampler.sample()))


def small_database_url(url: str) -> str:
    """The URL of the small portfolio's database: this one's, its name suffixed with ``_small``."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_small"))


def ensure_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            say(f"Creating the database {name}.")
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def measure_audit(results: dict, rounds: int = 15) -> None:
    """The audit page at this portfolio and at the small one, sampled in alternation (one request
    of each page here, then there, ``rounds`` times) so that a change in the machine's load
    falls on both; the small one is served by a process of its own on its own database."""
    url = small_database_url(os.environ["DATABASE_URL"])
    ensure_database(urllib.parse.urlsplit(url).path.lstrip("/"))
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(__file__).resolve()), "--audit-page-here"],
        cwd=REPO, env={**os.environ, "DATABASE_URL": url, "AGREEMENTS": str(AUDIT_SMALL_AGREEMENTS)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )

    def report(prefix: str) -> dict:
        for line in child.stdout:
            if line.startswith(prefix):
                return json.loads(line.removeprefix(prefix))
            say(f"  [small] {line.rstrip()}")
        raise RuntimeError(f"The small portfolio's process ended ({child.wait()}) before it reported.")

    try:
        small_entries = report(AUDIT_READY)["entries"]
        large = AuditPageSampler()
        samples: dict[str, dict[str, list[float]]] = {"large": {}, "small": {}}
        for _ in range(rounds):
            child.stdin.write("sample\n")
            for side, times in (("large", large.sample()), ("small", report(AUDIT_RESULT))):
                for page, ms in times.items():
                    samples[side].setdefault(page, []).append(ms)
    finally:
        child.stdin.close()
        child.wait(60)
    results["audit_entries_large"] = large.entries
    results["audit_entries_small"] = small_entries
    for page, key in (("first", "audit_page"), ("deep", "audit_deep_page")):
        small_ms, large_ms = statistics.median(samples["small"][page]), statistics.median(samples["large"][page])
        results[f"{key}_ms_small"] = small_ms
        results[f"{key}_ms_large"] = large_ms
        results[f"{key}_large_to_small_ratio"] = large_ms / small_ms
    results["audit_measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    say(f"Audit page: first {results['audit_page_ms_large']:.1f} ms at {results['agreements']:,} agreements "
        f"({large.entries:,} entries), {results['audit_page_ms_small']:.1f} ms at "
        f"{AUDIT_SMALL_AGREEMENTS} ({small_entries:,}): ratio {results['audit_page_large_to_small_ratio']:.2f}; "
        f"halfway {results['audit_deep_page_ms_large']:.1f} ms vs {results['audit_deep_page_ms_small']:.1f} ms: "
        f"ratio {results['audit_deep_page_large_to_small_ratio']:.2f}.")


def measure_scores(results: dict, rng: random.Random) -> None:
    at_1x = ScoresAt1x() if SCALE != 1 else None
    try:
        measure_scores_here(results, rng, at_1x)
    finally:
        if at_1x:
            at_1x.close()


def measure_scores_here(results: dict, rng: random.Random, at_1x: ScoresAt1x | None) -> None:
    cold, _ = timed(aggregation.scores_full_recompute)
    results["full_recompute_cold_s"] = cold
    results["full_recompute_from_scratch_s"] = full_recompute_from_scratch()
    sql = floor_sql()
    run_floor(sql)  # warm-up
    fulls, floors, fulls_1x = [], [], []
    for _ in range(int(os.environ.get("BENCH_ROUNDS", "7"))):
        fulls.append(timed(aggregation.scores_full_recompute)[0])
        floors.append(timed(run_floor, sql)[0])
        if at_1x:
            fulls_1x.append(at_1x.sample("full"))
    results["full_recompute_s"] = statistics.median(fulls)
    results["sql_floor_s"] = statistics.median(floors)
    if at_1x:
        results["full_recompute_s_at_1x"] = statistics.median(fulls_1x)
        say(f"Full recompute at {at_1x.agreements:,} agreements, in alternation: "
            f"{results['full_recompute_s_at_1x']:.3f} s.")
    results["full_to_floor_ratio"] = results["full_recompute_s"] / results["sql_floor_s"]
    rounds = [full / floor for full, floor in zip(fulls, floors, strict=True)]
    results["full_to_floor_ratio_range"] = [round(min(rounds), 3), round(max(rounds), 3)]
    say(f"Full recompute {results['full_recompute_s']:.3f} s, SQL floor {results['sql_floor_s']:.3f} s "
        f"(ratio {results['full_to_floor_ratio']:.2f}; {min(rounds):.2f} to {max(rounds):.2f} by round).")

    if SCALE == 1:  # the ORM loop holds every rating in memory: not at ten times the portfolio
        results["python_loop_s"], reference = timed(scores_compute_in_python)
        differences = scores_differences(reference, scores_stored())
        results["python_vs_sql_differences"] = len(differences)
        del reference
        say(f"Python loop {results['python_loop_s']:.2f} s ({len(differences)} differences from the SQL result).")

    results["worker_peak_rss_mb"] = peak_rss_of_full_recompute()
    results.update(measure_incremental(results["full_recompute_s"], rng, at_1x))
    say(f"Incremental {results['incremental_s'] * 1000:.1f} ms, {results['incremental_statements']} statements, "
        f"{results['incremental_mismatches']} mismatches.")
    results.update(measure_approval_to_visible(rng))


def main() -> int:
    parser = argparse.ArgumentParser(description="Riskboard benchmark: writes bench/results.json.")
    parser.add_argument("--only", choices=["scores", "audit", "dashboard", "api", "pages"],
                        help="measure one part, keep the others' keys")
    parser.add_argument("--audit-page-here", action="store_true", help=argparse.SUPPRESS)  # the small portfolio
    parser.add_argument("--scores-here", action="store_true", help=argparse.SUPPRESS)  # the 1x one, at SCALE > 1
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        say("make bench needs PostgreSQL: set DATABASE_URL=postgres://... (the benchmark database).")
        return 2
    agreements = int(os.environ.get("AGREEMENTS", "20000"))
    rng = random.Random(int(os.environ.get("BENCH_SEED", "4")))
    ensure_portfolio(agreements)
    if args.audit_page_here:
        serve_audit_samples()
        return 0
    if args.scores_here:
        serve_score_samples(rng)
        return 0
    results: dict = {
        "database": connection.settings_dict["NAME"],
        "agreements": Agreement.objects.count(),
        "ratings": Rating.objects.count(),
        "cpu_count": os.cpu_count(),
    }
    say(f"Portfolio: {results['agreements']:,} agreements, {results['ratings']:,} ratings.")
    if args.only in (None, "scores"):
        results["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        measure_scores(results, rng)
    if args.only in (None, "audit") and SCALE == 1:
        measure_audit(results)  # sets audit_measured_at
    if args.only in (None, "dashboard") and SCALE == 1:  # at scale: page_ms_dashboard (part "pages")
        from bench.dashboard import measure_dashboard_sizes  # the dashboards (issue 9): bench/dashboard.py

        results.update(measure_dashboard_sizes(database_url=os.environ["DATABASE_URL"], large=agreements))
    if args.only in (None, "api") and SCALE == 1:  # at scale: api_ms_* (part "pages")
        results["api_measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results.update(measure_api(say))
    if args.only in (None, "pages"):
        from bench.pages import PAGES, measure_pages_sizes  # issue 12's page budgets: bench/pages.py

        results["pages_measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results.update(measure_pages_sizes(database_url=os.environ["DATABASE_URL"], large=agreements))
        for page in PAGES:
            TARGETS[f"page_ms_{page}"] = ("<=", 50)
            TARGETS[f"page_ratio_{page}"] = ("<=", 2)
            TARGETS[f"page_queries_{page}"] = ("==", results[f"page_queries_{page}_small"])
        say("Pages: " + ", ".join(f"{page} {results[f'page_ms_{page}']:.1f} ms "
                                  f"(x{results[f'page_ratio_{page}']:.2f})" for page in PAGES))
    if args.only and RESULTS.exists():
        # One part measured: keep the other part's figures (and their measured_at) from an earlier run.
        results = {**json.loads(RESULTS.read_text()), **results}

    if SCALE != 1:
        baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
        results["scale"] = SCALE
        for name, (key, limit) in GROWTH.items():
            # Against the 1x figure timed alongside (the scores), else the 1x run's (the pages).
            if key in results and (results.get(f"{key}_at_1x") or baseline.get(key)):
                results[f"growth_{name}"] = results[key] / (results.get(f"{key}_at_1x") or baseline[key])
                TARGETS[f"growth_{name}"] = ("<=", limit)
                if results.get(f"{key}_at_1x") and baseline.get(key):
                    results[f"growth_{name}_against_the_1x_run"] = results[key] / baseline[key]
        if "growth_api_ms_agreements" in results:  # the slowest-growing API list stands for them all
            results["growth_api_ms"] = max(results[f"growth_api_ms_{n}"] for n in ("agreements", "partners",
                                                                                    "assessments")
                                           if f"growth_api_ms_{n}" in results)
            TARGETS["growth_api_ms"] = ("<=", 1.5)
    if "dashboard_queries_small" in results:
        TARGETS["dashboard_queries_large"] = ("==", results["dashboard_queries_small"])
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    say("")
    say(f"{'key':<38} {'value':>12}  target")
    for key, value in results.items():
        shown = f"{value:,.4f}" if isinstance(value, float) else str(value)
        target = TARGETS.get(key)
        verdict = ""
        if target:
            op, limit = target
            ok = value <= limit if op == "<=" else value == limit
            verdict = f"{op} {limit}  {'ok' if ok else 'MISSED'}"
        say(f"{key:<38} {shown:>12}  {verdict}")
    say(f"\nWritten to {RESULTS.relative_to(REPO)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
