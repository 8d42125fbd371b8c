"""The dashboard's long tables, built in one loop (``riskboard_ui``): the markup the template loops
wrote, names escaped."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from assessments import scoring
from assessments.templatetags.riskboard_ui import heatmap_table_rows, matrix_table_rows


def _tally(score: Decimal) -> scoring.Tally:
    """A tally of two agreements whose mean score is ``score``."""
    return scoring.Tally(n=2, score_sum_c=int(score * 200))


def test_heatmap_rows_link_each_counted_cell_and_dash_the_others():
    row = SimpleNamespace(partner_id=7, name="<Partner>", tally=_tally(Decimal("12.50")))
    cell = SimpleNamespace(tally=_tally(Decimal("9.00")))
    band = SimpleNamespace(label="Medium")
    html = heatmap_table_rows([(row, [("ACC", cell, band, "/cell?a=1&b=2"), ("EXP", None, None, None)])],
                              {7: ("/partners/7/", "/scores/partners/7/")})
    assert '<th scope="row"><a href="/partners/7/">&lt;Partner&gt;</a></th>' in html
    assert '12.50 <a class="muted" href="/scores/partners/7/">how' in html
    assert ('<a href="/cell?a=1&amp;b=2">9.00<span class="visually-hidden">, &lt;Partner&gt;,</span> Medium</a>'
            in html)
    assert '<td class="nowrap"><span class="muted">\N{EM DASH}</span></td>' in html
    assert html.count("<tr>") == 1


def test_matrix_rows_link_each_cell_with_ratings_and_name_it():
    band = SimpleNamespace(code="HIGH", colour="#ff0000", label="High")
    rows = [{"likelihood": 4, "impact": 5, "band": band,
             "sides": [("inherent", 12, "/m/inherent/4/5/?team=1&x=2"), ("residual", 0, "/m/residual/4/5/")]}]
    html = matrix_table_rows(rows)
    assert "<td>4</td><td>5</td>" in html and 'data-band-code="HIGH"' in html and ">High</span>" in html
    assert ('<td><a href="/m/inherent/4/5/?team=1&amp;x=2">12<span class="visually-hidden"> inherent ratings at '
            "likelihood 4, impact 5</span></a></td><td>0</td>") in html
    assert html.count("<tr>") == 1
