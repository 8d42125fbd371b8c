"""``{% option_input %}`` builds each radio and checkbox exactly as Django's widget template would."""

from __future__ import annotations

import pytest
from django import forms

from assessments.forms import DescribedCheckboxSelectMultiple, DescribedRadioSelect
from assessments.templatetags.riskboard_ui import option_input


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
