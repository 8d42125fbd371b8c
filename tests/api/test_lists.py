"""Lists: cursor paging that a sync client can trust, filters as on the pages, conditional GET,
CSV exports, constant query counts and throttling."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.choices import AgreementStatus
from assessments.filtersets import AgreementFilterSet
from assessments.models import Agreement, Assessment
from assessments.selectors import agreement_list
from tests.api.conftest import ApiClient
from tests.factories import AgreementFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def pull(client, url, **params):
    """Follow ``next`` links to the end; returns the rows and the ``resume`` link of the last page."""
    rows, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        if body["next"] is None:
            return rows, body["resume"]
        response = client.get(body["next"])


# --- Incremental sync --------------------------------------------------------------------------


def test_a_client_paging_while_rows_are_inserted_gets_every_row_exactly_once(api, world, tokens):
    client = api.with_key(tokens["read_all"])
    for _ in range(7):
        world.agreement()
    seen, inserted = [], []
    response = client.get("/api/v1/agreements/", {"page_size": 3})
    while True:
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        inserted.append(world.agreement().pk)  # written between two pages
        if body["next"] is None:
            break
        response = client.get(body["next"])
    # What was inserted after the last page comes with the next sync, from the resume link.
    later, _ = pull(client, body["resume"])
    seen += [row["id"] for row in later]
    assert sorted(seen) == sorted(Agreement.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))  # exactly once


def test_a_changed_row_comes_again_once_with_the_next_sync(api, world, tokens):
    client = api.with_key(tokens["read_all"])
    first, second = world.draft(), world.draft()
    rows, resume = pull(client, "/api/v1/assessments/", page_size=1)
    assert [r["id"] for r in rows] == [first.pk, second.pk]
    assert pull(client, resume)[0] == []  # nothing changed
    Assessment.objects.filter(pk=first.pk).update(updated_at=timezone.now(), version=first.version + 1)
    rows, resume = pull(client, resume)
    assert [(r["id"], r["version"]) for r in rows] == [(first.pk, first.version + 1)]
    assert pull(client, resume)[0] == []


def test_rows_written_in_the_last_seconds_wait_before_joining_the_sync_order(api, world, tokens, settings):
    """A transaction that began earlier may still be committing with an older updated_at: until the
    settle time has passed, the sync order does not go beyond what is certainly committed."""
    settings.RISKBOARD_API_SYNC_SETTLE_SECONDS = 60
    client = api.with_key(tokens["read_all"])
    old, fresh = world.agreement(), world.agreement()
    Agreement.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    rows, resume = pull(client, "/api/v1/agreements/")
    assert [r["id"] for r in rows] == [old.pk]
    # Other orders, and the object itself, show it at once.
    assert [r["id"] for r in client.get("/api/v1/agreements/", {"ordering": "-updated_at"}).json()["results"]] == [
        fresh.pk, old.pk]
    assert client.get(f"/api/v1/agreements/{fresh.pk}/").status_code == 200
    Agreement.objects.filter(pk=fresh.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=2))
    assert [r["id"] for r in pull(client, resume)[0]] == [fresh.pk]


def test_updated_since_is_inclusive_and_checked(api, world, tokens):
    client = api.with_key(tokens["read_all"])
    old, new = world.agreement(), world.agreement()
    cut = timezone.now() - dt.timedelta(hours=1)
    Agreement.objects.filter(pk=old.pk).update(updated_at=cut - dt.timedelta(seconds=1))
    Agreement.objects.filter(pk=new.pk).update(updated_at=cut)
    rows, _ = pull(client, "/api/v1/agreements/", updated_since=cut.isoformat())
    assert [r["id"] for r in rows] == [new.pk]
    response = client.get("/api/v1/agreements/", {"updated_since": "yesterday"})
    assert response.status_code == 400 and "updated_since" in response.json()["fields"]


@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": 201}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"ordering": "title"}, "ordering"),
])
def test_bad_paging_parameters_are_400s_with_the_parameter_named(api, world, tokens, params, field):
    world.agreement()
    response = api.with_key(tokens["read_all"]).get("/api/v1/agreements/", params)
    assert response.status_code == 400 and field in response.json()["fields"], response.content


def test_a_cursor_of_another_order_is_refused(api, world, tokens):
    client = api.with_key(tokens["read_all"])
    world.agreement(), world.agreement()
    next_link = client.get("/api/v1/agreements/", {"page_size": 1}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    response = client.get("/api/v1/agreements/", {"cursor": cursor, "ordering": "reference"})
    assert response.status_code == 400 and "cursor" in response.json()["fields"]


@pytest.mark.parametrize("ordering", ["reference", "-reference", "-updated_at", "created_at"])
def test_every_order_pages_through_every_row_once(api, world, tokens, ordering):
    ids = {world.agreement().pk for _ in range(5)}
    rows, _ = pull(api.with_key(tokens["read_all"]), "/api/v1/agreements/", page_size=2, ordering=ordering)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    if "reference" in ordering:
        references = [r["reference"] for r in rows]
        assert references == sorted(references, reverse=ordering.startswith("-"))


# --- Filters: the pages' ------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"status": "active"}, {"q": "<reference>"}, {"band": "HIGH"}, {"band": "LOW"},
                                    {"assessment": "draft"}, {"assessment": "none"}])
def test_agreement_filters_select_what_the_page_selects_for_the_same_user(api, rf, world, tokens, params):
    high = world.approved(residual=(4, 4))
    world.approved(inherent=(1, 1), residual=(1, 1))
    world.draft()
    if params.get("q") == "<reference>":
        params = {"q": high.agreement.reference[:-1]}  # a prefix: more than one agreement may match
    AgreementFactory(owner_team=world.team, status=AgreementStatus.SUSPENDED)
    from assessments.aggregation import scores_full_recompute

    scores_full_recompute()
    request = rf.get("/agreements/", params)
    request.user = world.manager
    page = AgreementFilterSet(params, queryset=agreement_list(user=world.manager), request=request).qs
    rows, _ = pull(api.with_key(tokens["read_manager"]), "/api/v1/agreements/", **params)
    assert rows and sorted(r["id"] for r in rows) == sorted(page.values_list("pk", flat=True))


def test_api_only_filters(api, world, tokens):
    approved = world.approved(residual=(4, 4))
    world.approved(inherent=(1, 2), residual=(1, 2))
    from assessments.aggregation import scores_full_recompute

    scores_full_recompute()
    client = api.with_key(tokens["read_all"])
    rows, _ = pull(client, "/api/v1/agreements/", score_min="10")
    assert [r["id"] for r in rows] == [approved.agreement_id]
    rows, _ = pull(client, "/api/v1/assessments/", agreement=approved.agreement_id, status="approved")
    assert [r["id"] for r in rows] == [approved.pk]
    partner = approved.agreement.partners.get()
    rows, _ = pull(client, "/api/v1/assessments/", partner=partner.pk)
    assert [r["id"] for r in rows] == [approved.pk]


def test_a_filter_naming_another_teams_partner_is_a_400_that_reveals_nothing(api, world, tokens):
    theirs = PartnerFactory()
    world.agreement(team=world.other_team, partners=[theirs])
    unknown = api.with_key(tokens["read_team"]).get("/api/v1/agreements/", {"partner": theirs.pk})
    missing = api.with_key(tokens["read_team"]).get("/api/v1/agreements/", {"partner": 999999})
    assert unknown.status_code == missing.status_code == 400
    assert unknown.json()["fields"] == missing.json()["fields"]


# --- Conditional GET ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "object"])
def test_conditional_get_answers_304_until_something_changes(api, world, tokens, kind):
    client = api.with_key(tokens["read_all"])
    draft = world.draft()
    url = "/api/v1/assessments/" if kind == "list" else f"/api/v1/assessments/{draft.pk}/"
    first = client.get(url)
    etag = first["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    if kind == "object":
        assert etag == f'"v{draft.version}"'
    Assessment.objects.filter(pk=draft.pk).update(version=draft.version + 1, updated_at=timezone.now())
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_exports_stream_every_filtered_row_and_defuse_formulas(api, world, tokens):
    AgreementFactory(owner_team=world.team, title="=HYPERLINK(\"http://x\")", status=AgreementStatus.ACTIVE)
    for _ in range(3):
        AgreementFactory(owner_team=world.team, status=AgreementStatus.SUSPENDED)
    response = api.with_key(tokens["read_all"]).get("/api/v1/agreements/", {"format": "csv", "status": "suspended",
                                                                             "page_size": 1})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert 'filename="agreement.csv"' in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,reference,title") and len(lines) == 4  # all rows, whatever page_size
    active = api.with_key(tokens["read_all"]).get("/api/v1/agreements/", {"format": "csv", "status": "active"})
    assert "'=HYPERLINK" in b"".join(active.streaming_content).decode()


def test_csv_of_an_object_is_406_and_errors_stay_json(api, world, tokens):
    client = api.with_key(tokens["read_all"])
    agreement = world.agreement()
    response = client.get(f"/api/v1/agreements/{agreement.pk}/", {"format": "csv"})
    assert response.status_code == 406 and response["Content-Type"] == "application/json"
    response = client.get("/api/v1/agreements/", {"format": "csv", "status": "nonsense"})
    assert response.status_code == 400 and response.json()["fields"]["status"]


# --- Query counts ------------------------------------------------------------------------------


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("endpoint", "ceiling"), [
    ("catalogues", 12), ("partners", 6), ("agreements", 7), ("assessments", 10),
])
def test_a_list_costs_the_same_queries_whatever_its_page_size(api, world, tokens, endpoint, ceiling):
    from tests.factories import CatalogueFactory

    for _ in range(12):
        world.approved()
    world.draft()
    CatalogueFactory(), CatalogueFactory()
    client = api.with_key(tokens["read_manager"])  # a user's token: the grants query counts too
    client.get("/api/v1/partners/")  # the token's first use is recorded (once a minute): not a list's cost
    small = _queries(client, f"/api/v1/{endpoint}/", page_size=2)
    large = _queries(client, f"/api/v1/{endpoint}/", page_size=20)
    assert small == large <= ceiling, (small, large)


# --- Throttling --------------------------------------------------------------------------------


def test_a_client_over_its_rate_gets_429_with_retry_after_and_others_do_not(api, world, tokens, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api": "3/min", "api_heavy": "1/min"}}
    client = api.with_key(tokens["read_all"])
    assert [client.get("/api/v1/partners/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/partners/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    assert api.with_key(tokens["read_team"]).get("/api/v1/partners/").status_code == 200


def test_csv_exports_have_a_tighter_rate(api, world, tokens, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api": "100/min", "api_heavy": "1/min"}}
    client = api.with_key(tokens["read_all"])
    assert client.get("/api/v1/agreements/", {"format": "csv"}).status_code == 200
    assert client.get("/api/v1/agreements/", {"format": "csv"}).status_code == 429
    assert client.get("/api/v1/agreements/").status_code == 200


ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs concurrent transactions: set DATABASE_URL to a PostgreSQL server")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("settle", "skipped"), [(0, True), (2, False)])
def test_a_slow_commit_is_skipped_without_the_settle_window_and_not_with_it(world, tokens, settings, settle, skipped):
    """A transaction stamps updated_at when it writes, not when it commits: a row it commits after a
    newer one was served would fall behind the client's cursor, unless the sync order waits."""
    settings.RISKBOARD_API_SYNC_SETTLE_SECONDS = settle
    client = ApiClient(Client(), tokens["read_all"])
    written, release = threading.Event(), threading.Event()
    slow = {}

    def slow_writer():
        try:
            with transaction.atomic():
                slow["id"] = AgreementFactory(owner_team=world.team).pk  # stamped now...
                written.set()
                release.wait(10)  # ...committed later
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    written.wait(10)
    fast = AgreementFactory(owner_team=world.team).pk  # newer, and committed first
    seen, resume = pull(client, "/api/v1/agreements/")  # a client syncs while the slow one commits
    release.set()  # committed well within the settle window
    thread.join(10)
    time.sleep(settle + 0.5)
    later, _ = pull(client, resume)
    ids = [row["id"] for row in seen + later]
    assert fast in ids and (slow["id"] not in ids) is skipped


def test_an_agreement_whose_partners_change_comes_again_in_the_sync(api, world, tokens):
    from assessments.services import agreement_update

    client = api.with_key(tokens["read_all"])
    agreement = world.agreement()
    _, resume = pull(client, "/api/v1/agreements/")
    new_partner = PartnerFactory()
    agreement_update(agreement=agreement, actor=world.administrator, partners=[new_partner])  # partners only
    rows, _ = pull(client, resume)
    assert [(r["id"], r["partners"]) for r in rows] == [(agreement.pk, [{"id": new_partner.pk,
                                                                          "name": new_partner.name}])]


@pytest.mark.parametrize("value", ["0341-11-05T10:40:46.0+17:10", "0001-01-01T00:00:00-05:00",
                                   "9999-12-31T23:59:59+00:00"])
def test_a_time_at_the_edges_of_what_the_database_takes_is_an_answer_not_a_500(api, world, tokens, value):
    world.agreement()
    for endpoint in ("agreements", "partners", "catalogues", "assessments"):
        response = api.with_key(tokens["read_all"]).get(f"/api/v1/{endpoint}/", {"updated_since": value})
        assert response.status_code in (200, 400), (endpoint, response.status_code)
    response = api.with_key(tokens["read_all"]).get("/api/v1/assessments/", {"approved_at_after": value})
    assert response.status_code in (200, 400)
