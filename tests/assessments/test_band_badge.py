"""``{% band_badge %}``: the band markup every page shows (includes/band.html calls it too)."""

from types import SimpleNamespace

from django.template import Context, Template

from assessments.templatetags.riskboard_ui import band_badge


def test_a_band_is_named_with_its_swatch_and_text_is_escaped():
    band = SimpleNamespace(code="HIGH", colour="#d4351c", label="High <b>")
    assert band_badge(band) == (
        '<span class="band" data-band-code="HIGH"><span class="band__swatch" style="background-color: #d4351c" '
        'aria-hidden="true"></span>High &lt;b&gt;</span>'
    )


def test_without_a_band_the_empty_text_shows():
    assert band_badge(None) == '<span class="band band--none">Not rated</span>'
    assert band_badge(None, "Not computed yet") == '<span class="band band--none">Not computed yet</span>'


def test_the_include_renders_the_same_markup():
    band = SimpleNamespace(code="LOW", colour="#00703c", label="Low")
    template = Template('{% include "includes/band.html" with band=band empty=empty %}')
    assert template.render(Context({"band": band, "empty": ""})) == band_badge(band)
    assert template.render(Context({"band": None, "empty": "None yet"})) == band_badge(None, "None yet")
