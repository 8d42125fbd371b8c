"""The workflow through the pages: review with changes highlighted, approve, return, four eyes."""

import datetime as dt
import re
from dataclasses import replace

import pytest
from django.urls import reverse

from assessments import services
from assessments.choices import AssessmentStatus, TransitionAction
from tests.factories import CatalogueFactory
from tests.review_helpers import decision_link, reviewed_token

pytestmark = pytest.mark.django_db


def url(name, assessment):
    return reverse(f"assessments:{name}", args=[assessment.pk])


def post_decision(client, name, assessment, *, link=None, **data):
    """Open the review page, follow its decision link and post the decision form (``link``: an
    older link, as from a page opened earlier)."""
    link = link or decision_link(client, name, assessment)
    return client.post(url(name, assessment), {"reviewed": reviewed_token(link), **data})


def test_the_review_page_highlights_what_changed_since_the_last_approval(client, world):
    agreement = world.agreement()
    world.approved(agreement, inherent=(4, 4), residual=(2, 3))
    reassessment = world.draft(agreement)  # pre-filled from the approved one
    first = reassessment.catalogue.categories.order_by("display_order").first()
    services.assessment_save_ratings(
        assessment=reassessment, actor=world.analyst, expected_version=reassessment.version,
        ratings=world.inputs(reassessment, categories=[first], residual=(5, 5)),
    )
    services.assessment_submit(assessment=reassessment, actor=world.analyst)
    client.force_login(world.manager)
    html = client.get(url("assessment-review", reassessment)).content.decode()

    assert "<strong>1 of 3 categories changed</strong>" in html
    assert '<li><a href="#category-CAT_1">Category 1</a></li>' in html
    assert '<section class="category category--read category--changed" id="category-CAT_1"' in html
    assert '<section class="category category--read" id="category-CAT_2"' in html
    changed = html[html.index('id="category-CAT_1"'):html.index('id="category-CAT_2"')]
    assert 'Residual likelihood <span class="tag tag--changed">Changed</span>' in changed
    assert "Previously:</span> 2 · Likelihood 2" in changed
    assert "(was <span" in changed and 'data-band-code="MEDIUM"' in changed  # residual band 2x3 before
    unchanged = html[html.index('id="category-CAT_2"'):html.index('id="category-CAT_3"')]
    assert "Changed" not in unchanged


def test_a_first_assessment_says_there_is_nothing_to_compare(client, world):
    submitted = world.submitted()
    client.force_login(world.manager)
    html = client.get(url("assessment-review", submitted)).content.decode()
    assert "first assessment: there is nothing to compare it with" in html
    assert url("assessment-approve", submitted) in html and url("assessment-return", submitted) in html


def test_an_author_may_read_but_not_decide_four_eyes(client, world):
    draft = world.draft(rated=True, actor=world.manager)
    services.assessment_submit(assessment=draft, actor=world.manager)
    client.force_login(world.manager)
    html = client.get(url("assessment-review", draft)).content.decode()
    assert "another manager of Strategic must review it (four eyes)" in html
    assert url("assessment-approve", draft) not in html
    assert client.get(url("assessment-approve", draft)).status_code == 403
    response = post_decision(client, "assessment-approve", draft)
    assert response.status_code == 403
    assert "four eyes" in response.content.decode()
    assert post_decision(client, "assessment-return", draft, comment="Mine").status_code == 403
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.SUBMITTED


def test_approving_asks_for_confirmation_then_sets_the_review_date(client, world):
    agreement = world.agreement(end_date=dt.date(2099, 1, 1))
    submitted = world.submitted(agreement, residual=(4, 5))  # Critical: reviewed again in 3 months
    client.force_login(world.manager)
    confirm = client.get(decision_link(client, "assessment-approve", submitted)).content.decode()
    assert "Approve this assessment?" in confirm and 'data-band-code="CRITICAL"' in confirm
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED  # the confirmation step changes nothing

    response = post_decision(client, "assessment-approve", submitted, comment="Agreed.")
    assert response.status_code == 302 and response.url == url("assessment-detail", submitted)
    submitted.refresh_from_db()
    approved_on = submitted.approved_at.date()
    assert submitted.status == AssessmentStatus.APPROVED and submitted.reviewer == world.manager
    assert submitted.next_review_date.month == (approved_on.month + 2) % 12 + 1
    assert submitted.transitions.filter(action=TransitionAction.APPROVE, actor=world.manager,
                                        comment="Agreed.").exists()
    page = client.get(url("assessment-detail", submitted)).content.decode()
    assert "Assessment approved. Next review due" in page
    assert "Agreed." in page


def test_the_review_date_never_passes_the_agreements_end_minus_notice(client, world):
    from django.utils import timezone

    end = timezone.localdate() + dt.timedelta(days=100)
    agreement = world.agreement(start_date=dt.date(2020, 1, 1), end_date=end, notice_period_days=30)
    submitted = world.submitted(agreement, residual=(1, 1))  # Low: 24 months, far past the end
    client.force_login(world.manager)
    page = client.get(decision_link(client, "assessment-approve", submitted)).content.decode()
    expected = end - dt.timedelta(days=30)
    assert f"{expected.day} {expected:%B %Y}" in page  # previewed before approving
    post_decision(client, "assessment-approve", submitted)
    submitted.refresh_from_db()
    assert submitted.next_review_date == expected


def test_returning_needs_a_comment(client, world):
    submitted = world.submitted()
    client.force_login(world.manager)
    response = post_decision(client, "assessment-return", submitted, comment="   ")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_comment"' in html and 'id="id_comment_error"' in html
    assert "a comment is required to return" in html
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_return_fix_resubmit_approve(client, world):
    submitted = world.submitted()
    client.force_login(world.manager)
    assert post_decision(client, "assessment-return", submitted,
                         comment="Reconsider category 2.").status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.RETURNED and submitted.review_comment == "Reconsider category 2."

    client.force_login(world.analyst)
    form_page = client.get(url("assessment-edit", submitted)).content.decode()
    assert "Reconsider category 2." in form_page
    services.assessment_submit(assessment=submitted, actor=world.analyst)  # resubmitted as it was

    client.force_login(world.manager)
    assert post_decision(client, "assessment-approve", submitted).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.APPROVED
    assert list(submitted.transitions.values_list("action", flat=True)) == [
        TransitionAction.CREATE, TransitionAction.SUBMIT, TransitionAction.RETURN, TransitionAction.SUBMIT,
        TransitionAction.APPROVE,
    ]


@pytest.mark.parametrize("status", [AssessmentStatus.DRAFT, AssessmentStatus.RETURNED, AssessmentStatus.APPROVED])
def test_only_a_submitted_assessment_can_be_reviewed(client, world, status):
    if status == AssessmentStatus.DRAFT:
        assessment = world.draft(rated=True)
    elif status == AssessmentStatus.RETURNED:
        assessment = services.assessment_return(assessment=world.submitted(), actor=world.manager, comment="No")
    else:
        assessment = world.approved()
    client.force_login(world.manager)
    for name in ("assessment-review", "assessment-approve", "assessment-return"):
        response = client.get(url(name, assessment))
        assert response.status_code == 302 and response.url == url("assessment-detail", assessment)
    post_decision(client, "assessment-approve", assessment)
    assessment.refresh_from_db()
    assert assessment.status == status


def test_an_approved_assessment_is_final(client, world):
    approved = world.approved()
    ratings_before = list(approved.ratings.values_list("inherent_likelihood", "rationale"))
    client.force_login(world.analyst)
    assert client.get(url("assessment-edit", approved)).status_code == 302
    category = approved.catalogue.categories.first()
    response = client.post(url("assessment-edit", approved), {
        "version": approved.version, "intent": "save",
        f"c{category.pk}-inherent_likelihood": "1", f"c{category.pk}-rationale": "Rewritten",
        **{f"c{c.pk}-confidence": "medium" for c in approved.catalogue.categories.all()},
    })
    assert response.status_code == 409
    assert list(approved.ratings.values_list("inherent_likelihood", "rationale")) == ratings_before
    html = client.get(url("assessment-detail", approved)).content.decode()
    assert url("assessment-edit", approved) not in html


def test_the_review_page_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    CatalogueFactory(contents__categories=10)
    agreement = world.agreement()
    world.approved(agreement)
    submitted = world.submitted(agreement, residual=(3, 3))
    client.force_login(world.manager)
    with django_assert_max_num_queries(15):  # 14, and the catalogue's roll-up rules for the headline band
        response = client.get(url("assessment-review", submitted))
    assert "<strong>10 of 10 categories changed</strong>" in response.content.decode()


# --- The decision carries what the manager read (issue 8, defect 1) ----------------------------


def _return_edit_resubmit(world, assessment):
    """Meanwhile: another manager returns it, an analyst changes category 2 and submits it again."""
    services.assessment_return(assessment=assessment, actor=world.reviewer, comment="Lower category 2, please.")
    second = assessment.catalogue.categories.get(code="CAT_2")
    services.assessment_save_ratings(
        assessment=assessment, actor=world.analyst, expected_version=assessment.version,
        ratings=[services.RatingInput(
            category_id=second.pk, inherent_likelihood=4, inherent_impact=4, residual_likelihood=3,
            residual_impact=4, rationale="Rewritten after the return.", confidence="high",
        )],
    )
    services.assessment_submit(assessment=assessment, actor=world.analyst)


def test_approving_from_a_review_page_opened_before_a_return_and_resubmission_is_refused(client, world):
    """The reported scenario: the review page stays open while the assessment is returned, edited and
    resubmitted; its Approve link must not approve the new content, and says what changed."""
    submitted = world.submitted()  # every category 4x4 -> 2x3, all safeguards, a rationale
    client.force_login(world.manager)
    approve_link = decision_link(client, "assessment-approve", submitted)
    return_link = decision_link(client, "assessment-return", submitted)
    _return_edit_resubmit(world, submitted)
    submitted.refresh_from_db()
    version = submitted.version

    response = client.get(approve_link)
    page = response.content.decode()
    assert response.status_code == 409
    assert "This assessment changed since you reviewed it" in page
    assert "Your approval was <strong>not recorded</strong>" in page
    since = page[page.index('id="since-title"'):page.index('id="changed-title"')]
    assert "<strong>Returned</strong> by reviewer" in since and "Lower category 2, please." in since
    assert "<strong>Submitted</strong> by analyst" in since
    assert "<strong>1 category changed</strong>" in page
    assert 'id="changed-CAT_1"' not in page and 'id="changed-CAT_3"' not in page
    changed = page[page.index('id="changed-CAT_2"'):]
    assert re.search(r"<dt>Residual band</dt>\s*<dd>\s*<div>Now: <span [^>]*data-band-code=\"HIGH\"", changed)
    assert re.search(r"When you reviewed it:</span> <span [^>]*data-band-code=\"MEDIUM\"", changed)
    assert "<dt>Residual likelihood</dt>" in changed and "Now: 3 · Likelihood 3" in changed
    assert "When you reviewed it:</span> 2 · Likelihood 2" in changed
    assert "<dt>Safeguards from the library</dt>" in changed and "When you reviewed it:</span> Safeguard 2" in changed
    assert "Now: Rewritten after the return." in changed and "When you reviewed it:</span> a different text" in changed
    assert "<dt>Confidence</dt>" in changed and "<dt>Inherent likelihood</dt>" not in changed
    assert 'href="{}"'.format(url("assessment-review", submitted)) in page  # review it again

    response = post_decision(client, "assessment-approve", submitted, link=approve_link, comment="Fine by me.")
    assert response.status_code == 409
    assert "Your comment (not saved)" in response.content.decode() and "Fine by me." in response.content.decode()
    assert post_decision(client, "assessment-return", submitted, link=return_link, comment="No.").status_code == 409
    submitted.refresh_from_db()
    assert (submitted.status, submitted.version, submitted.reviewer) == (AssessmentStatus.SUBMITTED, version,
                                                                         world.reviewer)

    # Read again, the decision goes through, on the version now shown.
    assert post_decision(client, "assessment-approve", submitted, comment="Fine now.").status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.APPROVED and submitted.reviewer == world.manager


def test_a_decision_confirmed_before_the_assessment_changed_is_refused(client, world):
    """The confirmation page was fine when opened; the assessment moved on before the button was pressed."""
    submitted = world.submitted()
    client.force_login(world.manager)
    link = decision_link(client, "assessment-approve", submitted)
    assert client.get(link).status_code == 200
    services.assessment_return(assessment=submitted, actor=world.reviewer, comment="Not yet.")
    services.assessment_submit(assessment=submitted, actor=world.analyst)  # resubmitted unchanged

    response = post_decision(client, "assessment-approve", submitted, link=link)
    page = response.content.decode()
    assert response.status_code == 409
    assert "<strong>Returned</strong> by reviewer" in page and "Not yet." in page
    assert "No rating changed: every category reads as it did when you reviewed it." in page
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_a_link_to_an_assessment_since_returned_shows_what_happened(client, world):
    submitted = world.submitted()
    client.force_login(world.manager)
    link = decision_link(client, "assessment-return", submitted)
    services.assessment_return(assessment=submitted, actor=world.reviewer, comment="Returned by a colleague.")
    response = client.get(link)
    page = response.content.decode()
    assert response.status_code == 409
    assert "The assessment is now <strong>returned to draft</strong>" in page
    assert "It is not awaiting your review now." in page and "Returned by a colleague." in page
    assert url("assessment-review", submitted) not in page


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("token", "says"), [
    ("", "does not say which version of the assessment you reviewed"),
    ("3", "damaged or incomplete"),
    ("eyJ2Ijo5OTl9:forged:signature", "damaged or incomplete"),
])
def test_a_decision_without_a_usable_snapshot_is_a_clear_error(client, world, method, token, says):
    submitted = world.submitted()
    client.force_login(world.manager)
    for name in ("assessment-approve", "assessment-return"):
        data = {"reviewed": token, "comment": "Agreed."} if token else {"comment": "Agreed."}
        response = getattr(client, method)(url(name, submitted), data)
        page = response.content.decode()
        assert response.status_code == 400, (name, method, token)
        assert "Open the review page first" in page and says in page
        assert f'href="{url("assessment-review", submitted)}"' in page
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_a_link_made_for_another_manager_or_assessment_is_refused(client, world):
    submitted = world.submitted()
    other = world.submitted()
    client.force_login(world.reviewer)
    colleagues_link = decision_link(client, "assessment-approve", submitted)
    other_link = decision_link(client, "assessment-approve", other)
    client.force_login(world.manager)
    response = client.get(colleagues_link)
    assert response.status_code == 400 and "made for another manager" in response.content.decode()
    response = client.post(url("assessment-approve", submitted), {"reviewed": reviewed_token(other_link)})
    assert response.status_code == 400 and "damaged or incomplete" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_the_decision_links_stay_short_whatever_the_analysts_wrote(client, world):
    """The snapshot rides in a URL: servers refuse request lines over 4 KiB (gunicorn's default)."""
    CatalogueFactory(contents__categories=10)
    agreement = world.agreement()
    assessment = world.draft(agreement)
    def long_text(what, item):  # near the 10,000-character limit, different in every field
        return f"{what} of category {item.category_id}: a long and careful text. " * 180

    services.assessment_save_ratings(
        assessment=assessment, actor=world.analyst, expected_version=assessment.version,
        ratings=[replace(item, rationale=long_text("Rationale", item), evidence=long_text("Evidence", item),
                         safeguards_other=long_text("Other", item)) for item in world.inputs(assessment)],
    )
    services.assessment_submit(assessment=assessment, actor=world.analyst)
    client.force_login(world.manager)
    link = decision_link(client, "assessment-approve", assessment)
    assert len(link) < 2000, len(link)
    assert client.get(link).status_code == 200


@pytest.mark.parametrize(("end", "notice"), [
    (dt.date(2200, 12, 31), 0),  # the latest end the model allows
    (dt.date(1900, 1, 1), 3650),  # the earliest end, the longest notice: the deadline is long past
])
def test_the_approval_page_works_at_the_edges_of_an_agreements_ranges(client, world, end, notice):
    from django.utils import timezone

    from assessments.scheduling import add_months

    agreement = world.agreement(start_date=dt.date(1900, 1, 1), end_date=end, notice_period_days=notice)
    submitted = world.submitted(agreement, residual=(1, 1))  # Low: 24 months
    client.force_login(world.manager)
    response = client.get(decision_link(client, "assessment-approve", submitted))
    assert response.status_code == 200
    today = timezone.localdate()
    expected = today if end.year == 1900 else add_months(today, 24)
    assert f"{expected.day} {expected:%B %Y}" in response.content.decode()
    assert post_decision(client, "assessment-approve", submitted).status_code == 302
    submitted.refresh_from_db()
    assert submitted.next_review_date == expected


def test_the_refusal_page_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    CatalogueFactory(contents__categories=10)
    submitted = world.submitted(world.agreement())
    client.force_login(world.manager)
    link = decision_link(client, "assessment-approve", submitted)
    _return_edit_resubmit(world, submitted)
    with django_assert_max_num_queries(13):
        response = client.get(link)
    assert response.status_code == 409


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("assessment-approve", {}, AssessmentStatus.APPROVED, "Your approval of this assessment was already recorded."),
    ("assessment-return", {"comment": "Redo it."}, AssessmentStatus.RETURNED,
     "Your return of this assessment was already recorded."),
])
def test_a_decision_sent_twice_is_taken_once_and_said_so(client, world, name, data, status, message):
    submitted = world.submitted()
    client.force_login(world.manager)
    link = decision_link(client, name, submitted)
    assert post_decision(client, name, submitted, link=link, **data).status_code == 302
    again = post_decision(client, name, submitted, link=link, **data)
    assert again.status_code == 302 and again.url == url("assessment-detail", submitted)
    assert message in client.get(again.url).content.decode()
    submitted.refresh_from_db()
    assert submitted.status == status and submitted.transitions.filter(action=name.split("-")[1]).count() == 1


# --- One headline band (issue 9 §2) --------------------------------------------------------------


def _one_critical_two_low(world, agreement):
    draft = world.draft(agreement)
    inputs = world.inputs(draft, inherent=(5, 5), residual=(1, 1))
    inputs[0] = replace(inputs[0], residual_likelihood=5, residual_impact=5)
    services.assessment_save_ratings(assessment=draft, actor=world.analyst, expected_version=draft.version,
                                     ratings=inputs)
    return services.assessment_submit(assessment=draft, actor=world.analyst)


def _dd(html: str, marker: str) -> str:
    return re.search(rf"<(?:dd|span) {marker}>(.*?)</(?:dd|span)>\s*(?:</div>|·|</p>)", html, re.S).group(1)


@pytest.mark.parametrize(("floors", "band"), [({}, "MEDIUM"), (
    {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]}, "HIGH")])
def test_review_and_approval_pages_show_the_headline_band_and_the_worst_category(client, world, floors, band):
    """Band is what the agreement will be counted as once approved (the catalogue's roll-up: a mean of
    (25 + 1 + 1) / 3 = 9 is Medium, raised to High by a floor); the Critical category is shown apart."""
    from catalogue.models import RiskCatalogue

    RiskCatalogue.objects.filter(pk=world.catalogue.pk).update(rollup_params=floors)
    submitted = _one_critical_two_low(world, world.agreement())
    client.force_login(world.manager)

    for page in (client.get(url("assessment-review", submitted)).content.decode(),
                 client.get(decision_link(client, "assessment-approve", submitted)).content.decode()):
        assert f'data-band-code="{band}"' in _dd(page, "data-headline-band")
        assert 'data-band-code="CRITICAL"' in _dd(page, "data-worst-category")
        assert "worst residual band" not in page.lower()


def test_a_draft_rated_in_part_has_no_band_yet(client, world):
    draft = world.draft(world.agreement())
    inputs = world.inputs(draft, inherent=(3, 3), residual=(2, 2))[:1]
    services.assessment_save_ratings(assessment=draft, actor=world.analyst, expected_version=draft.version,
                                     ratings=inputs)
    client.force_login(world.analyst)
    page = client.get(url("assessment-detail", draft)).content.decode()
    assert "once every category is rated" in _dd(page, "data-headline-band")
    assert 'data-band-code="LOW"' in _dd(page, "data-worst-category")
