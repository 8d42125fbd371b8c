"""Signing in and out, the role in the navigation, and the form-security basics."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.choices import AssessmentStatus
from assessments.models import Assessment
from tests.review_helpers import decision_link, reviewed_token

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


def test_home_sends_each_role_to_the_agreements_list(client, world):
    for user in (world.analyst, world.manager, world.auditor, world.administrator):
        client.force_login(user)
        assert client.get("/").url == reverse("assessments:agreement-list")


def test_signing_out_needs_a_post_and_then_ends_the_session(client, world):
    client.force_login(world.analyst)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("assessments:agreement-list")).status_code == 200  # still signed in

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have signed out." in response.content.decode()
    assert client.get(reverse("assessments:agreement-list")).status_code == 302


@pytest.mark.parametrize(
    ("persona", "label", "review_link"),
    [("analyst", "Analyst", False), ("manager", "Manager", True), ("auditor", "Auditor", False),
     ("administrator", "Administrator", True), ("nobody", "No role", False)],
)
def test_the_navigation_names_the_role_and_offers_what_it_may_do(client, world, persona, label, review_link):
    client.force_login(getattr(world, persona))
    html = client.get(reverse("assessments:agreement-list")).content.decode()
    assert f'<span class="role-badge">{label}</span>' in html
    assert ("?assessment=submitted" in html) is review_link
    # Portfolio scores are for every role; a user with no role has nothing to score.
    assert (f'href="{reverse("scores:portfolio")}"' in html) is (persona != "nobody")
    assert f'action="{reverse("logout")}"' in html  # sign out is a form (POST), not a link


@pytest.mark.parametrize(("persona", "shown"), [("auditor", True), ("administrator", True), ("manager", False),
                                                ("analyst", False)])
def test_the_history_link_appears_for_auditors_and_administrators(client, world, persona, shown):
    client.force_login(getattr(world, persona))
    html = client.get(reverse("assessments:agreement-list")).content.decode()
    assert (f'href="{reverse("audit:global")}"' in html) is shown


def test_every_page_declares_its_language_and_a_title(client, world):
    draft = world.draft(rated=True)
    client.force_login(world.analyst)
    for url in (
        reverse("assessments:agreement-list"),
        reverse("assessments:agreement-detail", args=[draft.agreement_id]),
        reverse("assessments:assessment-edit", args=[draft.pk]),
        reverse("assessments:assessment-detail", args=[draft.pk]),
    ):
        html = client.get(url).content.decode()
        assert '<html lang="en-GB">' in html
        assert "<title>" in html and "<title> · Riskboard" not in html


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world):
    submitted = world.submitted()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.manager)
    link = decision_link(browser, "assessment-approve", submitted)
    page = browser.get(link)
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()

    response = browser.post(reverse("assessments:assessment-approve", args=[submitted.pk]),
                            {"reviewed": reviewed_token(link)})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_every_form_on_the_assessment_pages_carries_the_csrf_token(client, world):
    draft = world.draft()
    submitted = world.submitted()
    client.force_login(world.manager)
    for url in (
        reverse("assessments:assessment-edit", args=[draft.pk]),
        reverse("assessments:assessment-start", args=[world.agreement().pk]),
        decision_link(client, "assessment-approve", submitted),
        decision_link(client, "assessment-return", submitted),
    ):
        html = client.get(url).content.decode()
        post_forms = html.count('method="post"')
        assert post_forms >= 2  # the page's form and the sign-out form
        assert html.count('name="csrfmiddlewaretoken"') == post_forms, url


def test_get_requests_never_change_state(client, world):
    submitted = world.submitted()
    fresh = world.agreement()
    client.force_login(world.manager)
    client.get(decision_link(client, "assessment-approve", submitted))
    client.get(decision_link(client, "assessment-return", submitted))
    client.get(reverse("assessments:assessment-start", args=[fresh.pk]))
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED
    assert not Assessment.objects.filter(agreement=fresh).exists()
