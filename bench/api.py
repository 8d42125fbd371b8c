"""Benchmark of the REST API, called by ``bench/run.py`` (or run alone: ``python bench/api.py``).

- ``api_assessments_ratio``: ``GET /api/v1/assessments/?page_size=100`` (with nested ratings,
  their scores and bands, and the roll-up), divided by a plain Django view that reads the same
  rows and their ratings with ``.values()`` and returns them as JSON. Both run through Django's
  test client (middleware included), in alternation, ``API_ROUNDS`` (default 15) rounds after a
  warm-up; the ratio of the medians is reported.
- ``api_queries`` and ``api_queries_page_10``: queries of that request at page size 100 and 10.
- ``api_rps``, ``api_p50_ms``, ``api_p95_ms``, ``api_errors``: a bounded load run against gunicorn
  on 127.0.0.1 (2 workers x 2 threads), ``API_CLIENTS`` (default 4) concurrent clients for
  ``API_LOAD_SECONDS`` (default 10) seconds, each syncing assessments, agreements and partners
  with a read token (a mix of list pages of 50 and single objects).
The token the benchmark creates is deleted at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskboard.settings.base")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()

from django.contrib.auth.decorators import login_not_required  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

from api.models import ApiToken  # noqa: E402
from api.services import api_token_create  # noqa: E402
from assessments.api.selectors import ASSESSMENT_FIELDS, RATING_FIELDS  # noqa: E402
from assessments.models import Agreement, Assessment, Rating  # noqa: E402

PAGE = "/api/v1/assessments/?page_size=100"
BASELINE = "/bench/assessments-values/"


@login_not_required
def assessments_values(request):
    """The floor: the same page of assessments and their ratings' fields, ``.values()`` to JSON."""
    rows = list(Assessment.objects.order_by("updated_at", "id").values(*ASSESSMENT_FIELDS)[:100])
    ratings: dict[int, list] = {}
    for rating in Rating.objects.filter(assessment_id__in=[r["id"] for r in rows]).values(
        *RATING_FIELDS, "category__code"
    ):
        ratings.setdefault(rating["assessment_id"], []).append(rating)
    for row in rows:
        row["ratings"] = ratings.get(row["id"], [])
    return JsonResponse({"results": rows}, encoder=DjangoJSONEncoder)


urlpatterns = [path("bench/assessments-values/", assessments_values), path("", include("riskboard.urls"))]


def _timed_get(client: Client, url: str, **headers) -> float:
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return elapsed


def measure_ratio(key: str, rounds: int) -> dict:
    client = Client()
    auth = {"Authorization": f"Token {key}"}
    with override_settings(ROOT_URLCONF=__name__, RISKBOARD_API_SYNC_SETTLE_SECONDS=0, DEBUG=False,
                           ALLOWED_HOSTS=["testserver"]):
        for _ in range(3):  # warm-up: imports, caches, the token's first use
            _timed_get(client, PAGE, **auth)
            _timed_get(client, BASELINE)
        api, floor = [], []
        for _ in range(rounds):
            api.append(_timed_get(client, PAGE, **auth))
            floor.append(_timed_get(client, BASELINE))
        counts = {}
        for size in (10, 100):
            with CaptureQueriesContext(connection) as queries:
                _timed_get(client, f"/api/v1/assessments/?page_size={size}", **auth)
            counts[size] = len(queries)
        body = json.loads(client.get(PAGE, headers=auth).content)
    return {
        "api_assessments_page_ms": round(statistics.median(api) * 1000, 2),
        "api_assessments_values_ms": round(statistics.median(floor) * 1000, 2),
        "api_assessments_ratio": statistics.median(api) / statistics.median(floor),
        "api_assessments_ratings_per_page": sum(len(a["ratings"]) for a in body["results"]),
        "api_queries": counts[100],
        "api_queries_page_10": counts[10],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, logfile: Path, *, workers: int = 2, threads: int = 2) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "riskboard.settings.base", "DJANGO_DEBUG": "0",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-a-secret"),
           "RISKBOARD_API_RATE": "1000000/min", "RISKBOARD_API_SYNC_SETTLE_SECONDS": "0"}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "riskboard.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-file", str(logfile)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn did not start; see {logfile}")


def load_run(port: int, key: str, clients: int, seconds: float) -> dict:
    """``clients`` threads, each a keep-alive connection, for ``seconds``; only to 127.0.0.1."""
    rng = random.Random(7)
    assessment_ids = list(Assessment.objects.order_by("?").values_list("pk", flat=True)[:200])
    agreement_ids = list(Agreement.objects.order_by("?").values_list("pk", flat=True)[:200])
    paths = ["/api/v1/assessments/?page_size=50", "/api/v1/agreements/?page_size=50",
             "/api/v1/partners/?page_size=50"]
    paths += [f"/api/v1/assessments/{pk}/" for pk in rng.sample(assessment_ids, min(20, len(assessment_ids)))]
    paths += [f"/api/v1/agreements/{pk}/" for pk in rng.sample(agreement_ids, min(20, len(agreement_ids)))]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        local = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", local.choice(paths), headers={"Authorization": f"Token {key}"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "api_rps": len(latencies) / elapsed,
        "api_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "api_p95_ms": round(latencies[max(0, round(0.95 * len(latencies)) - 1)] * 1000, 1),
        "api_requests": len(latencies),
        "api_errors": errors[0],
        "api_load_clients": clients,
    }


def measure_api(say=print) -> dict:
    token, key = api_token_create(client="make bench", scope="read")
    try:
        results = measure_ratio(key, int(os.environ.get("API_ROUNDS", "15")))
        say(f"API: assessments page of 100 {results['api_assessments_page_ms']} ms, .values() view "
            f"{results['api_assessments_values_ms']} ms (ratio {results['api_assessments_ratio']:.2f}); "
            f"{results['api_queries']} queries (page of 10: {results['api_queries_page_10']}).")
        port, logfile = _free_port(), REPO / "bench" / "gunicorn.log"
        server = start_gunicorn(port, logfile)
        try:
            results.update(load_run(port, key, int(os.environ.get("API_CLIENTS", "4")),
                                    float(os.environ.get("API_LOAD_SECONDS", "10"))))
        finally:
            server.terminate()
            server.wait(30)
        say(f"API load: {results['api_rps']:.0f} requests/s, p50 {results['api_p50_ms']} ms, "
            f"p95 {results['api_p95_ms']} ms, {results['api_errors']} errors.")
        return results
    finally:
        ApiToken.objects.filter(pk=token.pk).delete()


if __name__ == "__main__":
    if connection.vendor != "postgresql":
        print("bench/api.py needs PostgreSQL: set DATABASE_URL (your benchmark database).")
        sys.exit(2)
    print(json.dumps(measure_api(), indent=2))
