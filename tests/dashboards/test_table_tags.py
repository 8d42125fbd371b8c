"""The dashboard's long tables, built in one loop (``riskboard_ui``): the markup the template loops
wrote, names escaped."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from assessments import scoring
from assessments.templatetags.riskboard_ui import heatmap_table_rows


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
