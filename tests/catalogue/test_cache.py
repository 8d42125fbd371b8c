"""Catalogue reads are cached for everyone (catalogue.cache) and a published version shows at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalogue import services
from catalogue.cache import GENERATION_KEY
from catalogue.models import Band

pytestmark = pytest.mark.django_db


def band_of_cell(client, likelihood: int, impact: int) -> str:
    """The band the dashboard's matrix drill-down names for a cell of the current matrix."""
    response = client.get(reverse("dashboards:matrix-cell", args=["residual", likelihood, impact]))
    assert response.status_code == 200
    return response.context["band"].label


def test_publishing_a_catalogue_version_shows_its_matrix_at_once(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.manager)
    assert band_of_cell(client, 1, 1) == "Low"  # read, and now cached

    draft = services.catalogue_draft_from(catalogue=world.catalogue, actor=world.administrator)
    low = Band.objects.get(catalogue=draft, code="LOW")
    services.band_update(band=low, actor=world.administrator, label="Negligible")
    critical = Band.objects.get(catalogue=draft, code="CRITICAL")
    services.matrix_cell_set(catalogue=draft, actor=world.administrator, likelihood=1, impact=2, band=critical)
    # A draft changes nothing anyone sees, cached or not.
    assert band_of_cell(client, 1, 1) == "Low"
    assert band_of_cell(client, 1, 2) == "Low"

    with django_capture_on_commit_callbacks(execute=True):
        services.catalogue_publish(catalogue=draft, actor=world.administrator)
    assert band_of_cell(client, 1, 1) == "Negligible"
    assert band_of_cell(client, 1, 2) == "Critical"


def test_retiring_a_version_starts_a_new_generation(world, django_capture_on_commit_callbacks):
    cache.set(GENERATION_KEY, "before", None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.catalogue_retire(catalogue=world.catalogue, actor=world.administrator)
    assert cache.get(GENERATION_KEY) != "before"
    assert len(callbacks) == 1  # and again once committed, after any read of another process


def test_the_band_filter_offers_a_newly_published_band_at_once(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.analyst)
    assert "SEVERE" not in client.get(reverse("assessments:agreement-list")).content.decode()
    draft = services.catalogue_draft_from(catalogue=world.catalogue, actor=world.administrator)
    critical = Band.objects.get(catalogue=draft, code="CRITICAL")
    services.band_update(band=critical, actor=world.administrator, code="SEVERE", label="Severe")
    with django_capture_on_commit_callbacks(execute=True):
        services.catalogue_publish(catalogue=draft, actor=world.administrator)
    html = client.get(reverse("assessments:agreement-list")).content.decode()
    assert '<option value="SEVERE">Severe</option>' in html
