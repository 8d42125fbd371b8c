"""Assessment writes over the API: through the same services as the pages (four eyes included),
each naming the version the client read (If-Match), with errors a client developer can act on."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from assessments import services
from assessments.choices import AssessmentStatus
from assessments.models import Assessment, AssessmentTransition, Rating
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def url(assessment, action=""):
    return f"/api/v1/assessments/{assessment.pk}/" + (f"{action}/" if action else "")


def codes(assessment):
    return list(assessment.catalogue.categories.order_by("display_order", "code").values_list("code", flat=True))


def full_rating(code, **overrides):
    return {"category": code, "inherent_likelihood": 4, "inherent_impact": 4, "residual_likelihood": 2,
            "residual_impact": 3, "confidence": "high", "rationale": "Vetted partner.", **overrides}


def test_start_an_assessment(api, world, tokens):
    agreement = world.agreement()
    response = api.with_key(tokens["write_analyst"]).post("/api/v1/assessments/", {"agreement": agreement.pk,
                                                                                    "as_of": "2025-03-31"})
    assert response.status_code == 201, response.content
    body = response.json()
    assessment = Assessment.objects.get(agreement=agreement)
    assert response["Location"].endswith(url(assessment)) and response["ETag"] == f'"v{assessment.version}"'
    assert (body["status"], body["as_of"], body["authors"]) == ("draft", "2025-03-31", ["analyst"])
    assert body["missing_categories"] == codes(assessment) and body["result"] is None
    assert AssessmentTransition.objects.get(assessment=assessment).actor == world.analyst


def test_a_second_open_assessment_is_a_400_from_the_service(api, world, tokens):
    draft = world.draft()
    response = api.with_key(tokens["write_analyst"]).post("/api/v1/assessments/", {"agreement": draft.agreement_id})
    assert response.status_code == 400
    assert "already has an open assessment" in response.json()["detail"]


def test_save_ratings_keeps_what_is_left_out_and_scores_them(api, world, tokens):
    draft = world.draft()
    first, second, *_ = codes(draft)
    client = api.with_key(tokens["write_analyst"])
    response = client.patch(url(draft), {"ratings": [full_rating(first, evidence="Report 12")]},
                            headers={"If-Match": f'"v{draft.version}"'})
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"v{draft.version + 1}"'
    response = client.patch(url(draft), {"ratings": [{"category": first, "residual_impact": 4},
                                                      {"category": second, "inherent_likelihood": 1}]},
                            headers={"If-Match": response["ETag"]})
    assert response.status_code == 200, response.content
    ratings = {r["category"]: r for r in response.json()["ratings"]}
    assert ratings[first]["evidence"] == "Report 12"  # left out: kept
    assert (ratings[first]["residual_likelihood"], ratings[first]["residual_impact"]) == (2, 4)
    assert (ratings[first]["residual_score"], ratings[first]["residual_band"]) == (8, "MEDIUM")
    assert (ratings[first]["inherent_score"], ratings[first]["inherent_band"]) == (16, "HIGH")
    assert ratings[second]["inherent_likelihood"] == 1 and ratings[second]["residual_band"] is None


def test_a_complete_assessment_carries_its_roll_up(api, world, tokens):
    draft = world.draft()
    client = api.with_key(tokens["write_analyst"])
    response = client.patch(url(draft), {"ratings": [full_rating(code) for code in codes(draft)]},
                            headers={"If-Match": f'"v{draft.version}"'})
    body = response.json()
    assert body["missing_categories"] == []
    assert body["result"] == {"score": "6.00", "score_low": "6.00", "score_high": "6.00", "inherent_score": "16.00",
                              "band": "MEDIUM", "band_low": "MEDIUM", "band_high": "MEDIUM", "worst_band": "MEDIUM"}


@pytest.mark.parametrize(("rating", "field", "message"), [
    ({"inherent_likelihood": 9}, "ratings[0].inherent_likelihood", "less than or equal to 5"),
    ({"confidence": "sure"}, "ratings[0].confidence", "not a valid choice"),
    ({"safeguards": ["NOPE"]}, "ratings[0].safeguards", "Not safeguards of this catalogue"),
    ({"inherent_likelihood": 1, "inherent_impact": 1, "residual_likelihood": 3, "residual_impact": 3,
      "rationale": ""}, "ratings[0].rationale", "explain why"),
])
def test_invalid_ratings_are_field_errors_and_nothing_is_saved(api, world, tokens, rating, field, message):
    draft = world.draft()
    response = api.with_key(tokens["write_analyst"]).patch(
        url(draft), {"ratings": [{"category": codes(draft)[0], **rating}]}, headers={"If-Match": f'"v{draft.version}"'}
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert message in " ".join(body["fields"][field]), body
    assert Assessment.objects.get(pk=draft.pk).version == draft.version
    assert not Rating.objects.filter(assessment=draft).exists()


def test_an_update_without_if_match_is_428_and_a_stale_one_412(api, world, tokens):
    draft = world.draft()
    client = api.with_key(tokens["write_analyst"])
    body = {"ratings": [{"category": codes(draft)[0], "inherent_likelihood": 2}]}
    response = client.patch(url(draft), body)
    assert response.status_code == 428 and "If-Match" in response.json()["detail"]
    assert client.patch(url(draft), body, headers={"If-Match": "*"}).status_code == 428
    assert client.patch(url(draft), body, headers={"If-Match": f'"v{draft.version}"'}).status_code == 200
    stale = client.patch(url(draft), body, headers={"If-Match": f'"v{draft.version}"'})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert client.patch(url(draft), body, headers={"If-Match": f'W/"v{draft.version + 1}"'}).status_code == 200
    assert Assessment.objects.get(pk=draft.pk).version == draft.version + 2


def test_submit_approve_with_four_eyes_over_the_api(api, world, tokens):
    draft = world.draft(rated=True)
    analyst = api.with_key(tokens["write_analyst"])
    submitted = analyst.post(url(draft, "submit"), headers={"If-Match": f'"v{draft.version}"'})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    # The analyst cannot review; a manager who worked on it cannot either (four eyes).
    assert analyst.post(url(draft, "approve"), headers={"If-Match": submitted["ETag"]}).status_code == 403
    Assessment.objects.get(pk=draft.pk).authors.add(world.manager)
    refused = api.with_key(tokens["write_manager"]).post(url(draft, "approve"), headers={"If-Match": submitted["ETag"]})
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    approved = api.with_key(tokens["write_reviewer"]).post(url(draft, "approve"), {"comment": "Fine."},
                                                           headers={"If-Match": submitted["ETag"]})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["status"], body["reviewer"], body["review_comment"]) == ("approved", "reviewer", "Fine.")
    assert body["next_review_date"] is not None
    transition = AssessmentTransition.objects.filter(assessment=draft).latest("id")
    assert (transition.action, transition.actor) == ("approve", world.reviewer)


def test_return_needs_a_comment(api, world, tokens):
    submitted = world.submitted()
    client = api.with_key(tokens["write_manager"])
    headers = {"If-Match": f'"v{submitted.version}"'}
    response = client.post(url(submitted, "return"), {}, headers=headers)
    assert response.status_code == 400 and "comment" in response.json()["fields"]
    response = client.post(url(submitted, "return"), {"comment": "Check the partner's record."}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == AssessmentStatus.RETURNED


def test_submitting_an_incomplete_assessment_says_what_is_missing(api, world, tokens):
    draft = world.draft()
    response = api.with_key(tokens["write_analyst"]).post(url(draft, "submit"),
                                                          headers={"If-Match": f'"v{draft.version}"'})
    assert response.status_code == 400 and "not fully rated" in response.json()["detail"]


def test_bad_json_is_a_400_and_another_content_type_a_415(api, world, tokens):
    draft = world.draft()
    client = api.with_key(tokens["write_analyst"])
    headers = {"Authorization": f"Token {tokens['write_analyst']}", "If-Match": f'"v{draft.version}"'}
    response = client.client.patch(url(draft), "{not json", content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    response = client.client.patch(url(draft), "ratings=1", content_type="application/x-www-form-urlencoded",
                                   headers=headers)
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL's row locks: set DATABASE_URL to a PostgreSQL server")
@pytest.mark.django_db(transaction=True)
def test_two_updates_with_the_same_if_match_one_200_one_412_nothing_lost(world, tokens, monkeypatch):
    draft = world.draft(rated=True)
    code = codes(draft)[0]
    # The first writer holds the row lock a moment after claiming the version, so the second
    # writer's conditional UPDATE really waits on it rather than merely running later.
    claim = services.assessment._bump_version

    def claim_and_hold(*args, **kwargs):
        claim(*args, **kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(services.assessment, "_bump_version", claim_and_hold)
    start = threading.Barrier(2)
    responses = {}

    def update(name, key):
        try:
            start.wait()
            responses[name] = ApiClient(Client(), key).patch(
                url(draft), {"ratings": [{"category": code, "evidence": f"Typed by {name}"}]},
                headers={"If-Match": f'"v{draft.version}"'},
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=(name, tokens[f"write_{name}"])) for name in ("analyst", "manager")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = {name: response.status_code for name, response in responses.items()}
    assert sorted(statuses.values()) == [200, 412], statuses
    winner = next(name for name, status in statuses.items() if status == 200)
    assert Rating.objects.get(assessment=draft, category__code=code).evidence == f"Typed by {winner}"
    assert Assessment.objects.get(pk=draft.pk).version == draft.version + 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the audit trail is recorded by PostgreSQL triggers")
def test_the_audit_trail_names_the_user_a_token_acts_for_and_the_token(api, world, tokens):
    from audit.models import RatingEvent

    draft = world.draft()
    api.with_key(tokens["write_manager"]).patch(
        url(draft), {"ratings": [{"category": codes(draft)[0], "inherent_likelihood": 2}]},
        headers={"If-Match": f'"v{draft.version}"'},
    )
    rating = Rating.objects.get(assessment=draft)
    contexts = list(RatingEvent.objects.filter(pgh_obj_id=rating.pk).values_list("pgh_context__metadata", flat=True))
    assert contexts and all(
        (c["user"], c["api_token"]) == (world.manager.pk, tokens["write_manager"].split(".")[0]) for c in contexts
    )
