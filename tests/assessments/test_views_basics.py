"""The basics every assessment page shares: its language and title, and form security."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.choices import AssessmentStatus
from assessments.models import Assessment
from tests.review_helpers import decision_link, reviewed_token

pytestmark = pytest.mark.django_db


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
