"""Project-level pages (``riskboard.views``): signing in and out, and the home redirect."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_an_anonymous_page_request_goes_to_the_login_page_and_back_after_signing_in(client, world):
    url = reverse("assessments:agreement-list")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_username"' in html and '<label for="id_password"' in html
    assert 'autocomplete="current-password"' in html

    signed_in = client.post(reverse("login"), {"username": "analyst", "password": PASSWORD, "next": url})
    assert signed_in.status_code == 302 and signed_in.url == url


def test_a_wrong_password_is_reported_at_the_top_and_the_username_is_kept(client, world):
    response = client.post(reverse("login"), {"username": "analyst", "password": "wrong-password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_username"' in html
    assert "Please enter a correct username and password" in html
    assert 'value="analyst"' in html
    assert "_auth_user_id" not in client.session


def test_home_sends_each_role_to_its_own_page(client, world):
    landing = {
        world.analyst: reverse("dashboards:analyst-home"),
        world.manager: reverse("dashboards:dashboard"),
        world.administrator: reverse("dashboards:dashboard"),
        world.auditor: reverse("dashboards:dashboard"),  # read-only: no approve buttons there
        world.nobody: reverse("assessments:agreement-list"),  # which explains how to join a team
    }
    for user, url in landing.items():
        client.force_login(user)
        assert client.get("/").url == url, user


def test_signing_out_needs_a_post_and_then_ends_the_session(client, world):
    client.force_login(world.analyst)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("assessments:agreement-list")).status_code == 200  # still signed in

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have signed out." in response.content.decode()
    assert client.get(reverse("assessments:agreement-list")).status_code == 302
