"""Each team's stored number of agreements (``TeamAgreementCount``: rows appended by triggers,
migration 0009, and folded by ``services.agreement_counts_compact``) and the agreements list that
reads it instead of counting."""

import importlib
import re
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Agreement, TeamAgreementCount
from tests.factories import AgreementFactory, TeamFactory

pytestmark = pytest.mark.django_db

LIST = reverse("assessments:agreement-list")
counts_migration = importlib.import_module("assessments.migrations.0009_team_agreement_counts")


def stored() -> dict[int, int]:
    """Each team's number, as the lists read it: the sum of its rows."""
    sums = TeamAgreementCount.objects.values_list("team_id").annotate(n=Sum("agreements"))
    return {team_id: n for team_id, n in sums.values_list("team_id", "n") if n}


def counted() -> dict[int, int]:
    return dict(Agreement.objects.values_list("owner_team").annotate(n=Count("pk")).values_list("owner_team", "n"))


def test_counts_follow_every_way_agreements_are_written(catalogue):
    first, second, third = TeamFactory(), TeamFactory(), TeamFactory()
    a = AgreementFactory(owner_team=first)
    AgreementFactory(owner_team=first)
    assert stored() == counted() == {first.pk: 2}
    Agreement.objects.bulk_create([Agreement(reference=f"BULK-{i}", title="Bulk", owner_team=team)
                                   for i, team in enumerate([first, second, second, third])])
    assert stored() == counted() == {first.pk: 3, second.pk: 2, third.pk: 1}
    a.owner_team = second  # moved by a save
    a.save()
    assert stored() == counted() == {first.pk: 2, second.pk: 3, third.pk: 1}
    Agreement.objects.filter(owner_team=second).update(owner_team=third)  # moved in bulk
    assert stored() == counted() == {first.pk: 2, third.pk: 4}
    Agreement.objects.filter(owner_team=third).update(title="Renamed")  # no move: no change
    assert stored() == counted() == {first.pk: 2, third.pk: 4}
    a.delete()
    Agreement.objects.filter(reference__startswith="BULK-").delete()
    assert stored() == counted() == {first.pk: 1}


def test_compacting_folds_each_teams_rows_into_one_and_changes_no_number(catalogue):
    first, second = TeamFactory(), TeamFactory()
    for team in (first, first, first, second):
        AgreementFactory(owner_team=team)
    Agreement.objects.filter(owner_team=first).first().delete()
    rows = TeamAgreementCount.objects.count()
    assert rows >= 5  # a row per change
    assert services.agreement_counts_compact() == rows - 2
    assert TeamAgreementCount.objects.count() == 2 and stored() == counted() == {first.pk: 2, second.pk: 1}
    assert services.agreement_counts_compact() == 0  # rerunnable: nothing more to fold
    AgreementFactory(owner_team=second)  # and the triggers go on appending
    assert stored() == counted() == {first.pk: 2, second.pk: 2}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_writers_in_one_team_do_not_wait_for_each_other_and_compacting_loses_none(catalogue):
    """A transaction creating an agreement holds no row another needs: the triggers only append.
    Compacting meanwhile folds what is committed and leaves the open transaction's row."""
    team = TeamFactory()
    AgreementFactory(owner_team=team)
    written, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                AgreementFactory(owner_team=team)
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    started = time.monotonic()
    AgreementFactory(owner_team=team)  # committed at once, while the other is open
    assert time.monotonic() - started < 2
    services.agreement_counts_compact()
    release.set()
    thread.join(10)
    assert stored() == counted() == {team.pk: 3}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite cannot alter its schema inside the test's "
                    "transaction; the fill is the same SQL on both")
def test_the_migration_counts_the_agreements_that_exist(catalogue):
    first, second = TeamFactory(), TeamFactory()
    for team in (first, first, second):
        AgreementFactory(owner_team=team)
    with connection.schema_editor() as editor:  # as before the migration: no trigger, no row
        counts_migration.uninstall(None, editor)
        TeamAgreementCount.objects.all().delete()
        AgreementFactory(owner_team=second)
        counts_migration.install(None, editor)
    assert stored() == {first.pk: 2, second.pk: 2}
    AgreementFactory(owner_team=first)  # and the triggers are back
    assert stored() == counted() == {first.pk: 3, second.pk: 2}


def test_the_visible_count_is_the_users_teams(world):
    mine = [world.agreement() for _ in range(3)]
    world.agreement(team=world.other_team)
    assert selectors.agreement_count_visible(user=world.analyst) == len(mine) == 3
    assert selectors.agreement_count_visible(user=world.other_manager) == 1
    assert selectors.agreement_count_visible(user=world.auditor) == 4  # every team
    assert selectors.agreement_count_visible(user=world.nobody) == 0


def total_shown(response) -> int:
    match = re.search(r"(\d[\d,]*) agreements?", response.content.decode())
    return int(match.group(1).replace(",", ""))


def test_the_unfiltered_list_says_how_many_without_counting_them(client, world):
    for i in range(30):
        world.agreement(reference=f"AGR-{i:02}")
    world.agreement(team=world.other_team)
    client.force_login(world.analyst)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"ordering": "-reference"})
    assert total_shown(response) == 30
    assert "page 1 of 2" in response.content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not any('FROM "assessments_agreement"' in sql for sql in counts), counts
    assert client.get(LIST, {"page": 2}).status_code == 200
    assert client.get(LIST, {"page": 3}).status_code == 404


def test_a_filtered_list_counts_what_matches(client, world):
    for i in range(3):
        world.agreement(reference=f"AGR-{i}", title="Maritime awareness" if i else "Cyber training")
    client.force_login(world.analyst)
    response = client.get(LIST, {"q": "Maritime"})
    assert total_shown(response) == 2
    assert "match your filters" in response.content.decode()
