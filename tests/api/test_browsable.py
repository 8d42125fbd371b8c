"""The browsable API: a signed-in person can read the API in a browser, and the docs load locally."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/agreements/", "/api/v1/assessments/", "/api/v1/catalogues/",
                                 "/api/v1/partners/", "assessment", "agreement"])
def test_a_signed_in_user_browses_the_api_as_html(client, world, url):
    draft = world.draft()
    url = {"assessment": f"/api/v1/assessments/{draft.pk}/",
           "agreement": f"/api/v1/agreements/{draft.agreement_id}/"}.get(url, url)
    client.force_login(world.analyst)
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    expected = {"catalogues": draft.catalogue.name, "partners": draft.agreement.partners.get().name}
    shown = next((text for key, text in expected.items() if key in url), draft.agreement.reference)
    assert shown in response.content.decode()


def test_the_docs_are_served_from_this_server(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "<script>" not in page  # no CDN, no inline script
