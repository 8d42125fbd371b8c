"""plotly.js comes from the installed plotly package, as a static file like any other."""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from riskboard.dashboards.staticfiles import PLOTLY_JS


def test_the_finder_serves_the_packages_plotly_js_and_nothing_else_of_it():
    found = Path(finders.find(PLOTLY_JS))
    assert found == Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    assert found.read_text(encoding="utf-8")[:40].startswith("/**\n* plotly.js v")
    assert finders.find("vendor/widgetbundle.js") is None


def test_collectstatic_compresses_and_hashes_it_for_far_future_caching(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = json.loads((tmp_path / "staticfiles.json").read_text())["paths"][PLOTLY_JS]
    assert hashed != PLOTLY_JS and hashed.startswith("vendor/plotly.min.")
    assert (tmp_path / f"{hashed}.gz").stat().st_size < (tmp_path / hashed).stat().st_size / 2


@pytest.mark.django_db
def test_pages_with_charts_load_it_from_our_own_static_files(client, world):
    world.approved(world.agreement())
    from assessments import aggregation

    aggregation.scores_full_recompute()
    client.force_login(world.manager)
    html = client.get(reverse("dashboards:dashboard")).content.decode()
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html
    assert '<script src="/static/js/charts.js" defer></script>' in html
    assert "cdn" not in html.lower() and "<script>" not in html  # no CDN, no inline script
