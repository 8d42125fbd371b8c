"""Figures from known data: the z-values, labels, colours and links a chart is drawn from.

``riskboard.dashboards.charts`` is pure, so these tests need no database: they build the
selectors' output by hand, as plain dataclasses.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.core.paginator import Paginator

from assessments import scoring
from assessments.aggregation.catalogue_rules import BandInfo
from assessments.selectors.scores import TrendPoint
from riskboard.dashboards import charts
from riskboard.dashboards.selectors.pages import CategoryProfile, PartnerProfile, ScorePoint
from riskboard.dashboards.selectors.portfolio import BandDistribution, HeatCell, Heatmap, MatrixCounts, PartnerRow
from riskboard.dashboards.selectors.scope import DisplayScale, ScoringRules
from riskboard.dashboards.selectors.trends import Mover, TrendSeries

LOW, MEDIUM, HIGH, CRITICAL = (
    BandInfo(1, "LOW", "Low", "#2E7D32"), BandInfo(2, "MEDIUM", "Medium", "#F9A825"),
    BandInfo(3, "HIGH", "High", "#EF6C00"), BandInfo(4, "CRITICAL", "Critical", "#B71C1C"),
)
BANDS = {band.rank: band for band in (LOW, MEDIUM, HIGH, CRITICAL)}


def standard_matrix() -> scoring.Matrix:
    """Score 1-4 Low, 5-9 Medium, 10-19 High, 20-25 Critical (tests/factories.py)."""
    def rank(likelihood, impact):
        score = likelihood * impact
        return 4 if score >= 20 else 3 if score >= 10 else 2 if score >= 5 else 1

    return scoring.Matrix({(lk, im): rank(lk, im) for lk in range(1, 6) for im in range(1, 6)})


RULES = ScoringRules(by_catalogue={}, scale=DisplayScale(BANDS, standard_matrix()),
                     categories=(("LEAK", "Information Leakage"), ("TECH", "Technology Transfer")))


def tally(*scores: int, low: tuple[int, ...] | None = None, high: tuple[int, ...] | None = None) -> scoring.Tally:
    """A tally of ratings with these residual scores (1..25)."""
    low, high = low or scores, high or scores
    return scoring.Tally(
        n=len(scores), score_sum_c=100 * sum(scores), score_low_sum_c=100 * sum(low),
        score_high_sum_c=100 * sum(high), inherent_sum_c=100 * sum(scores),
        band_counts=scoring.band_counts(standard_matrix().band_for_mean(s, 1) for s in scores),
    )


def heatmap() -> Heatmap:
    rows = [
        PartnerRow(7, "Estonia Signals Directorate", tally(16, 12), dt.date(2026, 6, 4)),
        PartnerRow(3, "Ministry of Interior of Kazakhstan and of Several Other Long-Named Bodies", tally(9),
                   dt.date(2025, 1, 31)),
    ]
    cells = {
        (7, "LEAK"): HeatCell(7, "LEAK", tally(20, 20, low=(16, 16), high=(25, 25)), dt.date(2026, 6, 4)),
        (7, "TECH"): HeatCell(7, "TECH", tally(4, 5), dt.date(2026, 6, 4)),  # mean 4.50: Low
        (3, "LEAK"): HeatCell(3, "LEAK", tally(10), dt.date(2025, 1, 31)),
    }
    page = Paginator(rows, 50).get_page(1)
    return Heatmap(rows=rows, categories=RULES.categories, cells=cells, page=page, rules=RULES)


def link(*parts) -> str:
    return "/" + "/".join(map(str, parts)) + "/"


def test_heatmap_cells_carry_band_ranks_scores_and_links():
    figure = charts.heatmap_figure(heatmap(), link=lambda p, c: link("cell", p, c), partner_link=lambda p: link("p", p))
    trace = figure["data"][0]

    assert trace["type"] == "heatmap"
    assert trace["x"] == ["Partner score", "Information Leakage", "Technology Transfer"]
    assert trace["y"] == ["Estonia Signals Directorate",
                          "Ministry of Interior of Kazakhstan and of Several Other Long-Named Bodies"]
    # Partner score 14.00 (High); Leakage 20.00 (Critical); Transfer 4.50 (Low); no Transfer rating for partner 3.
    assert trace["z"] == [[3, 4, 1], [2, 3, None]]
    assert trace["text"] == [["14.00", "20.00", "4.50"], ["9.00", "10.00", ""]]
    assert trace["customdata"][0][1] == ["/cell/7/LEAK/", "Critical", "16.00", "25.00", 2, "2026-06-04"]
    assert trace["customdata"][0][0][0] == "/p/7/"  # the partner's own score leads to its page
    assert trace["customdata"][1][2] is None
    assert trace["hoverongaps"] is False


def test_heatmap_colours_are_the_bands_colours_one_step_per_rank():
    trace = charts.heatmap_figure(heatmap(), link=link, partner_link=link)["data"][0]
    scale, zmin, zmax = trace["colorscale"], trace["zmin"], trace["zmax"]

    def colour_at(z):  # how Plotly reads a stepped scale: the stop at or just below z's position
        position = (z - zmin) / (zmax - zmin)
        return [colour for stop, colour in scale if stop <= position][-1]

    assert [colour_at(rank) for rank in (1, 2, 3, 4)] == ["#2E7D32", "#F9A825", "#EF6C00", "#B71C1C"]
    assert (zmin, zmax) == (0.5, 4.5)


def test_a_mean_is_banded_as_shown_so_the_colour_agrees_with_the_number():
    # 10 ratings of 10 and 1 of 9 (mean 9.909...) shows 9.91: Medium. 3 of 10 and 1 of 9.99 cannot
    # happen (scores are integers), so round at the threshold: 999 of 10 and 1 of 9 is 9.999 -> "10.00".
    shown_ten = scoring.Tally(n=1000, score_sum_c=100 * (999 * 10 + 9))
    assert shown_ten.score == Decimal("10.00")
    assert RULES.scale.band_of_mean(shown_ten) == HIGH
    assert RULES.scale.band_of_mean(scoring.Tally(n=11, score_sum_c=100 * (10 * 10 + 9))) == MEDIUM


def test_long_partner_names_are_wrapped_on_the_axis_not_on_the_rows():
    figure = charts.heatmap_figure(heatmap(), link=link, partner_link=link)
    axis = figure["layout"]["yaxis"]

    assert axis["tickvals"] == figure["data"][0]["y"]  # rows stay keyed by the full, unique name
    assert axis["ticktext"][0] == "Estonia Signals Directorate"
    assert axis["ticktext"][1] == "Ministry of Interior of Kazakhstan<br>and of Several Other Long-Named…"
    assert axis["autorange"] == "reversed"  # the highest score on top


def test_the_risk_matrix_shows_counts_on_cells_coloured_by_band():
    counts = MatrixCounts(inherent={(5, 5): 7, (1, 1): 2}, residual={(2, 3): 12}, rules=RULES)
    figure = charts.risk_matrix_figure(counts, link=lambda side, lk, im: link(side, lk, im))
    inherent, residual = figure["data"]

    assert (inherent["xaxis"], residual["xaxis"]) == ("x", "x2")
    assert inherent["y"] == [1, 2, 3, 4, 5] and inherent["x"] == [1, 2, 3, 4, 5]
    assert inherent["z"][4][4] == 4 and inherent["z"][0][0] == 1  # Critical top right, Low bottom left
    assert inherent["text"][4][4] == "7" and inherent["text"][0][0] == "2" and inherent["text"][2][2] == "0"
    assert residual["text"][1][2] == "12"
    assert residual["customdata"][1][2] == ["/residual/2/3/", "Medium", 12]
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "<b>Inherent: before safeguards</b>", "<b>Residual: after safeguards</b>"]


def test_a_hundred_thousand_ratings_are_still_25_numbers_a_side():
    counts = MatrixCounts(inherent={(3, 3): 100_000}, residual={(1, 2): 100_000}, rules=RULES)
    figure = charts.risk_matrix_figure(counts, link=link)
    assert figure["data"][0]["text"][2][2] == "100,000"
    assert len(json.dumps(figure)) < 20_000


def test_band_distribution_has_a_solid_and_a_hatched_bar_per_band():
    figure = charts.band_distribution_figure(BandDistribution((5, 3, 0, 0, 0, 0), (1, 2, 4, 1, 0, 0)),
                                             bands=list(BANDS.values()))
    headline, worst = figure["data"]

    assert headline["name"] == "Band" and worst["name"] == "Worst category"
    assert headline["x"] == ["Low", "Medium", "High", "Critical"]
    assert headline["y"] == [5, 3, 0, 0] and worst["y"] == [1, 2, 4, 1]
    assert headline["marker"]["color"] == ["#2E7D32", "#F9A825", "#EF6C00", "#B71C1C"]
    assert headline["marker"]["pattern"]["shape"] == "" and worst["marker"]["pattern"]["shape"] == "/"


def _top_row(reference, score_c, band_rank, change_c):
    score = SimpleNamespace(agreement=SimpleNamespace(reference=reference, title=f"Title {reference}"),
                            agreement_id=int(reference[-1]), score=scoring.centi_to_decimal(score_c),
                            score_c=score_c, band_rank=band_rank)
    return SimpleNamespace(score=score, change_c=change_c)


def test_top_agreements_show_score_band_colour_and_signed_change():
    rows = [_top_row("AGR-1", 2050, 4, 125), _top_row("AGR-2", 1200, 3, -50), _top_row("AGR-3", 900, 2, None)]
    trace = charts.top_agreements_figure(rows, bands=BANDS, link=lambda pk: link("a", pk))["data"][0]

    assert trace["y"] == ["AGR-1", "AGR-2", "AGR-3"]
    assert trace["x"] == [20.5, 12.0, 9.0]
    assert trace["marker"]["color"] == ["#B71C1C", "#EF6C00", "#F9A825"]
    assert trace["text"] == ["20.50 (+1.25)", "12.00 (\N{MINUS SIGN}0.50)", "9.00 (first assessment)"]
    assert trace["customdata"][0][:2] == ["/a/1/", "Critical"]


def _point(day, score_c, n=3):
    score = scoring.centi_to_decimal(score_c) if n else None
    return TrendPoint(day, n, score, score, score, (0,) * 6)


def test_trends_draw_the_portfolio_with_its_range_and_each_series_apart():
    first, second = dt.date(2026, 1, 1), dt.date(2026, 1, 2)
    portfolio = TrendSeries("portfolio", "portfolio", "Portfolio", [_point(first, 800), _point(second, 850)])
    partner = TrendSeries("partner", "7", "Estonia", [_point(first, 0, n=0), _point(second, 1200)])
    figure = charts.trend_figure([portfolio, partner])
    high, low, line, other = figure["data"]

    assert low["fill"] == "tonexty" and high["hoverinfo"] == "skip"
    assert line["name"] == "Portfolio" and line["y"] == [8.0, 8.5] and line["x"] == ["2026-01-01", "2026-01-02"]
    assert other["y"] == [None, 12.0]  # nothing counted that day: a gap, not a zero
    assert line["line"]["dash"] != other["line"]["dash"]  # told apart without colour
    assert figure["layout"]["showlegend"] is True


def test_movers_go_right_when_worse_and_left_when_better():
    up = Mover("partner", "7", "Estonia", tally(8), tally(12))
    down = Mover("category", "LEAK", "Information Leakage", tally(10), tally(9))
    trace = charts.movers_figure([up, down], link=lambda m: link(m.level, m.key))["data"][0]

    assert trace["x"] == [4.0, -1.0]
    assert trace["text"] == ["+4.00", "\N{MINUS SIGN}1.00"]
    assert trace["marker"]["color"] == [charts.WORSE, charts.BETTER]
    assert trace["y"] == ["Partner: Estonia", "Category: Information Leakage"]
    assert trace["customdata"][0][0] == "/partner/7/"


def test_category_bars_compare_inherent_and_residual_per_rated_category():
    def view(code, name, inherent, residual, band):
        state = {"inherent_likelihood": inherent[0], "inherent_impact": inherent[1],
                 "residual_likelihood": residual[0], "residual_impact": residual[1]}
        return SimpleNamespace(category=SimpleNamespace(code=code, name=name), state=state, complete=True,
                               inherent_band=HIGH, residual_band=band)

    unrated = SimpleNamespace(complete=False)
    figure = charts.category_bars_figure(
        [view("LEAK", "Leakage", (4, 4), (2, 3), MEDIUM), unrated, view("TECH", "Transfer", (5, 4), (5, 4), CRITICAL)],
        link=lambda code: f"/assessments/9/#category-{code}",
    )
    inherent, residual = figure["data"]

    assert inherent["y"] == residual["y"] == ["Leakage", "Transfer"]
    assert inherent["x"] == [16, 20] and residual["x"] == [6, 20]
    assert residual["marker"]["color"] == ["#F9A825", "#B71C1C"]
    assert residual["text"] == ["6 · Medium", "20 · Critical"]
    assert residual["customdata"][1][0] == "/assessments/9/#category-TECH"


def test_score_history_has_a_point_per_assessment_with_its_range_and_band():
    def point(pk, day, score_c, low_c, high_c, band):
        result = SimpleNamespace(score=scoring.centi_to_decimal(score_c), score_low=scoring.centi_to_decimal(low_c),
                                 score_high=scoring.centi_to_decimal(high_c), band_rank=band.rank)
        return ScorePoint(SimpleNamespace(pk=pk, as_of=day, catalogue_id=1), result, band)

    figure = charts.score_history_figure(
        [point(1, dt.date(2025, 1, 1), 700, 600, 900, MEDIUM), point(2, dt.date(2025, 7, 1), 1050, 1050, 1050, HIGH)],
        link=lambda pk: link("assessments", pk),
    )
    trace = figure["data"][0]

    assert trace["x"] == ["2025-01-01", "2025-07-01"] and trace["y"] == [7.0, 10.5]
    assert trace["error_y"]["array"] == [2.0, 0.0] and trace["error_y"]["arrayminus"] == [1.0, 0.0]
    assert trace["marker"]["color"] == ["#F9A825", "#EF6C00"]
    assert trace["customdata"][1][:2] == ["/assessments/2/", "High"]


def test_category_profile_sets_the_partner_against_the_portfolio_median():
    profile = PartnerProfile(row=None, categories=[
        CategoryProfile("LEAK", "Leakage", tally(20, 20), Decimal("6.00")),
        CategoryProfile("TECH", "Transfer", tally(3), None),
    ])
    partner, median = charts.category_profile_figure(profile, scale=RULES.scale, link=lambda c: link("c", c))["data"]

    assert partner["x"] == [20.0, 3.0] and partner["marker"]["color"] == ["#B71C1C", "#2E7D32"]
    assert median["x"] == [6.0, None] and median["marker"]["symbol"] == "diamond"
    assert partner["customdata"][0] == ["/c/LEAK/", "Critical", 2]


def test_figures_are_json_and_the_module_imports_no_database_django_or_plotly():
    figure = charts.heatmap_figure(heatmap(), link=link, partner_link=link)
    json.dumps(figure)  # json_script would fail on anything else (it would also turn a Decimal into text)
    source = Path(charts.__file__).read_text()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {name for name in imported if name and name.split(".")[0] in {"django", "plotly"}}, imported
