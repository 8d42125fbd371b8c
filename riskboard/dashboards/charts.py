"""Plotly figures as plain dicts, built from selector output: no database, no Django, no plotly import.

Each function returns ``{"data": [...], "layout": {...}}``, embedded by a template with
``json_script`` and drawn by ``static/js/charts.js``. A point that leads somewhere carries its URL
as the first item of its ``customdata``; the JavaScript follows it on click. Band colours are the
catalogue's; every band is also named in the hover text and in the chart's data table, so colour
never carries meaning alone. URLs are made by the callers (``link`` arguments), so that this
module stays pure. Building dicts directly is about 9x faster than ``plotly.graph_objects``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from assessments import scoring

FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
TEXT = "#1b1f24"
MUTED = "#4a5360"
GRID = "#dcdfe3"
NEUTRAL = "#6b7480"  # no band: an inherent bar, a median marker
WORSE, BETTER = "#b3261e", "#00703c"
# Lines of the trend chart: distinct colours and dash styles, so a line is told apart without colour.
SERIES = (("#12263f", "solid"), ("#0b5cad", "dash"), ("#8a4f00", "dot"), ("#6a3d9a", "dashdot"),
          ("#00703c", "longdash"), ("#b3261e", "longdashdot"), ("#4a5360", "solid"))
NO_BAND_COLOUR = "#f3f4f6"
TIMES = "\N{MULTIPLICATION SIGN}"
LABEL_WIDTH = 34  # characters of a partner's name per line of an axis label


def _layout(**extra) -> dict:
    layout = {
        "font": {"family": FONT_FAMILY, "size": 14, "color": TEXT},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 16, "t": 8, "b": 8, "pad": 4},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 14}, "align": "left"},
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def _num(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value}"


def _signed(centi: int | None) -> str:
    """A change in hundredths as shown: "+1.25", "-0.50" with a real minus sign, or "no change"."""
    if centi is None:
        return ""
    if centi == 0:
        return "no change"
    sign = "+" if centi > 0 else "\N{MINUS SIGN}"
    return f"{sign}{scoring.centi_to_decimal(abs(centi))}"


def wrap_label(text: str, width: int = LABEL_WIDTH) -> str:
    """A long axis label on two lines (Plotly's ``<br>``), the second cut with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width + 1)
    first, rest = (text[:cut], text[cut + 1:]) if cut > 0 else (text[:width], text[width:])
    if len(rest) > width:
        cut = rest.rfind(" ", 0, width)
        rest = (rest[:cut] if cut > 0 else rest[: width - 1]).rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    return f"{first}<br>{rest}"


def band_colourscale(bands: Sequence) -> tuple[list[list], float, float]:
    """A stepped colour scale giving each integer band rank 1..max its band's colour, with
    ``zmin``/``zmax``: a cell whose z is a rank gets exactly that band's colour."""
    by_rank = {band.rank: band.colour for band in bands}
    top = max(by_rank, default=1)
    scale = []
    for rank in range(1, top + 1):
        colour = by_rank.get(rank, NO_BAND_COLOUR)
        scale += [[(rank - 1) / top, colour], [rank / top, colour]]
    return scale, 0.5, top + 0.5


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


# --- Partner x category heatmap --------------------------------------------------------------------


PARTNER_COLUMN = "Partner score"


def _heat_cell(tally: scoring.Tally, band, url: str, last: dt.date | None) -> tuple:
    """z, text and customdata of one heatmap cell (the scores' text straight from the sums: a page
    holds 550 cells)."""
    n = tally.n
    if band is None or not n:
        return None, "", None
    mean = scoring.mean_centi
    return band.rank, scoring.centi_text(mean(tally.score_sum_c, n)), [
        url, band.label, scoring.centi_text(mean(tally.score_low_sum_c, n)),
        scoring.centi_text(mean(tally.score_high_sum_c, n)), n, _date(last),
    ]


def heatmap_figure(heatmap, *, link: Callable[[int, str], str], partner_link: Callable[[int], str]) -> dict:
    """Partners (rows, highest score first) x categories, after a first column with each partner's
    own score (the mean of its agreements' scores). A cell's z is the band rank of its mean residual
    score (its colour), its text the score. ``customdata`` per cell: [url, band label, score low,
    score high, agreements, last assessed (ISO date)]; the first column links to the partner's
    page, the others to the ratings behind the cell. Cells with nothing counted are null (drawn
    empty, no hover)."""
    scale = heatmap.rules.scale
    colourscale, zmin, zmax = band_colourscale(scale.ordered)
    names = [row.name for row in heatmap.rows]
    z, text, custom = [], [], []
    for row in heatmap.rows:
        values = [_heat_cell(row.tally, scale.band_of_mean(row.tally), partner_link(row.partner_id), row.last_assessed)]
        for code, _ in heatmap.categories:
            cell = heatmap.cell(row.partner_id, code)
            values.append(_heat_cell(cell.tally, heatmap.bands[(row.partner_id, code)], link(row.partner_id, code),
                                     cell.last_assessed) if cell else (None, "", None))
        z.append([v[0] for v in values])
        text.append([v[1] for v in values])
        custom.append([v[2] for v in values])
    trace = {
        "type": "heatmap",
        "x": [PARTNER_COLUMN, *(name for _, name in heatmap.categories)],
        "y": names,
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "customdata": custom,
        "colorscale": colourscale,
        "zmin": zmin,
        "zmax": zmax,
        "showscale": False,
        "hoverongaps": False,
        "xgap": 2,
        "ygap": 2,
        "hovertemplate": (
            "<b>%{y}</b><br>%{x}<br>Score %{text} (range %{customdata[2]} to %{customdata[3]})<br>"
            "Band: %{customdata[1]}<br>%{customdata[4]} agreement(s), last assessed %{customdata[5]}<extra></extra>"
        ),
    }
    return {
        "data": [trace],
        "layout": _layout(
            height=max(240, 110 + 34 * len(names)),
            xaxis={"side": "top", "tickangle": -30, "automargin": True, "fixedrange": True, "showgrid": False},
            yaxis={
                "autorange": "reversed", "automargin": True, "fixedrange": True, "showgrid": False,
                "tickvals": names, "ticktext": [wrap_label(name) for name in names], "tickfont": {"size": 13},
            },
        ),
    }


# --- Likelihood x impact matrix ----------------------------------------------------------------------


def risk_matrix_figure(counts, *, link: Callable[[str, int, int], str], levels: Sequence[int] = (1, 2, 3, 4, 5)
                       ) -> dict:
    """Two 5x5 grids side by side, inherent then residual: each cell coloured by its band in the
    display matrix (z = band rank), its text the number of ratings in it. ``customdata`` per cell:
    [url, band label, ratings]."""
    scale = counts.rules.scale
    colourscale, zmin, zmax = band_colourscale(scale.ordered)
    traces, annotations = [], []
    for index, (side, title) in enumerate((("inherent", "Inherent: before safeguards"),
                                            ("residual", "Residual: after safeguards"))):
        cells = counts.side(side)
        z, text, custom = [], [], []
        for likelihood in levels:
            z_row, text_row, custom_row = [], [], []
            for impact in levels:
                rank = scale.matrix.band(likelihood, impact) if scale.matrix else None
                band = scale.band(rank)
                n = cells.get((likelihood, impact), 0)
                z_row.append(rank)
                text_row.append(f"{n:,}")
                custom_row.append([link(side, likelihood, impact), band.label if band else "", n])
            z.append(z_row)
            text.append(text_row)
            custom.append(custom_row)
        suffix = "" if index == 0 else "2"
        traces.append({
            "type": "heatmap", "x": list(levels), "y": list(levels), "z": z, "text": text,
            "texttemplate": "%{text}", "textfont": {"size": 15}, "customdata": custom,
            "colorscale": colourscale, "zmin": zmin, "zmax": zmax, "showscale": False, "xgap": 3, "ygap": 3,
            "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "hovertemplate": (
                f"{title.split(':')[0]}<br>Likelihood %{{y}} {TIMES} impact %{{x}}<br>"
                "Band: %{customdata[1]}<br>%{text} rating(s)<extra></extra>"
            ),
        })
        annotations.append({
            "text": f"<b>{title}</b>", "showarrow": False, "xref": f"x{suffix} domain", "yref": "paper",
            "x": 0.5, "y": 1.0, "yanchor": "bottom", "yshift": 6, "font": {"size": 14},
        })
    axis = {"tickmode": "array", "tickvals": list(levels), "fixedrange": True, "showgrid": False,
            "zeroline": False}
    return {
        "data": traces,
        "layout": _layout(
            height=380,
            margin={"l": 8, "r": 8, "t": 36, "b": 8, "pad": 2},
            annotations=annotations,
            xaxis={**axis, "domain": [0, 0.46], "title": {"text": "Impact"}, "automargin": True},
            yaxis={**axis, "title": {"text": "Likelihood"}, "automargin": True},
            xaxis2={**axis, "domain": [0.54, 1], "title": {"text": "Impact"}, "automargin": True},
            yaxis2={**axis, "anchor": "x2", "title": {"text": "Likelihood"}, "automargin": True},
        ),
    }


# --- Bands ---------------------------------------------------------------------------------------------


def band_distribution_figure(distribution, *, bands: Sequence) -> dict:
    """Agreements per band, two bars per band: by headline band ("Band", solid) and by the worst band
    among their categories ("Worst category", hatched)."""
    labels = [band.label for band in bands]
    colours = [band.colour for band in bands]
    traces = []
    for name, counts, pattern in (("Band", distribution.headline, ""), ("Worst category", distribution.worst, "/")):
        values = [counts[band.rank - 1] for band in bands]
        traces.append({
            "type": "bar", "name": name, "x": labels, "y": values, "text": [f"{v:,}" for v in values],
            "textposition": "outside", "cliponaxis": False,
            "marker": {"color": colours, "line": {"color": TEXT, "width": 1},
                       "pattern": {"shape": pattern, "fgcolor": TEXT, "solidity": 0.25}},
            "hovertemplate": f"{name}: %{{x}}<br>%{{y}} agreement(s)<extra></extra>",
        })
    return {
        "data": traces,
        "layout": _layout(
            height=320, barmode="group", bargap=0.25, showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.12},
            margin={"l": 8, "r": 8, "t": 40, "b": 8, "pad": 4},
            xaxis={"fixedrange": True, "automargin": True},
            yaxis={"title": {"text": "Agreements"}, "fixedrange": True, "rangemode": "tozero", "gridcolor": GRID,
                   "automargin": True},
        ),
    }


# --- Top agreements ------------------------------------------------------------------------------------


def top_agreements_figure(rows, *, bands: Mapping[int, object], link: Callable[[int], str]) -> dict:
    """The highest residual scores, one bar each, coloured by headline band; the text says the score
    and its change since the previous approved assessment."""
    references = [row.score.agreement.reference for row in rows]
    scores = [_num(row.score.score) for row in rows]
    colours, custom, text = [], [], []
    for row in rows:
        band = bands.get(row.score.band_rank)
        colours.append(band.colour if band else NEUTRAL)
        change = _signed(row.change_c) if row.change_c is not None else "first assessment"
        text.append(f"{row.score.score} ({change})")
        custom.append([link(row.score.agreement_id), band.label if band else "", row.score.agreement.title, change])
    return {
        "data": [{
            "type": "bar", "orientation": "h", "x": scores, "y": references, "text": text, "customdata": custom,
            "textposition": "outside", "cliponaxis": False,
            "marker": {"color": colours, "line": {"color": TEXT, "width": 1}},
            "hovertemplate": "<b>%{y}</b> %{customdata[2]}<br>Score %{x:.2f} · Band: %{customdata[1]}<br>"
                             "Change since the previous assessment: %{customdata[3]}<extra></extra>",
        }],
        "layout": _layout(
            height=max(200, 60 + 34 * len(rows)),
            xaxis={"range": [0, 25], "title": {"text": "Residual score (1 to 25)"}, "fixedrange": True,
                   "gridcolor": GRID, "automargin": True},
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }


# --- Trends and movers --------------------------------------------------------------------------------


def trend_figure(series: Sequence) -> dict:
    """One line per series (the portfolio first) of the mean residual score per day; the first
    series also shows its likely range as a shaded band. Days with nothing counted are gaps."""
    traces = []
    for index, item in enumerate(series):
        colour, dash = SERIES[index % len(SERIES)]
        days = [point.day.isoformat() for point in item.points]
        if index == 0:
            highs, lows = [_num(p.score_high) for p in item.points], [_num(p.score_low) for p in item.points]
            traces.append({"type": "scatter", "mode": "lines", "x": days, "y": highs,
                           "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False,
                           "name": f"{item.label}: high end"})
            traces.append({"type": "scatter", "mode": "lines", "x": days, "y": lows,
                           "line": {"width": 0}, "fill": "tonexty", "fillcolor": "rgba(18, 38, 63, 0.12)",
                           "hoverinfo": "skip", "name": f"{item.label}: likely range"})
        traces.append({
            "type": "scatter", "mode": "lines", "name": item.label, "x": days,
            "y": [_num(p.score) for p in item.points], "customdata": [p.n for p in item.points],
            "line": {"color": colour, "dash": dash, "width": 3 if index == 0 else 2, "shape": "hv"},
            "hovertemplate": f"{item.label}<br>%{{x|%d %b %Y}}: %{{y:.2f}} (%{{customdata}} counted)<extra></extra>",
        })
    values = [v for trace in traces for v in trace["y"] if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 25.0)
    # A little above and below the values, at least two points tall, within the score's 0..25.
    pad = max(1.0, (2.0 - (high - low)) / 2)
    return {
        "data": traces,
        "layout": _layout(
            height=340, showlegend=len(series) > 1, legend={"orientation": "h", "x": 0, "y": -0.2},
            xaxis={"type": "date", "fixedrange": True, "gridcolor": GRID, "automargin": True},
            yaxis={"title": {"text": "Mean residual score"}, "fixedrange": True, "gridcolor": GRID,
                   "automargin": True, "range": [max(0.0, low - pad), min(25.5, high + pad)]},
            hovermode="x unified",
        ),
    }


def movers_figure(movers: Sequence, *, link: Callable[[object], str]) -> dict:
    """The change of each mover's mean score over the period: right (worse) or left (better), the
    text giving the signed change."""
    labels = [f"{'Partner' if m.level == 'partner' else 'Category'}: {m.label}" for m in movers]
    changes = [m.change_c / 100 for m in movers]
    reach = max([0.5, *(abs(c) for c in changes)]) * 1.45
    return {
        "data": [{
            "type": "bar", "orientation": "h", "x": changes, "y": [wrap_label(label, 40) for label in labels],
            "text": [_signed(m.change_c) for m in movers], "textposition": "outside", "cliponaxis": False,
            "customdata": [[link(m), label, f"{m.before.score}", f"{m.after.score}"] for m, label in
                           zip(movers, labels, strict=True)],
            "marker": {"color": [WORSE if m.change_c > 0 else BETTER for m in movers],
                       "line": {"color": TEXT, "width": 1}},
            "hovertemplate": "%{customdata[1]}<br>%{customdata[2]} → %{customdata[3]} (%{text})<extra></extra>",
        }],
        "layout": _layout(
            height=max(200, 60 + 36 * len(movers)),
            # Symmetric about zero, with room for the text past the longest bar.
            xaxis={"title": {"text": "Change of the mean score (points)"}, "zeroline": True,
                   "zerolinecolor": TEXT, "fixedrange": True, "gridcolor": GRID, "automargin": True,
                   "range": [-reach, reach]},
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }


# --- One agreement ---------------------------------------------------------------------------------------


def category_bars_figure(views: Sequence, *, link: Callable[[str], str]) -> dict:
    """Inherent against residual score (likelihood x impact) per category of one assessment, residual
    bars coloured by their band. ``views``: ``RatingView`` rows (assessments.views.common)."""
    rated = [v for v in views if v.complete]
    names = [v.category.name for v in rated]
    inherent = [v.state["inherent_likelihood"] * v.state["inherent_impact"] for v in rated]
    residual = [v.state["residual_likelihood"] * v.state["residual_impact"] for v in rated]
    custom_in = [[link(v.category.code), v.inherent_band.label if v.inherent_band else ""] for v in rated]
    custom_res = [[link(v.category.code), v.residual_band.label if v.residual_band else ""] for v in rated]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": "Inherent (before safeguards)", "y": names, "x": inherent,
             "customdata": custom_in, "text": [f"{s} · {c[1]}" for s, c in zip(inherent, custom_in, strict=True)],
             "textposition": "outside", "cliponaxis": False,
             "marker": {"color": "#ffffff", "line": {"color": NEUTRAL, "width": 2},
                        "pattern": {"shape": "/", "fgcolor": NEUTRAL, "solidity": 0.2}},
             "hovertemplate": "%{y}<br>Inherent: %{x} · %{customdata[1]}<extra></extra>"},
            {"type": "bar", "orientation": "h", "name": "Residual (after safeguards)", "y": names, "x": residual,
             "customdata": custom_res, "text": [f"{s} · {c[1]}" for s, c in zip(residual, custom_res, strict=True)],
             "textposition": "outside", "cliponaxis": False,
             "marker": {"color": [v.residual_band.colour if v.residual_band else NEUTRAL for v in rated],
                        "line": {"color": TEXT, "width": 1}},
             "hovertemplate": "%{y}<br>Residual: %{x} · %{customdata[1]}<extra></extra>"},
        ],
        "layout": _layout(
            height=max(220, 80 + 52 * len(rated)), barmode="group", bargap=0.3, showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            margin={"l": 8, "r": 90, "t": 40, "b": 8, "pad": 4},  # room for "25 · Critical" past the bar
            xaxis={"range": [0, 25.5], "title": {"text": f"Likelihood {TIMES} impact (1 to 25)"}, "fixedrange": True,
                   "gridcolor": GRID, "automargin": True, "tickvals": [0, 5, 10, 15, 20, 25]},
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }


def score_history_figure(points: Sequence, *, link: Callable[[int], str]) -> dict:
    """An agreement's score at each approved assessment (by its as-of date), with its likely range
    as error bars; markers coloured by the assessment's headline band."""
    days = [p.assessment.as_of.isoformat() for p in points]
    scores = [_num(p.result.score) for p in points]
    bands = [p.band for p in points]
    return {
        "data": [{
            "type": "scatter", "mode": "lines+markers", "x": days, "y": scores,
            "error_y": {"type": "data", "symmetric": False, "color": MUTED, "thickness": 1.5, "width": 6,
                        "array": [float(p.result.score_high - p.result.score) for p in points],
                        "arrayminus": [float(p.result.score - p.result.score_low) for p in points]},
            "line": {"color": "#12263f", "width": 2},
            "marker": {"size": 13, "color": [b.colour if b else NEUTRAL for b in bands],
                       "line": {"color": TEXT, "width": 1.5}},
            "customdata": [[link(p.assessment.pk), b.label if b else "", _text(p.result.score_low),
                            _text(p.result.score_high)] for p, b in zip(points, bands, strict=True)],
            "hovertemplate": "As of %{x|%d %b %Y}<br>Score %{y:.2f} (range %{customdata[2]} to %{customdata[3]})"
                             "<br>Band: %{customdata[1]}<extra></extra>",
        }],
        "layout": _layout(
            height=300,
            xaxis={"type": "date", "fixedrange": True, "gridcolor": GRID, "automargin": True},
            yaxis={"range": [0, 25.5], "title": {"text": "Score (1 to 25)"}, "fixedrange": True, "gridcolor": GRID,
                   "automargin": True},
        ),
    }


# --- One partner -------------------------------------------------------------------------------------------


def category_profile_figure(profile, *, scale, link: Callable[[str], str]) -> dict:
    """A partner's mean residual score per category (bars, coloured by band) against the median of
    that category across the viewer's portfolio (diamond markers)."""
    rows = profile.categories
    names = [row.name for row in rows]
    bands = [scale.band_of_mean(row.tally) for row in rows]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": "This partner", "y": names,
             "x": [_num(row.tally.score) for row in rows],
             "text": [f"{row.tally.score} · {b.label if b else ''}" for row, b in zip(rows, bands, strict=True)],
             "textposition": "outside", "cliponaxis": False,
             "customdata": [[link(row.code), b.label if b else "", row.tally.n] for row, b in
                            zip(rows, bands, strict=True)],
             "marker": {"color": [b.colour if b else NEUTRAL for b in bands], "line": {"color": TEXT, "width": 1}},
             "hovertemplate": "%{y}<br>This partner: %{x:.2f} · %{customdata[1]} (%{customdata[2]} rating(s))"
                              "<extra></extra>"},
            {"type": "scatter", "mode": "markers", "name": "Portfolio median", "y": names,
             "x": [_num(row.median) for row in rows],
             "marker": {"symbol": "diamond", "size": 14, "color": "#ffffff", "line": {"color": TEXT, "width": 2.5}},
             "hovertemplate": "%{y}<br>Portfolio median: %{x:.2f}<extra></extra>"},
        ],
        "layout": _layout(
            height=max(220, 80 + 40 * len(rows)), showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            margin={"l": 8, "r": 16, "t": 40, "b": 8, "pad": 4},
            xaxis={"range": [0, 28], "title": {"text": "Mean residual score (1 to 25)"}, "fixedrange": True,
                   "gridcolor": GRID, "automargin": True, "tickvals": [0, 5, 10, 15, 20, 25]},
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }
