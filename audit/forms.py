"""The history filter: the shape of the query string only (values are checked, not interpreted)."""

from django import forms
from django.contrib.auth import get_user_model

from .selectors import audit_model_choices


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class HistoryFilterForm(forms.Form):
    model = forms.ChoiceField(label="Record type", required=False)
    actor = ActorChoiceField(
        label="Changed by", required=False, queryset=get_user_model()._default_manager.none(), empty_label="Anyone"
    )
    date_from = forms.DateField(label="From (date)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (date)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "All records"), *audit_model_choices()]
        self.fields["actor"].queryset = get_user_model()._default_manager.order_by("username")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "Choose a date on or after the start date.")
        return cleaned
