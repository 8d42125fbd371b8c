"""An assessment from draft to approval in a real browser, and the pages' accessibility (issue 3).

The analyst rates all ten categories of the shipped default catalogue by keyboard and by label,
trips over both kinds of validation error, and submits; a manager returns the assessment with a
comment; the analyst fixes it and resubmits; the manager approves. Every step asserts what the
user would notice on the page, and the end state is checked in the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import Locator, Page, expect

from assessments import services
from assessments.choices import AssessmentStatus
from assessments.models import Assessment
from assessments.scheduling import next_review_date
from catalogue.services import catalogue_default_ensure

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# The scale labels of the default catalogue (catalogue/data/default_catalogue.yaml).
LIKELIHOOD = {1: "1 · Rare", 2: "2 · Unlikely", 3: "3 · Possible", 4: "4 · Likely", 5: "5 · Almost certain"}
IMPACT = {1: "1 · Negligible", 2: "2 · Minor", 3: "3 · Moderate", 4: "4 · Major", 5: "5 · Severe"}
QUOTE = "\N{RIGHT SINGLE QUOTATION MARK}"  # the pages' typographic apostrophe
RESIDUAL_ABOVE = "A residual level is above its inherent level: explain why in the rationale."
RESIDUAL_ERROR = "The residual rating is above the inherent rating: explain why in the rationale."
LAST_RATIONALE = "The partner's new data-retention law raises the likelihood after safeguards."
RETURN_COMMENT = (
    "Legal and Regulatory Challenges: with the data-handling agreement signed, the residual likelihood "
    "cannot be higher than the inherent one. Geopolitical Alignment: cite your evidence."
)


@dataclass(frozen=True)
class Levels:
    """(likelihood, impact) before and after safeguards, and the bands the default matrix gives them."""

    inherent: tuple[int, int]
    residual: tuple[int, int]
    inherent_band: str
    residual_band: str


HIGH_TO_MEDIUM = Levels((4, 4), (2, 3), "High", "Medium")
MEDIUM_TO_LOW = Levels((3, 3), (1, 3), "Medium", "Low")
# Residual likelihood above the inherent one: the rationale must explain it.
LOW_TO_MEDIUM = Levels((2, 2), (3, 2), "Low", "Medium")


@pytest.fixture
def categories(world):
    """The default catalogue's categories in form order; its catalogue is the newest published one."""
    catalogue = catalogue_default_ensure()
    found = list(catalogue.categories.order_by("display_order").prefetch_related("safeguards"))
    assert len(found) == 10
    return found


def section(page: Page, number: int, category) -> Locator:
    return page.get_by_role("region", name=f"{number}. {category.name}", exact=True)


def group(scope: Locator, legend: str) -> Locator:
    return scope.get_by_role("group", name=legend, exact=True)


def radio(scope: Locator, legend: str, option: str) -> Locator:
    return group(scope, legend).get_by_role("radio", name=option, exact=True)


def band(scope: Locator, which: str) -> Locator:
    return scope.locator("p", has_text=f"{which} band:")


def progress(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Progress and contents").locator("p", has_text="categories rated")


def pick(scope: Locator, legend: str, option: str) -> None:
    """Click a level's label (the whole option box is the label's target), as a mouse user does."""
    group(scope, legend).get_by_text(option, exact=True).click()
    expect(radio(scope, legend, option)).to_be_checked()


def choose_levels(scope: Locator, levels: Levels) -> None:
    pick(scope, "Inherent likelihood", LIKELIHOOD[levels.inherent[0]])
    pick(scope, "Inherent impact", IMPACT[levels.inherent[1]])
    pick(scope, "Residual likelihood", LIKELIHOOD[levels.residual[0]])
    pick(scope, "Residual impact", IMPACT[levels.residual[1]])
    # The bands follow the choices at once, before anything is saved.
    expect(band(scope, "Inherent")).to_have_text(f"Inherent band: {levels.inherent_band}")
    expect(band(scope, "Residual")).to_have_text(f"Residual band: {levels.residual_band}")


def state_tag(scope: Locator) -> Locator:
    return scope.locator(".category__head .tag")


def rate(scope: Locator, category, levels: Levels, *, confidence: str) -> None:
    expect(state_tag(scope)).to_have_text("Not rated yet")
    choose_levels(scope, levels)
    safeguard = category.safeguards.order_by("name").first()
    group(scope, "Safeguards from the library").get_by_label(safeguard.name, exact=True).check()
    scope.get_by_label("Rationale", exact=True).fill(f"The partner's record on {category.name.lower()}.")
    radio(scope, "Confidence", confidence).check()
    expect(state_tag(scope)).to_have_text("Rated")


def press(page: Page, key: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def rate_by_keyboard(page: Page, scope: Locator, category) -> None:
    """Rate a whole category with the keyboard alone: Tab between fields, arrows within a group.

    Each level group starts on "Not rated yet", its last option, so ArrowUp walks down the scale.
    """
    focused = page.locator("*:focus")
    # From the contents list to the category, then into its first field.
    page.get_by_role("navigation", name="Categories").get_by_role("link", name=category.name).press("Enter")
    page.keyboard.press("Tab")
    expect(radio(scope, "Inherent likelihood", "Not rated yet")).to_be_focused()
    press(page, "ArrowUp", 2)
    expect(radio(scope, "Inherent likelihood", LIKELIHOOD[4])).to_be_checked()
    page.keyboard.press("Tab")
    expect(radio(scope, "Inherent impact", "Not rated yet")).to_be_focused()
    press(page, "ArrowUp", 2)
    expect(radio(scope, "Inherent impact", IMPACT[4])).to_be_focused()
    expect(band(scope, "Inherent")).to_have_text("Inherent band: High")

    safeguards = list(category.safeguards.order_by("name"))  # the form lists them by name
    page.keyboard.press("Tab")
    expect(group(scope, "Safeguards from the library").get_by_label(safeguards[0].name, exact=True)).to_be_focused()
    page.keyboard.press("Space")
    press(page, "Tab", len(safeguards))
    expect(scope.get_by_label("Other safeguards", exact=True)).to_be_focused()
    page.keyboard.type("Liaison officer reviews every release.")

    page.keyboard.press("Tab")
    expect(radio(scope, "Residual likelihood", "Not rated yet")).to_be_focused()
    press(page, "ArrowUp", 4)
    page.keyboard.press("Tab")
    expect(radio(scope, "Residual impact", "Not rated yet")).to_be_focused()
    press(page, "ArrowUp", 3)
    expect(radio(scope, "Residual likelihood", LIKELIHOOD[2])).to_be_checked()
    expect(radio(scope, "Residual impact", IMPACT[3])).to_be_checked()
    expect(band(scope, "Residual")).to_have_text("Residual band: Medium")

    page.keyboard.press("Tab")
    expect(scope.get_by_label("Rationale", exact=True)).to_be_focused()
    page.keyboard.type("Compartmentation and audit rights cut the likelihood of onward disclosure.")
    page.keyboard.press("Tab")
    expect(scope.get_by_label("Evidence", exact=True)).to_be_focused()
    page.keyboard.type("Audit report of March.")
    page.keyboard.press("Tab")
    expect(radio(scope, "Confidence", "Medium")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(radio(scope, "Confidence", "High")).to_be_checked()
    expect(group(scope, "Safeguards from the library").get_by_label(safeguards[0].name, exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(focused).to_have_accessible_name(f"Save draft ({category.name})")
    page.keyboard.press("Enter")


def expect_status(page: Page, text: str) -> None:
    expect(page.locator(".meta .status-tag")).to_have_text(text)


def expect_message(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def agreement_row(page: Page, agreement) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=agreement.reference, exact=True))


def open_awaiting_review(page: Page, agreement) -> None:
    """From the manager's menu to the review page of the agreement's submitted assessment."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Awaiting review").click()
    expect(page).to_have_title(re.compile("^Awaiting review"))
    row = agreement_row(page, agreement)
    expect(row.get_by_role("link", name="Awaiting review")).to_be_visible()
    row.get_by_role("link", name=agreement.reference).click()
    page.get_by_role("link", name="Review the submitted assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review the assessment as of")


def test_assessment_from_draft_to_approval(new_page, world, categories):
    agreement = world.agreement(title="Signals liaison with a northern partner")
    as_of = date_format(timezone.localdate(), "j F Y")

    # 1. The analyst signs in, finds the agreement and starts its first assessment.
    analyst = new_page()
    sign_in(analyst, world.analyst, lands_on="My work")
    analyst.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    expect(agreement_row(analyst, agreement)).to_contain_text("No approved assessment")
    agreement_row(analyst, agreement).get_by_role("link", name=agreement.reference).click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text(agreement.title)
    analyst.get_by_role("link", name="Start a new assessment").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Start an assessment")
    expect(analyst.get_by_text("This agreement has no approved assessment yet")).to_be_visible()
    analyst.get_by_role("button", name="Start assessment").click()

    expect(analyst.get_by_role("heading", level=1)).to_have_text(f"Assessment as of {as_of}")
    expect_message(analyst, "Assessment started.")
    expect_status(analyst, "Draft")
    expect(progress(analyst)).to_have_text("0 of 10 categories rated")
    first = section(analyst, 1, categories[0])
    expect(first.get_by_text(categories[0].guidance[0])).to_be_visible()  # the guidance is at hand
    expect(band(first, "Inherent")).to_have_text("Inherent band: Choose both levels")

    # The first category with the keyboard alone, saved with its own button.
    rate_by_keyboard(analyst, first, categories[0])
    expect_message(analyst, "Draft saved. 1 of 10 categories rated.")
    expect(analyst).to_have_url(re.compile(f"#category-{categories[0].code}$"))
    expect(progress(analyst)).to_have_text("1 of 10 categories rated")

    # Categories 2 to 9 by their labels; the progress counts along before anything is saved.
    for number, category in enumerate(categories[1:9], start=2):
        levels, confidence = (HIGH_TO_MEDIUM, "High") if number % 2 else (MEDIUM_TO_LOW, "Low")
        rate(section(analyst, number, category), category, levels, confidence=confidence)
        expect(progress(analyst)).to_have_text(f"{number} of 10 categories rated")
    screenshot(analyst, "assessment-form")

    # 2. Submitting with the last category unrated: saved as a draft, but not submitted.
    last = categories[9]
    analyst.get_by_role("button", name="Submit for review").click()
    expect(analyst).to_have_title(re.compile("^Error: "))
    summary = analyst.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("This assessment cannot be submitted yet")
    expect(summary).to_contain_text("Your changes were saved as a draft. 1 category is not fully rated.")
    expect(summary.get_by_role("listitem").filter(has_text=last.name).get_by_role("link")).to_have_text(
        ["Inherent likelihood", "Inherent impact", "Residual likelihood", "Residual impact"]
    )
    expect(progress(analyst)).to_have_text("9 of 10 categories rated")
    last_section = section(analyst, 10, last)
    expect(group(last_section, "Inherent likelihood")).to_have_accessible_description(
        "Error: Choose the inherent likelihood before submitting."
    )
    summary.get_by_role("link", name="Inherent likelihood").click()
    expect(radio(last_section, "Inherent likelihood", LIKELIHOOD[1])).to_be_focused()

    # The residual likelihood above the inherent one, without a rationale: warned live, refused on submit.
    choose_levels(last_section, LOW_TO_MEDIUM)
    expect(last_section.get_by_text(RESIDUAL_ABOVE)).to_be_visible()
    expect(progress(analyst)).to_have_text("10 of 10 categories rated")
    analyst.get_by_role("button", name="Submit for review").click()
    summary = analyst.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary).to_contain_text("Nothing was saved.")
    error_link = summary.get_by_role("link", name=f"{last.name}: {RESIDUAL_ERROR}")
    expect(error_link).to_be_visible()
    rationale = last_section.get_by_label("Rationale", exact=True)
    expect(rationale).to_have_attribute("aria-invalid", "true")
    expect(rationale).to_have_accessible_description(re.compile(re.escape(f"Error: {RESIDUAL_ERROR}")))
    expect(radio(last_section, "Residual likelihood", LIKELIHOOD[3])).to_be_checked()  # the input is kept

    error_link.click()
    expect(rationale).to_be_focused()
    analyst.keyboard.type(LAST_RATIONALE)
    analyst.get_by_role("button", name="Submit for review").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text(f"Assessment as of {as_of}")
    expect_message(analyst, "Submitted for review. A manager of Strategic will review it.")
    expect_status(analyst, "Submitted")
    expect(analyst.get_by_text("10 of 10 categories rated")).to_be_visible()

    # 3. A manager of the team finds it awaiting review, and returns it: first without a comment.
    manager = new_page()
    sign_in(manager, world.manager)
    open_awaiting_review(manager, agreement)
    expect(manager.get_by_role("heading", level=1)).to_have_text(f"Review the assessment as of {as_of}")
    expect_status(manager, "Submitted")
    expect(manager.get_by_text(f"This is the agreement{QUOTE}s first assessment")).to_be_visible()
    reviewed = manager.get_by_role("region", name=f"10. {last.name}", exact=True)
    expect(band(reviewed, "Residual")).to_have_text("Residual band: Medium")
    screenshot(manager, "assessment-review")

    manager.get_by_role("link", name="Return to the analysts…").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Return this assessment to the analysts?")
    manager.get_by_role("button", name="Return assessment").click()
    required = "Say what needs to change: a comment is required to return."
    expect(manager.get_by_role("alert").get_by_role("link", name=required)).to_be_visible()
    comment = manager.get_by_label("What needs to change")
    expect(comment).to_have_accessible_description(re.compile(re.escape(f"Error: {required}")))
    comment.fill(RETURN_COMMENT)
    manager.get_by_role("button", name="Return assessment").click()
    expect_message(manager, "Assessment returned to the analysts with your comment.")
    expect_status(manager, "Returned to draft")
    expect(manager.get_by_role("region", name=f"Reviewer{QUOTE}s comment")).to_contain_text(RETURN_COMMENT)

    # 4. The analyst reads the comment on the form, fixes both points and resubmits.
    analyst.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Agreements")
    agreement_row(analyst, agreement).get_by_role("link", name=agreement.reference).click()
    analyst.get_by_role("link", name="Revise the returned assessment").click()
    expect_status(analyst, "Returned to draft")
    returned = analyst.get_by_role("region", name=f"Returned by {world.manager.username}")
    expect(returned).to_contain_text(RETURN_COMMENT)
    expect(progress(analyst)).to_have_text("10 of 10 categories rated")
    last_section = section(analyst, 10, last)
    pick(last_section, "Residual likelihood", LIKELIHOOD[2])
    expect(last_section.get_by_text(RESIDUAL_ABOVE)).to_be_hidden()
    expect(band(last_section, "Residual")).to_have_text("Residual band: Low")
    section(analyst, 3, categories[2]).get_by_label("Evidence", exact=True).fill("Embassy cable 2025/114.")
    analyst.get_by_role("button", name="Submit for review").click()
    expect_message(analyst, "Submitted for review.")
    expect_status(analyst, "Submitted")

    # 5. The manager sees the resubmission and approves it.
    open_awaiting_review(manager, agreement)
    expect(manager.get_by_role("region", name="Workflow history").get_by_role("listitem")).to_have_count(4)
    manager.get_by_role("link", name="Approve…").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Approve this assessment?")
    due = next_review_date(
        approved_on=timezone.localdate(),
        worst_band_code="MEDIUM",  # the worst residual band left: Medium, so twelve months
        months_by_band=settings.RISKBOARD_REVIEW_MONTHS,
        agreement_end=agreement.end_date,
        notice_period_days=agreement.notice_period_days,
    )
    assert due > timezone.localdate() + dt.timedelta(days=300)
    expect(manager.locator("dl div", has_text="Worst category")).to_contain_text("Medium")
    expect(manager.locator("dl div", has_text="Next review will be due")).to_contain_text(date_format(due, "j F Y"))
    manager.get_by_role("button", name="Approve assessment").click()
    expect_message(manager, "Assessment approved. Next review due")
    expect_status(manager, "Approved")
    expect(manager.locator("dl div", has_text="Next review")).to_contain_text(date_format(due, "j M Y"))
    expect(manager.locator("dl div", has_text="Reviewer")).to_contain_text(world.manager.username)
    expect(manager.get_by_role("link", name="Edit this assessment")).to_have_count(0)

    # What was stored.
    assessment = Assessment.objects.get(agreement=agreement)
    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.reviewer == world.manager
    assert assessment.next_review_date == due
    assert list(assessment.authors.all()) == [world.analyst]
    transitions = list(
        assessment.transitions.order_by("created_at", "id").values_list(
            "action", "from_status", "to_status", "actor__username", "comment"
        )
    )
    assert transitions == [
        ("create", "", "draft", "analyst", ""),
        ("submit", "draft", "submitted", "analyst", ""),
        ("return", "submitted", "returned", "manager", RETURN_COMMENT),
        ("submit", "returned", "submitted", "analyst", ""),
        ("approve", "submitted", "approved", "manager", ""),
    ]
    ratings = {r.category.code: r for r in assessment.ratings.select_related("category").prefetch_related("safeguards")}
    assert len(ratings) == 10 and all(r.is_complete for r in ratings.values())
    keyboard_rated = ratings[categories[0].code]
    assert (keyboard_rated.inherent_likelihood, keyboard_rated.inherent_impact) == (4, 4)
    assert (keyboard_rated.residual_likelihood, keyboard_rated.residual_impact) == (2, 3)
    assert keyboard_rated.confidence == "high"
    assert keyboard_rated.safeguards_other == "Liaison officer reviews every release."
    assert [s.name for s in keyboard_rated.safeguards.all()] == [categories[0].safeguards.order_by("name")[0].name]
    assert ratings[last.code].residual_likelihood == 2
    assert ratings[last.code].rationale == LAST_RATIONALE
    assert ratings[categories[2].code].evidence == "Embassy cable 2025/114."
    assert [ratings[c.code].confidence for c in categories[1:9]] == ["low", "high"] * 4


# --- accessibility ---------------------------------------------------------------------------------


def _login(page: Page, world, categories, axe) -> None:
    page.goto(reverse("login"))
    axe(page, "login page")


def _agreements(page: Page, world, categories, axe) -> None:
    world.approved(world.agreement())  # so the list shows a band
    world.submitted(world.agreement())
    world.agreement()
    sign_in(page, world.analyst)
    page.goto(reverse("assessments:agreement-list"))
    axe(page, "agreements list")


def _form(page: Page, world, categories, axe) -> None:
    draft = world.draft(rated=True)
    sign_in(page, world.analyst)
    page.goto(reverse("assessments:assessment-edit", args=[draft.pk]))
    expect(progress(page)).to_have_text("10 of 10 categories rated")
    axe(page, "assessment form")


def _form_with_errors(page: Page, world, categories, axe) -> None:
    draft = world.draft()
    sign_in(page, world.analyst)
    page.goto(reverse("assessments:assessment-edit", args=[draft.pk]))
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("This assessment cannot be submitted yet")
    axe(page, "assessment form with missing ratings")
    choose_levels(section(page, 1, categories[0]), LOW_TO_MEDIUM)
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")
    axe(page, "assessment form with an invalid rating")


def _review(page: Page, world, categories, axe) -> None:
    submitted = world.submitted()
    sign_in(page, world.manager)
    page.goto(reverse("assessments:assessment-review", args=[submitted.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review the assessment")
    axe(page, "review page")


def _return_with_error(page: Page, world, categories, axe) -> None:
    submitted = world.submitted()
    sign_in(page, world.manager)
    page.goto(reverse("assessments:assessment-review", args=[submitted.pk]))
    page.get_by_role("link", name="Return to the analysts…").click()
    page.get_by_role("button", name="Return assessment").click()
    expect(page.get_by_role("alert")).to_contain_text("a comment is required to return")
    axe(page, "return page with an error")


def _decision_conflict(page: Page, world, categories, axe) -> None:
    submitted = world.submitted()
    sign_in(page, world.manager)
    page.goto(reverse("assessments:assessment-review", args=[submitted.pk]))
    page.get_by_role("link", name="Approve…").click()
    services.assessment_return(assessment=submitted, actor=world.reviewer, comment="Category 1 is too low.")
    first = submitted.catalogue.categories.order_by("display_order").first()
    services.assessment_save_ratings(
        assessment=submitted, actor=world.analyst, expected_version=submitted.version,
        ratings=world.inputs(submitted, categories=[first], residual=(4, 4)),
    )
    services.assessment_submit(assessment=submitted, actor=world.analyst)
    page.get_by_role("button", name="Approve assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This assessment changed since you reviewed it")
    expect(page.get_by_role("region", name=first.name)).to_contain_text("Residual band")
    screenshot(page, "decision-conflict")
    axe(page, "decision refused: the assessment changed")


PAGES = {
    "login": _login,
    "agreements": _agreements,
    "form": _form,
    "form-errors": _form_with_errors,
    "review": _review,
    "return-errors": _return_with_error,
    "decision-conflict": _decision_conflict,
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations(new_page, world, categories, axe, name):
    """axe-core's WCAG 2.1 A and AA rules find nothing serious or critical."""
    PAGES[name](new_page(), world, categories, axe)
