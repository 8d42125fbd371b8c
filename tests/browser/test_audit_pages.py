"""The audit trail in a real browser: paging by "Older" / "Newer" with the keyboard, and axe-core's
WCAG 2.1 A and AA rules on each state of the page (a page, an earlier page, a filter error, a
link with a broken cursor)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.models import PartnerEvent
from audit.views import PAGE_SIZE
from tests.audit.conftest import record_events

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def history(world):
    """A page and a half of partner changes, one second apart."""
    for i in range(PAGE_SIZE + PAGE_SIZE // 2):
        record_events(PartnerEvent, [T0 + dt.timedelta(seconds=i)], first_obj_id=i + 1, name=f"Partner {i + 1:03d}")


def test_an_auditor_pages_through_the_trail_by_keyboard(new_page, world, history, axe):
    page = new_page()
    sign_in(page, world.auditor)
    page.goto(reverse("audit:global") + "?model=assessments.partner")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    expect(page.get_by_text(f"{PAGE_SIZE} changes on this page, newest first.")).to_be_visible()
    pager = page.get_by_role("navigation", name="Pages of the history")
    expect(pager.get_by_role("link")).to_have_text(["Older changes"])
    axe(page, "audit trail")

    pager.get_by_role("link", name="Older changes").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_title("Audit trail (earlier changes) · Riskboard")
    expect(page.get_by_text(f"{PAGE_SIZE // 2} changes on this page, newest first: from")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Partner 001")).to_be_visible()
    expect(page.get_by_label("Record type")).to_have_value("assessments.partner")  # the filter is kept
    expect(pager.get_by_role("link")).to_have_text(["Newest changes", "Newer changes"])
    screenshot(page, "audit-trail-older")
    axe(page, "audit trail, an earlier page")

    pager.get_by_role("link", name="Newer changes").click()
    expect(page.get_by_role("row").filter(has_text=f"Partner {PAGE_SIZE + PAGE_SIZE // 2:03d}")).to_be_visible()
    expect(pager.get_by_role("link")).to_have_text(["Newest changes", "Older changes"])


def test_the_trail_states_have_no_serious_accessibility_violations(new_page, world, history, axe):
    page = new_page()
    sign_in(page, world.auditor)

    page.goto(reverse("audit:global") + "?date_from=2026-02-01&date_to=2026-01-01")
    expect(page.get_by_role("alert")).to_contain_text("The filters were not applied")
    axe(page, "audit trail with a filter error")

    response = page.goto(reverse("audit:global") + "?after=not-a-cursor")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("This link to a page of the history is not valid")
    axe(page, "audit trail with a broken page link")
    page.get_by_role("link", name="Show the newest changes").click()
    expect(page.get_by_text(f"{PAGE_SIZE} changes on this page, newest first.")).to_be_visible()
