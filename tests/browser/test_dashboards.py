"""The dashboards in a real browser, on the demo portfolio (issue 9).

The demo manager signs in and lands on the dashboard; the heatmap draws (a Plotly SVG holding the
top partner's name); hovering a cell tells its score and band; clicking it opens the ratings
behind it; one of them leads to its rationale in the assessment. The same cell is reached by
keyboard through the chart's "Show data" table. axe-core checks every page on the way.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.urls import reverse
from playwright.sync_api import Page, expect

from assessments.demo import demo_seed
from assessments.models import ScoreSnapshot
from catalogue.services import catalogue_default_ensure
from riskboard.dashboards import charts, selectors
from riskboard.dashboards.filtersets import dashboard_filters

from .conftest import PASSWORD, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    """The demo portfolio (two teams, about 80 agreements, two years of assessments), its users'
    password the browser tests' own."""
    demo_seed(catalogue=catalogue_default_ensure(), password=PASSWORD)
    return {user.username: user for user in get_user_model().objects.all()}


def top_partner(user):
    """The first row of ``user``'s heatmap, and the category of its highest cell."""
    filters = dashboard_filters(user=user, data=QueryDict(""))
    rules = selectors.scoring_rules()
    heatmap = selectors.partner_heatmap(filters=filters, rules=rules)
    row = heatmap.rows[0]
    cells = [(code, heatmap.cell(row.partner_id, code)) for code, _ in heatmap.categories]
    code, _ = max((c for c in cells if c[1]), key=lambda c: (c[1].tally.score_sum_c / c[1].tally.n, c[0]))
    return row, code, rules.category_names[code], [c for c, _ in heatmap.categories].index(code) + 1


def wait_for_chart(page: Page, chart_id: str):
    plot = page.locator(f"#{chart_id}-plot")
    expect(plot).to_have_attribute("data-chart-ready", "true")
    return plot


def cell_centre(page: Page, chart_id: str, row: int, column: int) -> tuple[float, float]:
    """Where, in the viewport, the centre of a heatmap cell is drawn (from Plotly's own axes), the
    chart scrolled to the top of the window first."""
    return page.evaluate(
        """([id, row, column]) => {
            const gd = document.getElementById(id);
            gd.scrollIntoView({block: "start"});
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.d2p(gd.data[0].x[column]),
                    box.top + ya._offset + ya.d2p(gd.data[0].y[row])];
        }""",
        [f"{chart_id}-plot", row, column],
    )


def test_from_a_hot_heatmap_cell_to_the_rationale_behind_it(new_page, demo, axe):
    manager = demo["manager"]
    row, code, category, column = top_partner(manager)
    page = new_page()

    # 1. The manager signs in and lands on the dashboard, where the heatmap names the top partner.
    sign_in(page, manager, lands_on="Dashboard")
    plot = wait_for_chart(page, "heatmap")
    first_line = charts.wrap_label(row.name).split("<br>")[0]
    expect(plot.locator("svg .ytick text", has_text=first_line)).to_be_visible()
    axe(page, "manager's dashboard")
    screenshot(page, "dashboard-manager")

    # 2. Hovering the top partner's hottest cell tells its score and band; clicking it opens the ratings.
    x, y = cell_centre(page, "heatmap", 0, column)
    page.mouse.move(x, y)
    hover = plot.locator(".hoverlayer")
    expect(hover).to_contain_text(category)
    expect(hover).to_contain_text("Band:")
    page.mouse.click(x, y)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{category}: the ratings behind the cell")
    expect(page.locator(".caption")).to_contain_text(row.name)
    ratings = page.locator("[data-ratings] > li")
    expect(ratings.first).to_be_visible()
    axe(page, "ratings behind a heatmap cell")
    screenshot(page, "dashboard-heatmap-cell")

    # 3. One rating leads to its rationale, in the assessment it belongs to.
    rationale = ratings.first.locator(".work-list__comment p:not(.visually-hidden)").first.inner_text().strip()[:40]
    ratings.first.locator("[data-rationale-link]").click()
    expect(page).to_have_url(re.compile(rf"/assessments/\d+/#category-{code}$"))
    section = page.locator(f"#category-{code}")
    rationale_row = section.locator(".rating-list__row").filter(has=page.locator("dt", has_text="Rationale"))
    expect(rationale_row.locator("dd")).to_contain_text(rationale)
    axe(page, "assessment with the rationale")
    screenshot(page, "dashboard-rationale")


def test_the_same_cell_by_keyboard_and_the_auditor_reads_without_deciding(new_page, demo, axe):
    manager = demo["manager"]
    row = top_partner(manager)[0]
    page = new_page()
    sign_in(page, manager, lands_on="Dashboard")
    wait_for_chart(page, "heatmap")

    summary = page.locator("#heatmap summary")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("[data-heatmap-table]")
    expect(table).to_be_visible()
    link = table.get_by_role("row").nth(1).get_by_role("link").filter(has_text=re.compile(r"^\d+\.\d\d")).first
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("the ratings behind the cell")
    expect(page.locator(".caption")).to_contain_text(row.name)

    auditor = new_page()
    sign_in(auditor, demo["auditor"], lands_on="Dashboard")
    wait_for_chart(auditor, "heatmap")
    queue = auditor.locator("#approvals")
    expect(queue.get_by_role("link", name=re.compile(r"^View"))).not_to_have_count(0)
    expect(queue.get_by_role("link", name=re.compile(r"^Review"))).to_have_count(0)
    expect(auditor.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)
    axe(auditor, "auditor's dashboard")
    screenshot(auditor, "dashboard-auditor")


def test_the_other_dashboard_pages_are_accessible(new_page, demo, axe):
    # The demo comes with a score history per team (backfilled from its approval dates), so that
    # trends and movers draw for every role.
    assert ScoreSnapshot.objects.filter(day__lt=dt.date.today()).exists()
    analyst = new_page()
    sign_in(analyst, demo["analyst"], lands_on="My work")
    expect(analyst.get_by_role("link", name="Start an assessment")).to_be_visible()
    axe(analyst, "analyst's home")
    screenshot(analyst, "dashboard-analyst-home")

    manager = new_page()
    sign_in(manager, demo["manager"], lands_on="Dashboard")
    row = top_partner(demo["manager"])[0]
    manager.goto(reverse("dashboards:partner-detail", args=[row.partner_id]))
    wait_for_chart(manager, "profile")
    axe(manager, "partner page")
    screenshot(manager, "dashboard-partner")
    manager.goto(reverse("dashboards:matrix-cell", args=["residual", 2, 3]))
    heading = manager.get_by_role("heading", level=1)
    expect(heading).to_have_text("Residual likelihood 2 \N{MULTIPLICATION SIGN} impact 3")
    axe(manager, "ratings in a matrix cell")
    agreement = manager.locator("[data-ratings] tbody th a").first
    agreement.click()
    wait_for_chart(manager, "categories")
    wait_for_chart(manager, "score-history")
    axe(manager, "agreement page with its charts")
    screenshot(manager, "dashboard-agreement")

    admin = new_page()
    sign_in(admin, demo["admin"], lands_on="Dashboard")
    admin.goto(reverse("dashboards:dashboard") + "?period=365")
    wait_for_chart(admin, "trends")
    wait_for_chart(admin, "movers")
    axe(admin, "administrator's dashboard with trends")
    screenshot(admin, "dashboard-administrator")


def test_a_partner_is_added_to_the_trends_by_keyboard(new_page, demo, axe):
    """The trend chooser's combobox: type part of a name, choose with the arrow keys and Enter,
    then show the trends: the partner is compared, as a checked box and a line of the chart."""
    row = top_partner(demo["manager"])[0]
    page = new_page()
    sign_in(page, demo["manager"], lands_on="Dashboard")
    box = page.get_by_role("combobox", name="Add a partner")
    box.focus()
    page.keyboard.type(row.name[:4])
    listbox = page.get_by_role("listbox", name="Add a partner")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option").filter(has_text=row.name).first
    expect(option).to_be_visible()
    axe(page, "dashboard, partner suggestions open")
    for _ in range(listbox.get_by_role("option").count()):
        page.keyboard.press("ArrowDown")
        if option.get_attribute("aria-selected") == "true":
            break
    page.keyboard.press("Enter")  # chooses; does not submit
    expect(box).to_have_value(row.name)
    page.get_by_role("button", name="Show these trends").press("Enter")
    compared = page.get_by_role("group", name="Partners compared")
    expect(compared.get_by_role("checkbox", name=row.name)).to_be_checked()
    trends = wait_for_chart(page, "trends")
    assert row.name in page.evaluate("id => document.getElementById(id).data.map(t => t.name)", "trends-plot")
    expect(trends).to_be_visible()
    axe(page, "dashboard comparing a partner")
