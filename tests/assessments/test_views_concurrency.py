"""Two people save the same draft at the same moment, on PostgreSQL's real row locks."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import Assessment, Rating
from tests.assessments.test_views_assessment_form import browser_form

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL's row locks: set DATABASE_URL to a PostgreSQL server")
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_version_exactly_one_wins(world, monkeypatch):
    draft = world.draft(rated=True)
    edit = reverse("assessments:assessment-edit", args=[draft.pk])
    category = draft.catalogue.categories.order_by("display_order").first()
    field = f"c{category.pk}-evidence"

    browsers = {}
    for name, user in (("analyst", world.analyst), ("manager", world.manager)):
        client = Client()
        client.force_login(user)
        data = browser_form(client.get(edit))  # both load version 2
        data[field] = [f"Evidence typed by the {name}"]
        browsers[name] = (client, data)

    # The first writer holds the row lock a moment after claiming the version, so the second
    # writer's conditional UPDATE really waits on it rather than merely running later.
    claim = services.assessment._bump_version

    def claim_and_hold(*args, **kwargs):
        claim(*args, **kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(services.assessment, "_bump_version", claim_and_hold)
    start = threading.Barrier(len(browsers))
    responses = {}

    def save(name):
        client, data = browsers[name]
        try:
            start.wait()
            responses[name] = client.post(edit, {**data, "intent": "save"})
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = {name: response.status_code for name, response in responses.items()}
    assert sorted(statuses.values()) == [302, 409], statuses
    winner = next(name for name, status in statuses.items() if status == 302)
    loser = next(name for name, status in statuses.items() if status == 409)

    page = responses[loser].content.decode()
    assert "Someone else saved this assessment while you were editing" in page
    assert f"Evidence typed by the {winner}" in page  # what the other person changed
    assert browser_form(responses[loser])[field] == [f"Evidence typed by the {loser}"]  # nothing lost

    assert Rating.objects.get(assessment=draft, category=category).evidence == f"Evidence typed by the {winner}"
    assert Assessment.objects.get(pk=draft.pk).version == draft.version + 1
