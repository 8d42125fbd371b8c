"""Starting an assessment and the assessment form: save, validate, submit, conflicts.

The form is filled the way a browser fills it: ``browser_form`` reads the page's own fields
(hidden inputs, checked radios and boxes, textareas) and the test changes some before posting.
"""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.choices import AssessmentStatus, TransitionAction
from assessments.models import Assessment, Rating
from tests.factories import CatalogueFactory

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The name/value pairs a browser would send for the form with id ``form_id``."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.textarea = form_id, False, None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("radio", "checkbox") and "checked" not in attrs:
                return
            if attrs.get("type") != "submit":
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif self.inside and tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            name, value = self.textarea
            self.fields.append((name, value.removeprefix("\n")))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def browser_form(response) -> dict:
    parser = _FormFields("assessment-form")
    parser.feed(response.content.decode())
    data: dict = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


def edit_url(assessment):
    return reverse("assessments:assessment-edit", args=[assessment.pk])


def levels(category, il=None, ii=None, rl=None, ri=None) -> dict:
    values = {"inherent_likelihood": il, "inherent_impact": ii, "residual_likelihood": rl, "residual_impact": ri}
    return {f"c{category.pk}-{name}": [str(v)] for name, v in values.items() if v is not None}


@pytest.fixture
def categories(world):
    return list(world.catalogue.categories.order_by("display_order"))


# --- Starting --------------------------------------------------------------------------------


def test_start_explains_the_prefill_and_only_a_post_starts(client, world, categories):
    agreement = world.agreement()
    previous = world.approved(agreement, inherent=(5, 5), residual=(3, 3))
    client.force_login(world.analyst)
    url = reverse("assessments:assessment-start", args=[agreement.pk])
    page = client.get(url).content.decode()
    assert "starts as a copy of the one approved on" in page
    assert not Assessment.objects.filter(agreement=agreement).exclude(pk=previous.pk).exists()

    response = client.post(url, {"as_of": "2025-03-31"}, follow=True)
    draft = Assessment.objects.get(agreement=agreement, status=AssessmentStatus.DRAFT)
    assert response.redirect_chain[0][0] == edit_url(draft)
    assert draft.previous == previous and draft.as_of == dt.date(2025, 3, 31)
    assert "pre-filled from the approved assessment" in response.content.decode()
    form = browser_form(response)
    assert form[f"c{categories[0].pk}-inherent_likelihood"] == ["5"]
    assert form[f"c{categories[0].pk}-residual_impact"] == ["3"]


def test_starting_again_leads_to_the_open_assessment(client, world):
    draft = world.draft()
    client.force_login(world.manager)
    response = client.get(reverse("assessments:assessment-start", args=[draft.agreement_id]))
    assert response.status_code == 302 and response.url == edit_url(draft)


def test_a_future_assessment_date_is_refused_next_to_the_field(client, world):
    agreement = world.agreement()
    client.force_login(world.analyst)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("assessments:assessment-start", args=[agreement.pk]), {"as_of": tomorrow})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_as_of"' in html and 'id="id_as_of_error"' in html
    assert response.context["form"].errors == {"as_of": ["The assessment date cannot be in the future."]}
    assert f'value="{tomorrow}"' in html  # what they typed is kept
    assert not Assessment.objects.filter(agreement=agreement).exists()


# --- The form --------------------------------------------------------------------------------


def test_levels_are_labelled_choices_with_descriptions_grouped_by_field(client, world, categories):
    draft = world.draft()
    client.force_login(world.analyst)
    html = client.get(edit_url(draft)).content.decode()
    first = categories[0].pk
    group = re.search(rf'<fieldset[^>]*id="id_c{first}-inherent_likelihood-group".*?</fieldset>', html, re.S).group(0)
    assert "<legend>Inherent likelihood</legend>" in group
    assert f'<label for="id_c{first}-inherent_likelihood_2">3 · Likelihood 3</label>' in group
    assert f'aria-describedby="id_c{first}-inherent_likelihood_2_desc"' in group
    assert f'id="id_c{first}-inherent_likelihood_2_desc">Likelihood level 3.</span>' in group
    assert "Not rated yet" in group
    assert "Description of category 1." in html and "Question 1?" in html
    # Each category offers only the safeguards of its own library.
    section = html[html.index('id="category-CAT_1"'):html.index('id="category-CAT_2"')]
    assert "Safeguard 1" in section and "Safeguard 2" not in section
    assert f'<label for="id_c{first}-rationale" class="field__label">Rationale</label>' in section


def test_saved_levels_show_their_bands_and_the_progress_without_javascript(client, world, categories):
    draft = world.draft()
    services.assessment_save_ratings(assessment=draft, actor=world.analyst, expected_version=draft.version,
                                     ratings=world.inputs(draft, categories=categories[:1]))
    client.force_login(world.analyst)
    html = client.get(edit_url(draft)).content.decode()
    assert "<strong data-rated-count>1</strong> of 3 categories rated" in html
    section = html[html.index('id="category-CAT_1"'):html.index('id="category-CAT_2"')]
    inherent = section[section.index('data-band-output="inherent"'):]
    assert inherent.index('data-band-code="HIGH"') < inherent.index('data-band-output="residual"')  # 4 x 4
    assert 'data-band-code="MEDIUM"' in inherent[inherent.index('data-band-output="residual"'):]  # 2 x 3
    assert '"4-4": {"code": "HIGH"' in html  # the matrix, for the live band


def test_a_partial_draft_saves_and_says_how_far_it_is(client, world, categories):
    draft = world.draft()
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    data.update(levels(categories[1], 2, 3, 1, 3))
    data[f"c{categories[1].pk}-rationale"] = ["Limited exchange."]
    response = client.post(edit_url(draft), {**data, "intent": "save"}, follow=True)
    assert response.redirect_chain[0] == (edit_url(draft), 302)
    assert "Draft saved. 1 of 3 categories rated." in response.content.decode()
    rating = Rating.objects.get(assessment=draft)
    assert (rating.category, rating.inherent_likelihood, rating.residual_impact, rating.rationale) == (
        categories[1], 2, 3, "Limited exchange.")
    draft.refresh_from_db()
    assert draft.version == 2 and draft.status == AssessmentStatus.DRAFT


def test_the_save_button_of_a_section_returns_to_that_section(client, world, categories):
    draft = world.draft()
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    data.update(levels(categories[2], 1))
    response = client.post(edit_url(draft), {**data, "save_at": "CAT_3"})
    assert response.url == edit_url(draft) + "#category-CAT_3"


def test_invalid_input_is_shown_next_to_its_field_and_in_the_summary_and_nothing_is_saved(client, world, categories):
    draft = world.draft()
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    pk = categories[0].pk
    data.update(levels(categories[0], 2, 2, 4, 2))  # residual likelihood above inherent, no rationale
    data[f"c{pk}-evidence"] = ["Field report of 3 March"]
    data.update(levels(categories[1], 9))  # not a level
    response = client.post(edit_url(draft), {**data, "intent": "save"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Nothing was saved" in html
    assert f'<a href="#id_c{pk}-rationale">Category 1: The residual rating is above the inherent rating' in html
    assert f'id="id_c{pk}-rationale_error"' in html
    assert re.search(rf'<textarea[^>]*aria-invalid="true"[^>]*id="id_c{pk}-rationale"', html) or re.search(
        rf'<textarea[^>]*id="id_c{pk}-rationale"[^>]*aria-invalid="true"', html)
    assert f'href="#id_c{categories[1].pk}-inherent_likelihood_0">Category 2: Choose one of the levels shown.' in html
    # What the analyst typed and chose is still there.
    kept = browser_form(response)
    assert kept[f"c{pk}-evidence"] == ["Field report of 3 March"]
    assert kept[f"c{pk}-residual_likelihood"] == ["4"]
    assert not Rating.objects.filter(assessment=draft).exists()
    draft.refresh_from_db()
    assert draft.version == 1


def test_submitting_an_incomplete_assessment_saves_it_and_lists_each_missing_level(client, world, categories):
    draft = world.draft()
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    data.update(levels(categories[0], 3, 3, 2, 2))
    data.update(levels(categories[1], 3, 3))
    response = client.post(edit_url(draft), {**data, "intent": "submit"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "This assessment cannot be submitted yet" in html
    assert "Your changes were saved as a draft. 2 categories are not fully rated." in html
    summary = html[html.index("error-summary"):html.index("form-layout")]
    second, third = categories[1].pk, categories[2].pk
    assert f'href="#id_c{second}-residual_likelihood_0">Residual likelihood</a>' in summary
    assert f'href="#id_c{second}-inherent_likelihood_0"' not in summary  # that one was given
    assert summary.count(f'href="#id_c{third}-') == 4
    assert f'id="id_c{second}-residual_impact_error"' in html  # and next to the field itself
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT
    assert Rating.objects.filter(assessment=draft).count() == 2
    # The page carries the new version: submitting again after rating works.
    again = browser_form(response)
    again.update(levels(categories[1], 3, 3, 1, 1))
    again.update(levels(categories[2], 1, 1, 1, 1))
    assert client.post(edit_url(draft), {**again, "intent": "submit"}).status_code == 302


def test_submitting_a_complete_assessment(client, world):
    draft = world.draft(rated=True)
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    response = client.post(edit_url(draft), {**data, "intent": "submit"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("assessments:assessment-detail", args=[draft.pk])
    assert "Submitted for review" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.SUBMITTED
    transition = draft.transitions.get(action=TransitionAction.SUBMIT)
    assert transition.actor == world.analyst and transition.from_status == AssessmentStatus.DRAFT


def test_a_submitted_assessment_cannot_be_opened_for_editing(client, world):
    submitted = world.submitted()
    client.force_login(world.analyst)
    response = client.get(edit_url(submitted), follow=True)
    assert response.redirect_chain[0][0] == reverse("assessments:assessment-detail", args=[submitted.pk])
    assert "it can no longer be edited" in response.content.decode()


def test_the_reviewers_comment_is_at_the_top_of_a_returned_form(client, world):
    submitted = world.submitted()
    services.assessment_return(assessment=submitted, actor=world.manager, comment="Say more about <reciprocity>.")
    client.force_login(world.analyst)
    html = client.get(edit_url(submitted)).content.decode()
    assert "Returned by manager" in html
    assert "Say more about &lt;reciprocity&gt;." in html


def test_stored_script_renders_inert_on_every_page(client, world, categories):
    draft = world.draft()
    payload = '<script>alert("x")</script>'
    services.assessment_save_ratings(
        assessment=draft, actor=world.analyst, expected_version=draft.version,
        ratings=world.inputs(draft, evidence=payload, safeguards_other=payload),
    )
    services.assessment_submit(assessment=draft, actor=world.analyst)
    client.force_login(world.manager)
    for url in (reverse("assessments:assessment-detail", args=[draft.pk]),
                reverse("assessments:assessment-review", args=[draft.pk])):
        html = client.get(url).content.decode()
        assert payload not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_form_page_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    CatalogueFactory(contents__categories=10)  # the newest published catalogue: ten categories
    draft = world.draft(rated=True)
    assert draft.catalogue.categories.count() == 10
    client.force_login(world.analyst)
    client.get(edit_url(draft))  # the catalogue's matrix and levels are cached from then on
    with django_assert_max_num_queries(10):
        response = client.get(edit_url(draft))
    assert "<strong data-rated-count>10</strong> of 10 categories rated" in response.content.decode()


def test_saving_every_category_of_a_ten_category_form_runs_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    CatalogueFactory(contents__categories=10)
    draft = world.draft(rated=True)
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    for category in draft.catalogue.categories.all():
        data.update(levels(category, il=5, ii=5, rl=1, ri=1))
        data[f"c{category.pk}-safeguards"] = []
    with django_assert_max_num_queries(21):  # 48 when each category was saved on its own
        response = client.post(edit_url(draft), data)
    assert response.status_code == 302
    assert set(Rating.objects.filter(assessment=draft).values_list("inherent_likelihood", "residual_impact")) == {
        (5, 1)
    }
    assert not Rating.safeguards.through.objects.filter(rating__assessment=draft).exists()


# --- Conflicts -------------------------------------------------------------------------------


def test_a_save_over_a_newer_version_shows_the_conflict_and_keeps_the_users_input(client, world, categories):
    draft = world.draft(rated=True)
    one, two, three = (c.pk for c in categories)
    client.force_login(world.analyst)
    tab_a = browser_form(client.get(edit_url(draft)))

    # Another tab (or another analyst) saves first.
    tab_b = browser_form(client.get(edit_url(draft)))
    tab_b[f"c{one}-evidence"] = ["Evidence typed in tab B"]
    tab_b.update(levels(categories[1], ii=5))
    assert client.post(edit_url(draft), {**tab_b, "intent": "save"}).status_code == 302

    tab_a[f"c{one}-evidence"] = ["Evidence typed in tab A"]
    tab_a[f"c{three}-safeguards_other"] = ["Only tab A typed this"]
    response = client.post(edit_url(draft), {**tab_a, "intent": "save"})
    html = response.content.decode()

    assert response.status_code == 409
    assert "Someone else saved this assessment while you were editing" in html
    assert "<strong>Changed by both of you.</strong>" in html and "Evidence typed in tab B" in html
    assert "<strong>Updated by someone else</strong> to “5 · Impact 5”" in html
    merged = browser_form(response)
    assert merged[f"c{one}-evidence"] == ["Evidence typed in tab A"]  # kept
    assert merged[f"c{two}-inherent_impact"] == ["5"]  # theirs, which A had not touched
    assert merged[f"c{three}-safeguards_other"] == ["Only tab A typed this"]  # kept
    # Nothing of tab A was written; tab B's save stands.
    rating = Rating.objects.get(assessment=draft, category_id=one)
    assert rating.evidence == "Evidence typed in tab B"
    assert not Rating.objects.get(assessment=draft, category_id=three).safeguards_other

    # Saving the merged form is a deliberate choice and succeeds.
    assert client.post(edit_url(draft), {**merged, "intent": "save"}).status_code == 302
    stored = {r.category_id: r for r in Rating.objects.filter(assessment=draft)}
    assert stored[one].evidence == "Evidence typed in tab A"
    assert stored[two].inherent_impact == 5
    assert stored[three].safeguards_other == "Only tab A typed this"


def test_a_stale_page_saved_without_changes_shows_what_moved_on(client, world, categories):
    draft = world.draft(rated=True)
    client.force_login(world.analyst)
    stale = browser_form(client.get(edit_url(draft)))
    services.assessment_save_ratings(
        assessment=draft, actor=world.manager, expected_version=draft.version,
        ratings=world.inputs(draft, categories=categories[:1], inherent=(5, 5)),
    )
    response = client.post(edit_url(draft), {**stale, "intent": "submit"})
    assert response.status_code == 409
    assert browser_form(response)[f"c{categories[0].pk}-inherent_likelihood"] == ["5"]
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT  # nothing submitted over unseen changes


def test_an_assessment_submitted_meanwhile_refuses_the_save_and_shows_what_was_typed(client, world):
    draft = world.draft(rated=True)
    client.force_login(world.analyst)
    data = browser_form(client.get(edit_url(draft)))
    services.assessment_submit(assessment=draft, actor=world.manager)
    first = draft.catalogue.categories.order_by("display_order").first()
    data[f"c{first.pk}-rationale"] = ["A late thought worth keeping"]
    response = client.post(edit_url(draft), {**data, "intent": "save"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Your changes were not saved" in html and "A late thought worth keeping" in html
    assert Rating.objects.get(assessment=draft, category=first).rationale == "Rationale for Category 1"
