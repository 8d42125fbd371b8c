"""Benchmark of the pages a team works in, single user: server time and queries of each page at two
portfolio sizes (issue 12's page budgets).

``measure_pages_sizes()`` (called by ``bench/run.py``, part ``pages``) measures the benchmark
database (``AGREEMENTS``, default 20,000) and the small one (``PAGES_SMALL``, default 200
agreements, in ``<benchmark database>_small``, shared with ``bench/dashboard.py``), each by this file
run as a script in a process of its own on one database (``python bench/pages.py``).

Signed in as a manager of one generated team (a fifth of the portfolio), through Django's test
client with every middleware (server time, template rendering included, no network), each page is
requested twice to warm up, then ``PAGES_ROUNDS`` (default 9) times; the median is reported:

- ``agreements``: ``/agreements/`` (first page of the team's agreements, every filter offered);
- ``dashboard``: ``/dashboard/``;
- ``agreement``: the page of an agreement with five approved assessments and one awaiting review;
- ``review``: that submitted assessment's review page;
- ``form``: the assessment form of a draft (every category rated).
- ``api_<list>``: ``/api/v1/<list>/?page_size=100`` for agreements, partners and assessments,
  signed in by session as the same manager.

Keys: ``page_ms_<page>`` (large), ``page_ms_<page>_small``, ``page_ratio_<page>`` (large / small),
``page_queries_<page>`` and ``page_queries_<page>_small`` (the statements of one warm request), and
the same ``api_ms_<list>...`` for the API lists. The draft and the submitted assessment are created
once (committed) by a bench analyst and reused by later runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.dashboard import (  # noqa: E402  (the same small database and generated team)
    _database_url_with_name,
    _ensure_database,
)

PAGES = ("agreements", "dashboard", "agreement", "review", "form")
API_LISTS = ("agreements", "partners", "assessments")
ANALYST = "bench-pages-analyst"


def _run_script(database_url: str, agreements: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "PAGES_AGREEMENTS": str(agreements)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(__file__).resolve())], cwd=REPO, env=env, capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise RuntimeError(f"bench/pages.py failed on {urlsplit(database_url).path}:\n{result.stdout[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_pages_sizes(*, database_url: str, large: int) -> dict:
    """Measure the small and the large portfolio, each in its own process and database."""
    small = int(os.environ.get("PAGES_SMALL", os.environ.get("DASHBOARD_SMALL", "200")))
    small_url = os.environ.get("RISKBOARD_BENCH_SMALL_DATABASE_URL") or _database_url_with_name(
        database_url, f"{urlsplit(database_url).path.lstrip('/')}_small")
    _ensure_database(small_url)
    at_small = _run_script(small_url, small)
    at_large = _run_script(database_url, large)
    out = {"pages_agreements_small": at_small["agreements"], "pages_agreements_large": at_large["agreements"],
           "pages_team_agreements_large": at_large["team_agreements"]}
    for prefix, names in (("page", PAGES), ("api", API_LISTS)):
        for name in names:
            key = f"{prefix}_{name}"
            out[f"{prefix}_ms_{name}"] = at_large["ms"][key]
            out[f"{prefix}_ms_{name}_small"] = at_small["ms"][key]
            out[f"{prefix}_ratio_{name}"] = at_large["ms"][key] / at_small["ms"][key]
            out[f"{prefix}_queries_{name}"] = at_large["queries"][key]
            out[f"{prefix}_queries_{name}_small"] = at_small["queries"][key]
    return out


# --- Run as a script: one database -------------------------------------------------------------------


def _open_assessments(team, manager):
    """A rated draft and a submitted assessment on two of the team's agreements, by the bench analyst
    (so that the manager may review): created once, committed, reused."""
    from django.contrib.auth import get_user_model

    from assessments import services
    from assessments.choices import AssessmentStatus
    from assessments.models import Agreement, Assessment, Membership
    from riskboard.roles import Role

    analyst, _ = get_user_model().objects.get_or_create(username=ANALYST)
    Membership.objects.get_or_create(user=analyst, team=team, defaults={"role": Role.ANALYST})
    found = {}
    for status in (AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED):
        assessment = Assessment.objects.filter(agreement__owner_team=team, status=status,
                                               authors=analyst).order_by("pk").first()
        if assessment is None:
            agreement = (Agreement.objects.filter(owner_team=team, assessments__status=AssessmentStatus.APPROVED)
                         .exclude(assessments__status__in=[AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED,
                                                           AssessmentStatus.RETURNED])
                         .order_by("reference").first())
            assessment = services.assessment_start(agreement=agreement, actor=analyst)  # the last ratings, copied
            if status == AssessmentStatus.SUBMITTED:
                assessment = services.assessment_submit(assessment=assessment, actor=analyst)
        found[status] = assessment
    return found[AssessmentStatus.DRAFT], found[AssessmentStatus.SUBMITTED]


def _timed(client, url: str, rounds: int) -> tuple[float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    if url.startswith("/api/"):
        assert response.json()["results"], f"{url} listed nothing: nothing to measure"
    reset_queries()  # a request empties the log as it starts: count from an empty log
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    statements = len(queries.captured_queries)  # now: the next request empties the log
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), statements


def main() -> int:
    from bench.dashboard import _ensure_portfolio, _manager, _setup

    _setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from assessments.models import Agreement

    agreements = int(os.environ.get("PAGES_AGREEMENTS", "20000"))
    rounds = int(os.environ.get("PAGES_ROUNDS", "9"))
    _ensure_portfolio(agreements)
    manager, _, team = _manager()
    draft, submitted = _open_assessments(team, manager)
    plain_static = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # no collectstatic manifest
    # The sync feed holds back rows written in the last few seconds; a database generated just now
    # would list none, and the API lists would be measured empty.
    override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain_static, DEBUG=False,
                      RISKBOARD_API_SYNC_SETTLE_SECONDS=0).enable()
    urls = {
        "page_agreements": reverse("assessments:agreement-list"),
        "page_dashboard": reverse("dashboards:dashboard"),
        "page_agreement": reverse("assessments:agreement-detail", args=[submitted.agreement_id]),
        "page_review": reverse("assessments:assessment-review", args=[submitted.pk]),
        "page_form": reverse("assessments:assessment-edit", args=[draft.pk]),
        **{f"api_{name}": f"/api/v1/{name}/?page_size=100" for name in API_LISTS},
    }
    client = Client()
    client.force_login(manager)
    ms, queries = {}, {}
    for key, url in urls.items():
        ms[key], queries[key] = _timed(client, url, rounds)
    print(json.dumps({
        "agreements": Agreement.objects.count(),
        "team_agreements": Agreement.objects.filter(owner_team=team).count(),
        "ms": ms, "queries": queries,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
