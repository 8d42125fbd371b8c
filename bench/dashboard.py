"""Benchmark of the manager dashboard: queries, server time, payload and bytes over the wire.

``measure_dashboard_sizes()`` (called by ``bench/run.py``) measures two portfolios, each in its own
PostgreSQL database so that each is measured at its own size: the small one (``DASHBOARD_SMALL``,
default 200 agreements) in ``<benchmark database>_small`` (created if missing, or
``RISKBOARD_BENCH_SMALL_DATABASE_URL``), the large one (``AGREEMENTS``, default 20,000) in the
benchmark database itself. Each is measured by this file run as a script in a process of its own
(``python bench/dashboard.py``, which measures the database named by ``DATABASE_URL``):

- the dashboard summaries out of date are refreshed first, as the worker does after every
  recompute (``riskboard.dashboards.services``);
- a manager of one generated team (a fifth of the portfolio) signs in; ``GET /dashboard/`` through
  Django's test client, with every middleware (server time: template rendering included, no
  network). ``dashboard_ms``: the median of ``DASHBOARD_ROUNDS`` (default 9) after two warm-ups;
  ``dashboard_queries``: the SQL statements of one request;
- ``heatmap_payload_kib``: the heatmap's figure as shipped in the page (its ``json_script``, before
  compression);
- ``first_load_kib``: compressed bytes of a first visit: the page (gzip, as the server sends it to a
  browser that accepts it) and every stylesheet and script it loads (whitenoise's compressed
  files, after ``collectstatic``); ``repeat_load_kib``: a second visit, the assets cached (their
  names carry their hash and whitenoise serves them as immutable), so only the page.

Keys written by ``run.py``: ``dashboard_queries_small``, ``dashboard_queries_large`` (target:
equal), ``dashboard_time_ratio`` (large / small; target <= 2), ``heatmap_payload_kib`` (<= 200),
``first_load_kib``, ``repeat_load_kib`` (<= 100), of the large portfolio, with the raw timings.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
TEAM_MANAGER = "bench-dashboard-manager"


def _database_url_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _ensure_database(url: str) -> None:
    """Create the database named by ``url`` if it does not exist (PostgreSQL)."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')  # the name comes from our own settings
    finally:
        admin.close()


def _run_script(database_url: str, agreements: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_AGREEMENTS": str(agreements)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(__file__).resolve())], cwd=REPO, env=env, capture_output=True, text=True,
        check=False,
    )
    sys.stderr.write(result.stderr[-4000:] if result.returncode else "")
    if result.returncode != 0:
        raise RuntimeError(f"bench/dashboard.py failed on {urlsplit(database_url).path}:\n{result.stdout[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_dashboard_sizes(*, database_url: str, large: int) -> dict:
    """Measure the small and the large portfolio, each in its own process and database."""
    small = int(os.environ.get("DASHBOARD_SMALL", "200"))
    small_url = os.environ.get("RISKBOARD_BENCH_SMALL_DATABASE_URL") or _database_url_with_name(
        database_url, f"{urlsplit(database_url).path.lstrip('/')}_small")
    _ensure_database(small_url)
    at_small = _run_script(small_url, small)
    at_large = _run_script(database_url, large)
    return {
        "dashboard_queries_small": at_small["dashboard_queries"],
        "dashboard_queries_large": at_large["dashboard_queries"],
        "dashboard_ms_small": at_small["dashboard_ms"],
        "dashboard_ms_large": at_large["dashboard_ms"],
        "dashboard_time_ratio": at_large["dashboard_ms"] / at_small["dashboard_ms"],
        "dashboard_agreements_small": at_small["agreements"],
        "dashboard_agreements_large": at_large["agreements"],
        "dashboard_manager_agreements_large": at_large["team_agreements"],
        "heatmap_payload_kib": at_large["heatmap_payload_kib"],
        "heatmap_payload_gzip_kib": at_large["heatmap_payload_gzip_kib"],
        "first_load_kib": at_large["first_load_kib"],
        "repeat_load_kib": at_large["repeat_load_kib"],
        "dashboard_auditor_ms_large": at_large["auditor_ms"],
    }


# --- Run as a script: one database -------------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskboard.settings.base")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.pop("CELERY_BROKER_URL", None)  # recomputes run in this process
    import django

    django.setup()


def _ensure_portfolio(agreements: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from assessments import aggregation
    from assessments.models import Agreement, AgreementScore, DirtyAgreement
    from riskboard.dashboards.services import dashboard_summaries_refresh

    call_command("migrate", verbosity=0)
    have = Agreement.objects.count()
    if have < agreements:
        call_command("generate_portfolio", agreements=agreements - have, history=5, seed=agreements,
                     verbosity=0)
    if not AgreementScore.objects.exists() or DirtyAgreement.objects.exists():
        aggregation.scores_full_recompute()
    # What the worker does after every recompute (and once a minute): the dashboard summaries that
    # are out of date are refreshed; with them current, a dashboard reads them.
    dashboard_summaries_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _manager():
    from django.contrib.auth import get_user_model

    from assessments.models import Membership, Team
    from riskboard.roles import Role

    team = Team.objects.filter(slug__startswith="gen-s").order_by("slug").first()
    user, _ = get_user_model().objects.get_or_create(username=TEAM_MANAGER)
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.MANAGER})
    auditor, _ = get_user_model().objects.get_or_create(username="bench-dashboard-auditor")
    Membership.objects.get_or_create(user=auditor, team=None, defaults={"role": Role.AUDITOR})
    return user, auditor, team


def _timed_get(client, url: str, rounds: int) -> float:
    for _ in range(2):
        client.get(url)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:link rel="stylesheet"|script) [^>]*?(?:href|src)="(/static/[^"]+)"', html)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def main() -> int:
    _setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Agreement

    agreements = int(os.environ.get("DASHBOARD_AGREEMENTS", "20000"))
    rounds = int(os.environ.get("DASHBOARD_ROUNDS", "9"))
    _ensure_portfolio(agreements)
    call_command("collectstatic", interactive=False, verbosity=0)  # what whitenoise serves, compressed
    manager, auditor, team = _manager()
    accept = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/dashboard/")
    statements = len(queries.captured_queries)  # now: the next request clears the log
    html = page.content.decode()
    heatmap = re.search(r'<script id="heatmap-figure" type="application/json">(.*?)</script>', html, re.S)
    payload = heatmap.group(1).encode() if heatmap else b""
    compressed_page = client.get("/dashboard/", **accept)
    assert compressed_page.get("Content-Encoding") == "gzip", "the page is not compressed"
    page_bytes = len(compressed_page.content)
    asset_bytes = 0
    for url in _asset_urls(html):
        asset = client.get(url, **accept)
        assert asset.status_code == 200, (url, asset.status_code)
        asset_bytes += len(_body(asset))
        cache = asset.get("Cache-Control", "")
        assert "immutable" in cache or "max-age=315360000" in cache, f"{url} is not cached for good: {cache!r}"

    out = {
        "agreements": Agreement.objects.count(),
        "team_agreements": Agreement.objects.filter(owner_team=team).count(),
        "dashboard_queries": statements,
        "dashboard_ms": _timed_get(client, "/dashboard/", rounds),
        "heatmap_payload_kib": len(payload) / 1024,
        "heatmap_payload_gzip_kib": len(gzip.compress(payload)) / 1024,
        "first_load_kib": (page_bytes + asset_bytes) / 1024,
        "repeat_load_kib": page_bytes / 1024,
    }
    client.force_login(auditor)
    out["auditor_ms"] = _timed_get(client, "/dashboard/", max(3, rounds // 3))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
