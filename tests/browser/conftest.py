"""Browser tests: Debian's Chromium driven by Playwright's sync API, against pytest-django's live server.

Tests marked ``browser`` skip, saying why, only where /usr/bin/chromium is absent (``.ci/run``
installs it). The accessibility checks run axe-core, installed from the npm registry into
``.cache/axe/`` the first time it is needed; without npm they fail rather than skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"  # every UserFactory user's password (tests/factories.py)

AXE_VERSION = "4.11.0"
AXE_DIR = REPO / ".cache" / "axe"
AXE_PACKAGE = AXE_DIR / "node_modules" / "axe-core"
AXE_SCRIPT = AXE_PACKAGE / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: install Debian's chromium package to run browser tests")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop in this thread, so Django would refuse ORM calls
        # from the test (fixtures, database checks, the flush after each test) without this.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context (its own cookies: one per signed-in user).

    Leaving a form with unsaved changes raises a ``beforeunload`` prompt; it is accepted, as a
    user who meant to leave would. Uncaught JavaScript errors fail the test.
    """
    contexts = []
    js_errors: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.on("pageerror", lambda error: js_errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors)


def sign_in(page: Page, user, *, lands_on: str | None = None, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and land on the user's own page
    (analysts: "My work"; managers, administrators and auditors: "Dashboard"), whose heading
    ``lands_on`` names, if given."""
    page.goto(reverse("login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Riskboard")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    heading = page.get_by_role("heading", level=1)
    if lands_on:
        expect(heading).to_have_text(lands_on)
    else:
        expect(heading).not_to_have_text("Sign in to Riskboard")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- accessibility -------------------------------------------------------------------------------


def _installed_axe_version() -> str | None:
    try:
        return json.loads((AXE_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js at the pinned version, installed from the npm registry when it is not cached yet."""
    if AXE_SCRIPT.exists() and _installed_axe_version() == AXE_VERSION:
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            f"npm is not installed: the accessibility checks need it to install axe-core {AXE_VERSION} "
            "from the npm registry (Debian: apt-get install npm).",
            pytrace=False,
        )
    command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR), f"axe-core@{AXE_VERSION}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(command)}` did not finish within 5 minutes.", pytrace=False)
    if result.returncode != 0 or not AXE_SCRIPT.exists():
        pytest.fail(
            f"Could not install axe-core {AXE_VERSION} for the accessibility checks.\n"
            f"`{' '.join(command)}` exited with {result.returncode}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return AXE_SCRIPT


def _format(page_name: str, violations: list[dict]) -> str:
    lines = [f"{page_name}: {len(violations)} serious or critical WCAG 2.1 A/AA violation(s)"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"]:
            summary = [line.strip() for line in node["failureSummary"].splitlines() if line.strip()]
            lines.append(f"    - {' '.join(map(str, node['target']))}: {summary[0]} {'; '.join(summary[1:])}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_script) -> Callable[[Page, str], None]:
    """``axe(page, name)`` runs axe-core's WCAG 2.1 A and AA rules on the page as it is now.

    It fails on any violation of serious or critical impact, listing each with the elements concerned.
    """

    def check(page: Page, page_name: str) -> None:
        page.add_script_tag(path=str(axe_script))
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        violations = results["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        others = ", ".join(f"{v['id']} ({v['impact']})" for v in violations if v not in blocking) or "none"
        print(f"axe-core {AXE_VERSION} on {page_name}: {len(blocking)} serious/critical; minor/moderate: {others}")
        if blocking:
            pytest.fail(_format(page_name, blocking), pytrace=False)

    return check
