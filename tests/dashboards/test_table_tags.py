"""The dashboard's long tables and option lists, built in one loop (``riskboard_ui``): the markup the
template loops wrote, names escaped, the chosen options selected."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from assessments.templatetags.riskboard_ui import heatmap_table_rows, select_options


def _tally(score):
    return SimpleNamespace(score=score)


def test_select_options_escapes_names_and_selects_the_chosen():
    html = select_options([(1, "A & <B>"), (2, "C"), (3, "D")], [(3, "D"), (1, "A & <B>")])
    assert html == ('<option value="1" selected>A &amp; &lt;B&gt;</option><option value="2">C</option>'
                    '<option value="3" selected>D</option>')
    assert select_options([], []) == ""


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
