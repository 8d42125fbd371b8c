"""Small presentation helpers for the templates: accessible fields and readable colours."""

import html as stdlib_html

from django import forms, template
from django.utils.html import conditional_escape as escape
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from assessments import scoring

register = template.Library()


@register.simple_tag
def field_widget(field, hint=False, conflict=False):
    """Render ``field``'s widget tied to its hint, error and conflict notes (aria-describedby)."""
    attrs = {}
    described_by = describers(field, hint=hint, conflict=conflict)
    if described_by:
        attrs["aria-describedby"] = described_by
    if field.errors:
        attrs["aria-invalid"] = "true"
    widget = field.field.widget
    if type(widget) is forms.Textarea and not field.field.localize:
        # What django/forms/widgets/textarea.html writes, without a template per text box (the
        # assessment form has thirty): the same context, so the same attributes in the same order.
        # As BoundField.as_widget() builds them, then Widget.get_context().
        attrs = field.build_widget_attrs(attrs, widget)
        if field.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", field.auto_id)
        context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
        value = escape(context["value"]) if context["value"] else ""
        return mark_safe(f'<textarea name="{escape(context["name"])}"{_attrs_html(context["attrs"])}>\n'  # noqa: S308
                         f"{value}</textarea>")
    if type(widget) is forms.Select:
        # What django/forms/widgets/select.html and select_option.html write, without a template
        # per option (a filter bar has six selects, and their templates cost more than its queries).
        attrs = field.build_widget_attrs(attrs, widget)
        if field.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", field.auto_id)
        context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
        html = f'<select name="{escape(context["name"])}"{_attrs_html(context["attrs"])}>'
        for group_name, options, _index in context["optgroups"]:
            if group_name:
                html += f'\n  <optgroup label="{escape(group_name)}">'
            for option in options:
                html += (f'\n  <option value="{escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                         f'{escape(option["label"])}</option>\n')
            if group_name:
                html += "\n  </optgroup>"
        return mark_safe(html + "\n</select>")  # noqa: S308  (every value escaped above)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def describers(field, hint=False, conflict=False) -> str:
    """The ids of the notes that describe ``field``: its hint, its error, a conflict note."""
    ids = []
    if hint or field.help_text:
        ids.append(f"{field.auto_id}_hint")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    if conflict:
        ids.append(f"{field.auto_id}_conflict")
    return " ".join(ids)


def _input_html(data: dict) -> str:
    """The ``<input>`` of an option's ``data`` (a ``BoundWidget.data``), as Django's
    ``django/forms/widgets/input.html`` and ``attrs.html`` write it, escaped."""
    html = f'<input type="{escape(data["type"])}" name="{escape(data["name"])}"'
    if data["value"] is not None:
        html += f' value="{escape(data["value"])}"'
    return html + _attrs_html(data["attrs"]) + ">"


def _attrs_html(attrs: dict) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them, in order, escaped."""
    html = ""
    for name, value in attrs.items():
        if value is True:
            html += f" {escape(name)}"
        elif value is not False:
            html += f' {escape(name)}="{escape(value)}"'
    return html


@register.simple_tag
def option_input(option) -> str:
    """The ``<input>`` of one radio or checkbox option, built here: ``{{ option.tag }}`` renders the
    same markup through a widget template per option, which dominated the assessment form's time
    (some 60 options per category)."""
    return mark_safe(_input_html(option.data))  # noqa: S308  (every value escaped by _input_html)


@register.simple_tag
def choice_options(field, inline=False) -> str:
    """Every option of a radio or checkbox ``field``: its input, label and description (tied to the
    input by ``aria-describedby``, see ``assessments.forms.DescribedRadioSelect``), each in a
    ``div.option`` (``option--inline`` when ``inline``; ``option--none`` for the "not rated" choice
    of a level). Built in one loop over Django's own option data rather than a template loop: the
    assessment form has some 300 options, and their template work was most of its time."""
    out = []
    for option in field.subwidgets:
        data = option.data
        css = "option option--inline" if inline else ("option option--none" if data["value"] == "" else "option")
        label_for = escape(option.id_for_label)
        html = (f'\n    <div class="{css}">\n      {_input_html(data)}\n'
                f'      <label for="{label_for}">{escape(option.choice_label)}</label>\n')
        if data.get("description"):
            html += f'      <span class="option__desc" id="{label_for}_desc">{escape(data["description"])}</span>\n'
        out.append(html + "    </div>")
    return mark_safe("".join(out))  # noqa: S308  (every value escaped above)


def _score_text(tally) -> str:
    """A tally's mean score as the templates show it (``scoring.centi_text``: the Decimal's text),
    without ``localize``'s per-value format lookups (the site's one locale, en-GB, shows these
    numbers as they are), which cost more than the rest of a 500-cell table."""
    return scoring.centi_text(scoring.mean_centi(tally.score_sum_c, tally.n))


@register.simple_tag
def heatmap_table_rows(table, partner_links) -> str:
    """The body rows of the dashboard's heatmap table ("Show data"): per partner its name (to its
    page), its score (and how it is made), then per category the cell's score and band linking to
    the ratings behind it, or a dash. ``table``: ``Heatmap.grid()``; ``partner_links``: partner id ->
    (page URL, score URL). One loop over plain data: a page holds 50 partners x 11 columns, and a
    template loop per cell cost more than the rest of the dashboard's markup."""
    # The standard library's escape (what Django's calls, without its lazy-text wrapper: a page
    # escapes a thousand values here); each band's label once.
    quote, labels = stdlib_html.escape, {}
    out = []
    for row, cells in table:
        page_url, score_url = partner_links[row.partner_id]
        name = quote(row.name)
        html = (f'\n        <tr>\n          <th scope="row"><a href="{quote(page_url)}">{name}</a></th>\n'
                f'          <td class="nowrap">{_score_text(row.tally)} <a class="muted" '
                f'href="{quote(score_url)}">how<span class="visually-hidden"> the score of {name} is made</span>'
                f"</a></td>")
        for _code, cell, band, url in cells:
            if cell:
                text = band.label if band else ""
                label = labels.get(text)
                if label is None:
                    label = labels[text] = quote(text)
                html += (f'\n          <td class="nowrap"><a href="{quote(url)}">{_score_text(cell.tally)}'
                         f'<span class="visually-hidden">, {name},</span> {label}</a></td>')
            else:
                html += '\n          <td class="nowrap"><span class="muted">\N{EM DASH}</span></td>'
        out.append(html + "\n        </tr>")
    return mark_safe("".join(out))  # noqa: S308  (every value escaped above)


@register.simple_tag
def matrix_table_rows(rows) -> str:
    """The body rows of the dashboard's risk matrix table ("Show data"): per cell its levels, its
    band, and each side's count linking to its ratings (or 0). ``rows``: the view's matrix rows
    (``likelihood``, ``impact``, ``band``, ``sides``: (side, count, url)). One loop over plain data."""
    out = []
    for cell in rows:
        likelihood, impact = cell["likelihood"], cell["impact"]
        html = (f"\n        <tr>\n          <td>{likelihood}</td><td>{impact}</td>\n"
                f"          <td>{band_badge(cell['band'])}</td>\n          ")
        for side, count, url in cell["sides"]:
            if count:
                html += (f'<td><a href="{escape(url)}">{count}<span class="visually-hidden"> {escape(side)} ratings '
                         f"at likelihood {likelihood}, impact {impact}</span></a></td>")
            else:
                html += "<td>0</td>"
        out.append(html + "\n        </tr>")
    return mark_safe("".join(out))  # noqa: S308  (every value escaped above; levels and counts are ints)


@register.simple_tag
def band_badge(band, empty="") -> str:
    """A band named in text, its colour as a swatch; ``empty`` (default "Not rated") without one.
    The one definition of that markup: includes/band.html calls it, and lists call it per row
    without an include."""
    if band:
        return format_html(
            '<span class="band" data-band-code="{}"><span class="band__swatch" style="background-color: {}" '
            'aria-hidden="true"></span>{}</span>', band.code, band.colour, band.label,
        )
    return format_html('<span class="band band--none">{}</span>', empty or "Not rated")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def contrast_text(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (#RRGGBB): at least 4.5:1 either way."""
    try:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (TypeError, ValueError, IndexError):
        return "#000000"
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


@register.filter
def centi(value) -> str:
    """The size of a change given in hundredths of a point, with two places: -125 -> "1.25"."""
    try:
        return f"{abs(int(value)) / 100:.2f}"
    except (TypeError, ValueError):
        return ""
