"""What every page's navigation knows about the user (``riskboard.context_processors``)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


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
