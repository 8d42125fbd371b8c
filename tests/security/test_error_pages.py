"""Generic error pages: no traceback, no settings, no SQL, whatever went wrong."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


@login_not_required
def boom(request):
    raise RuntimeError("SELECT secret FROM partners -- internal detail")


urlpatterns = [path("boom/", boom), path("", include("riskboard.urls"))]


@pytest.fixture
def boom_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def test_a_server_error_shows_the_generic_page(boom_urls):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    for leak in ("Traceback", "RuntimeError", "SELECT secret", "SECRET_KEY", "settings"):
        assert leak not in html
    assert response["X-Request-ID"] and response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("url", "status", "text"), [
    ("/agreements/999999999/", 404, "Page not found"),
])
def test_not_found_is_generic(client, member, url, status, text):
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert text in html
    assert "Traceback" not in html and "urlpatterns" not in html
