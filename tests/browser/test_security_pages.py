"""Security in a real browser: the pages still work under the enforced Content Security Policy
(no violation reported, charts drawn, the assessment form's script running), and the new pages
(password change, two-factor set-up and code, the sign-in pause, the session-ended notice) pass
axe-core's WCAG 2.1 AA checks."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from catalogue.services import catalogue_default_ensure
from riskboard.security import sessions
from riskboard.settings.base import _CSP_DIRECTIVES

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# Registered before any page script runs (by the browser, outside the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def enforced_csp(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None


def watch_csp(page: Page) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    return console


def violations(page: Page, console: list[str]) -> list[str]:
    return page.evaluate("window.__cspViolations || []") + console


def test_pages_work_under_the_enforced_policy(new_page, world, enforced_csp):
    catalogue_default_ensure()
    agreement = world.agreement(title="Maritime liaison")
    world.approved(agreement)
    draft = world.draft(rated=True)

    manager = new_page()
    console = watch_csp(manager)
    sign_in(manager, world.manager, lands_on="Dashboard")
    response = manager.goto(reverse("dashboards:dashboard"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(manager.locator("#heatmap-plot")).to_have_attribute("data-chart-ready", "true")
    expect(manager.locator("#heatmap-plot svg").first).to_be_visible()

    manager.goto(reverse("assessments:agreement-detail", args=[agreement.pk]))
    expect(manager.locator("#categories-plot")).to_have_attribute("data-chart-ready", "true")
    manager.goto(reverse("security:password-change"))
    manager.goto(reverse("security:two-factor"))
    expect(manager.locator(".qr-code svg")).to_be_visible()
    screenshot(manager, "security-two-factor-enrol")
    assert violations(manager, console) == []

    analyst = new_page()
    console = watch_csp(analyst)
    sign_in(analyst, world.analyst)
    analyst.goto(reverse("assessments:assessment-edit", args=[draft.pk]))
    # Written by static/js/assessment-form.js: the form's script ran.
    expect(analyst.get_by_text("10 of 10 categories rated")).to_be_visible()
    assert violations(analyst, console) == []

    reader = new_page()
    console = watch_csp(reader)
    reader.goto(reverse("api-v1:docs"))  # Swagger UI, served from our own static files
    expect(reader.get_by_text("Riskboard API").first).to_be_visible()
    assert violations(reader, console) == []


def test_the_policy_would_catch_an_inline_script(new_page, world, enforced_csp):
    """The check above is not blind: an inline script added to a page is reported and blocked."""
    page = new_page()
    console = watch_csp(page)
    page.goto(reverse("login"))
    page.evaluate("""() => { const s = document.createElement('script');
                     s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in violations(page, console))


def test_new_pages_are_accessible(new_page, world, axe, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = new_page()
    sign_in(page, world.analyst)

    page.goto(reverse("security:password-change"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    axe(page, "password change")
    page.get_by_label("Old password").fill("not-the-password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")
    axe(page, "password change with an error")

    page.goto(reverse("security:two-factor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    axe(page, "two-factor set-up")
    page.get_by_label("Code from your authenticator app").fill("12345x")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the digits")
    axe(page, "two-factor set-up with an error")

    TOTPDevice.objects.filter(user=world.analyst).update(confirmed=True)
    other = new_page()
    sign_in(other, world.analyst)
    expect(other.get_by_role("heading", level=1)).to_have_text("Enter your two-factor code")
    axe(other, "two-factor code")

    guesser = new_page()
    for _ in range(2):
        guesser.goto(reverse("login"))
        guesser.get_by_label("Username").fill(world.manager.username)
        guesser.get_by_label("Password").fill("a-wrong-guess")
        guesser.get_by_label("Password").press("Enter")
    expect(guesser.get_by_role("heading", level=1)).to_have_text("Sign-in paused")
    axe(guesser, "sign-in paused")
    screenshot(guesser, "security-sign-in-paused")


def test_the_session_ended_notice_is_accessible(new_page, world, axe, settings):
    page = new_page()
    sign_in(page, world.analyst)
    settings.RISKBOARD_SESSION_IDLE_SECONDS = 0  # the next page finds the session idle too long
    page.goto(reverse("assessments:agreement-list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Riskboard")
    expect(page.get_by_role("status")).to_contain_text(sessions.ended_message("idle").split(" after")[0])
    axe(page, "login after an idle session")
