"""Under production's settings: HTTPS only, HSTS, secure __Host- cookies, an enforced CSP with no
inline script, nosniff, a referrer policy, and no-store on every page and API response."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def sample_pages(world) -> list[str]:
    agreement = world.agreement()
    assessment = world.submitted(agreement)
    return [
        reverse("dashboards:dashboard"),
        reverse("assessments:agreement-list"),
        reverse("assessments:agreement-detail", args=[agreement.pk]),
        reverse("assessments:assessment-detail", args=[assessment.pk]),
        reverse("assessments:assessment-review", args=[assessment.pk]),
        reverse("scores:portfolio"),
        reverse("audit:global"),
        reverse("security:password-change"),
        "/api/v1/agreements/",
        f"/api/v1/agreements/{agreement.pk}/",
        "/api/v1/catalogues/",
        "/api/v1/scores/portfolio/",
        "/api/v1/scores/partners/",
        "/api/v1/heatmap/",
    ]


def test_plain_http_is_redirected_to_https(production, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_every_sampled_page_and_endpoint_carries_the_security_headers(production, https_client, world):
    https_client.force_login(world.administrator)
    for url in sample_pages(world):
        response = https_client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Cache-Control"] == "no-store", url
        assert "Content-Security-Policy-Report-Only" not in response, url
        csp = csp_directives(response["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"], url
        assert "'unsafe-inline'" not in csp["default-src"] and "'unsafe-eval'" not in csp["script-src"], url
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], url
        assert response["X-Request-ID"], url


def test_static_files_and_liveness_may_be_cached(production, https_client, settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests
    response = https_client.get("/healthz")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" in response
    css = https_client.get("/static/css/riskboard.css")
    assert css.status_code == 200 and "no-store" not in css.get("Cache-Control", "")


def test_health_checks_answer_plain_http_probes(production, client):
    """A load balancer probes the process directly, over HTTP: no redirect to HTTPS."""
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/agreements/").status_code == 301


def test_cookies_are_host_only_secure_and_same_site(production, https_client, member):
    page = https_client.get("/accounts/login/")
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax" and csrf["path"] == "/" and not csrf["domain"]
    response = sign_in(https_client, member.username, PASSWORD, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["path"] == "/" and not session["domain"]
    assert "sessionid" not in response.cookies


def test_development_reports_the_policy_without_enforcing_it(client, member):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response
    csp = csp_directives(response["Content-Security-Policy-Report-Only"])
    assert csp["script-src"] == ["'self'"]
    assert response["Cache-Control"] == "no-store"


def test_no_page_has_an_inline_script(production, https_client, world):
    """The CSP would block one: each page's scripts are files of our own."""
    https_client.force_login(world.administrator)
    for url in sample_pages(world)[:-3]:
        html = https_client.get(url).content.decode()
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (url, opening)
        assert " onclick=" not in html and " onload=" not in html and "javascript:" not in html, url
