"""``{% option_input %}`` builds each radio and checkbox exactly as Django's widget template would."""

from __future__ import annotations

import pytest
from django import forms

from assessments.forms import DescribedCheckboxSelectMultiple, DescribedRadioSelect
from assessments.templatetags.riskboard_ui import choice_options, option_input


class Sample(forms.Form):
    level = forms.ChoiceField(
        choices=[("1", "1 · Rare"), ("2", "2 · Likely <b>"), ("", "Not rated yet")],
        widget=DescribedRadioSelect(descriptions={"1": "Once in ten years."}),
    )
    safeguards = forms.MultipleChoiceField(
        required=False, choices=[("7", "Escort"), ("8", "Vetting & checks")],
        widget=DescribedCheckboxSelectMultiple(descriptions={"8": "Before access."}),
    )


@pytest.mark.parametrize("data", [{}, {"level": "2", "safeguards": ["7", "8"]}, {"level": ""}])
def test_each_option_is_the_markup_of_the_widget_template(data):
    form = Sample(data or None, prefix="c3")
    options = [*form["level"], *form["safeguards"]]
    assert len(options) == 5
    for option in options:
        assert option_input(option) == option.tag()


def _template_options(field, *, inline: bool) -> str:
    """The options as the template loop that ``{% choice_options %}`` replaced wrote them."""
    from django.template import Context, Template

    css = "option option--inline" if inline else "option{% if radio.data.value == '' %} option--none{% endif %}"
    return Template(
        "{% load riskboard_ui %}{% for radio in field %}<div class=\"" + css + "\">{% option_input radio %}"
        '<label for="{{ radio.id_for_label }}">{{ radio.choice_label }}</label>'
        '{% if radio.data.description %}<span class="option__desc" id="{{ radio.id_for_label }}_desc">'
        "{{ radio.data.description }}</span>{% endif %}</div>{% endfor %}"
    ).render(Context({"field": field}))


@pytest.mark.parametrize("data", [{}, {"level": "2", "safeguards": ["7", "8"]}, {"level": ""}])
@pytest.mark.parametrize("inline", [False, True])
def test_choice_options_is_the_markup_of_the_template_loop(data, inline):
    form = Sample(data or None, prefix="c3")
    for name in ("level", "safeguards"):
        built = "".join(line.strip() for line in choice_options(form[name], inline=inline).splitlines())
        assert built == _template_options(form[name], inline=inline)
    assert 'class="option option--none"' in choice_options(form["level"])  # the "not rated" choice
    assert "Likely &lt;b&gt;" in choice_options(form["level"])  # labels are escaped


class Texts(forms.Form):
    rationale = forms.CharField(required=False, max_length=50, widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(max_length=5, widget=forms.Textarea(attrs={"rows": 3}), help_text="Sources.")


@pytest.mark.parametrize("data", [None, {"rationale": 'Because <b>"x" & y</b>', "evidence": "too long"}, {}])
@pytest.mark.parametrize(("hint", "conflict"), [(False, False), (True, True)])
def test_a_text_box_is_the_markup_of_the_widget_template(data, hint, conflict):
    _assert_widgets_are_the_templates(Texts(data, prefix="c3", initial={"rationale": "Saved <i>text</i>"}),
                                      hint=hint, conflict=conflict)


def _assert_widgets_are_the_templates(form, *, hint, conflict):
    """``field_widget`` writes each field of ``form`` as Django's widget templates do, hint, error
    and conflict notes tied to it."""
    from assessments.templatetags.riskboard_ui import describers, field_widget

    for field in form:
        attrs = {"aria-describedby": describers(field, hint=hint, conflict=conflict)}
        if field.errors:
            attrs["aria-invalid"] = "true"
        expected = field.as_widget(attrs={k: v for k, v in attrs.items() if v})
        assert field_widget(field, hint=hint, conflict=conflict) == expected


class Choices(forms.Form):
    region = forms.ChoiceField(choices=[("", "Any region"), ("eu", "Europe & <Near> \"East\""), ("af", "Africa")],
                               required=False, help_text="Where.")
    grouped = forms.ChoiceField(choices=[("", "None"), ("Group <A>", [("1", "One"), ("2", "Two")]), ("3", "Three")])
    count = forms.TypedChoiceField(choices=[(1, "One"), (2, "Two")], coerce=int)


@pytest.mark.parametrize("data", [None, {"region": "eu", "grouped": "2", "count": "2"}, {"region": "nowhere"}])
@pytest.mark.parametrize(("hint", "conflict"), [(False, False), (True, True)])
def test_a_select_is_the_markup_of_the_widget_template(data, hint, conflict):
    """The filter bars' selects are written in one loop: the same markup as Django's templates."""
    _assert_widgets_are_the_templates(Choices(data, prefix="f", initial={"region": "af"}), hint=hint, conflict=conflict)
