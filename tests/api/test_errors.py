"""Bad input anywhere in a request is a 4xx in the API's one error shape, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_query_string_is_a_json_400(api, world, tokens):
    response = api.with_key(tokens["read_all"]).get("/api/v1/agreements/?q=a%00b")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid" and "NUL" in response.json()["detail"]


def test_a_nul_in_a_json_body_is_a_field_error(api, world, tokens):
    draft = world.draft()
    code = draft.catalogue.categories.first().code
    response = api.with_key(tokens["write_analyst"]).patch(
        f"/api/v1/assessments/{draft.pk}/", {"ratings": [{"category": code, "rationale": "a\x00b"}]},
        headers={"If-Match": f'"v{draft.version}"'},
    )
    assert response.status_code == 400
    assert "ratings[0].rationale" in response.json()["fields"]


@pytest.mark.parametrize("path", ["/api/v1/agreements/99999999999999999999/", "/api/v1/nowhere/",
                                  "/api/v2/agreements/", "/api/v1/agreements/1/history/extra/"])
def test_unknown_paths_under_the_api_are_json_404s(api, tokens, path):
    response = api.with_key(tokens["read_all"]).get(path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_method_an_endpoint_does_not_take_is_a_json_405(api, world, tokens):
    agreement = world.agreement()
    response = api.with_key(tokens["write_analyst"]).post(f"/api/v1/agreements/{agreement.pk}/", {})
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
