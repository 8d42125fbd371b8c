"""The agreements list's partner chooser in a real browser: a combobox driven by the keyboard alone
(type, arrows, Enter, Escape), which filters by the chosen partner; axe-core checks the page with
the suggestions open."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import PartnerFactory

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def partners(transactional_db, world):
    norway = PartnerFactory(name="Norwegian Signals Agency", country="NO")
    navy = PartnerFactory(name="Navy League of Norway", country="")
    chile = PartnerFactory(name="Chilean Navy")
    world.agreement(reference="AGR-A", partners=[norway])
    world.agreement(reference="AGR-B", partners=[navy])
    world.agreement(reference="AGR-C", partners=[chile])
    world.agreement(team=world.other_team, reference="AGR-X", partners=[PartnerFactory(name="Norway Hidden")])
    return {"norway": norway, "navy": navy, "chile": chile}


def test_choosing_a_partner_by_keyboard_filters_the_list(new_page, world, partners, axe):
    page = new_page()
    sign_in(page, world.manager)
    page.goto(reverse("assessments:agreement-list"))
    box = page.get_by_role("combobox", name="Partner")
    expect(box).to_have_attribute("aria-expanded", "false")

    box.focus()
    page.keyboard.type("nor")
    listbox = page.get_by_role("listbox", name="Partner")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    # Names starting with the text first; another team's "Norway Hidden" is never offered.
    expect(options).to_have_text(["Norwegian Signals Agency (NO)", "Navy League of Norway"])
    expect(box).to_have_attribute("aria-expanded", "true")
    axe(page, "agreements list, partner suggestions open")

    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")  # closes the suggestions, keeps the text
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("nor")

    page.keyboard.press("ArrowDown")  # opens again on the first suggestion
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")  # chooses; does not submit
    expect(box).to_have_value("Norwegian Signals Agency")
    expect(listbox).to_be_hidden()
    assert "partner=" not in page.url

    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_contain_text("1 agreement match your filters")
    assert f"partner={partners['norway'].pk}" in page.url
    expect(page.get_by_role("link", name="AGR-A")).to_be_visible()
    expect(box).to_have_value("Norwegian Signals Agency")
    axe(page, "agreements list filtered by a chosen partner")

    # Typing over the choice drops its id: the text filters, as without JavaScript.
    box.fill("navy")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")  # closed: a second Escape clears the box
    expect(box).to_have_value("")
    box.fill("navy")
    listbox.get_by_role("option").first.wait_for()
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_contain_text("2 agreements match your filters")
    assert "partner_name=navy" in page.url
