"""Forms check the shape of the input only; the services decide what is allowed (STYLE.md).

A text field's ``max_length`` is the service's ``TEXT_MAX_LENGTH``, for the browser's sake: the
service refuses longer texts whoever calls it.
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.utils import timezone

from catalogue.choices import Scale

from .choices import Confidence
from .comparison import LEVEL_FIELDS, rating_state
from .services import TEXT_MAX_LENGTH, RatingInput

NOT_RATED = ""
SNAPSHOT_SALT = "assessments.rating-snapshot"

LEVEL_LABELS = {
    "inherent_likelihood": "Inherent likelihood",
    "inherent_impact": "Inherent impact",
    "residual_likelihood": "Residual likelihood",
    "residual_impact": "Residual impact",
}
FIELD_LABELS = {
    **LEVEL_LABELS,
    "safeguards": "Safeguards from the library",
    "safeguards_other": "Other safeguards",
    "rationale": "Rationale",
    "evidence": "Evidence",
    "confidence": "Confidence",
}


class DescribedRadioSelect(forms.RadioSelect):
    """Radio buttons whose options carry a description, tied to the input by aria-describedby."""

    def __init__(self, *args, descriptions: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.descriptions = descriptions or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        description = self.descriptions.get(str(value))
        option["description"] = description
        if description and option["attrs"].get("id"):
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_desc"
        return option


class DescribedCheckboxSelectMultiple(DescribedRadioSelect, forms.CheckboxSelectMultiple):
    allow_multiple_selected = True
    input_type = "checkbox"


def _level_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose one of the levels shown."},
    )


def _text_field(label: str, rows: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RatingForm(forms.Form):
    """One category's section of the assessment form. Every field may be left empty in a draft."""

    inherent_likelihood = _level_field(LEVEL_LABELS["inherent_likelihood"])
    inherent_impact = _level_field(LEVEL_LABELS["inherent_impact"])
    residual_likelihood = _level_field(LEVEL_LABELS["residual_likelihood"])
    residual_impact = _level_field(LEVEL_LABELS["residual_impact"])
    safeguards = forms.TypedMultipleChoiceField(
        label=FIELD_LABELS["safeguards"],
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Choose safeguards from this category's library."},
    )
    safeguards_other = _text_field(FIELD_LABELS["safeguards_other"], 2)
    rationale = _text_field(FIELD_LABELS["rationale"], 4)
    evidence = _text_field(FIELD_LABELS["evidence"], 3)
    confidence = forms.ChoiceField(
        label=FIELD_LABELS["confidence"],
        choices=Confidence.choices,
        initial=Confidence.MEDIUM,
        widget=DescribedRadioSelect(
            descriptions={
                Confidence.LOW: "Little or indirect evidence; the rating could well be a level off.",
                Confidence.MEDIUM: "Reasonable evidence, some assumptions.",
                Confidence.HIGH: "Strong, direct and recent evidence.",
            }
        ),
    )

    def __init__(self, *args, category, levels, **kwargs):
        """``levels`` is ``{scale: {value: ScaleLevel}}``; the category's safeguards must be prefetched."""
        kwargs.setdefault("prefix", f"c{category.pk}")
        super().__init__(*args, **kwargs)
        self.category = category
        for name in LEVEL_FIELDS:
            scale = Scale.LIKELIHOOD if name.endswith("likelihood") else Scale.IMPACT
            scale_levels = levels.get(scale, {})
            field = self.fields[name]
            field.choices = [
                *((value, f"{value} · {level.label}") for value, level in scale_levels.items()),
                (NOT_RATED, "Not rated yet"),
            ]
            field.widget = DescribedRadioSelect(
                choices=field.choices,
                descriptions={str(value): level.description for value, level in scale_levels.items()},
            )
        safeguards = list(category.safeguards.all())
        self.fields["safeguards"].choices = [(s.pk, s.name) for s in safeguards]
        self.fields["safeguards"].widget = DescribedCheckboxSelectMultiple(
            choices=self.fields["safeguards"].choices,
            descriptions={str(s.pk): s.description for s in safeguards if s.description},
        )

    @classmethod
    def initial_from(cls, rating) -> dict:
        if rating is None:
            return {}
        return {
            **{name: getattr(rating, name) for name in LEVEL_FIELDS},
            "safeguards": [s.pk for s in rating.safeguards.all()],
            "safeguards_other": rating.safeguards_other,
            "rationale": rating.rationale,
            "evidence": rating.evidence,
            "confidence": rating.confidence,
        }

    def state(self) -> dict[str, object]:
        """What the form holds, as a comparable rating state (valid bound forms, or initial values)."""
        if self.is_bound:
            values = self.cleaned_data
        else:
            values = {name: self.get_initial_for_field(field, name) for name, field in self.fields.items()}
        return rating_state(
            levels={name: values.get(name) for name in LEVEL_FIELDS},
            safeguards=[int(pk) for pk in values.get("safeguards") or []],
            safeguards_other=values.get("safeguards_other") or "",
            rationale=values.get("rationale") or "",
            evidence=values.get("evidence") or "",
            confidence=values.get("confidence") or Confidence.MEDIUM,
        )

    def rating_input(self) -> RatingInput:
        data = self.cleaned_data
        return RatingInput(
            category_id=self.category.pk,
            **{name: data[name] for name in LEVEL_FIELDS},
            safeguard_ids=list(data["safeguards"]),
            safeguards_other=data["safeguards_other"],
            rationale=data["rationale"],
            evidence=data["evidence"],
            confidence=data["confidence"],
        )

    def anchor(self, name: str) -> str:
        """The id of the element an error-summary link for ``name`` should move focus to."""
        bound = self[name]
        if isinstance(bound.field.widget, forms.RadioSelect):
            return f"{bound.auto_id}_0" if bound.field.choices else f"{self.prefix}-{name}-group"
        return bound.auto_id


def snapshot_dumps(states: dict[int, dict[str, object]]) -> str:
    """Sign what the user loaded, so a conflict can tell their edits from someone else's."""
    return signing.dumps({str(k): v for k, v in states.items()}, salt=SNAPSHOT_SALT, compress=True)


def snapshot_loads(value: str) -> dict[int, dict[str, object]] | None:
    try:
        data = signing.loads(value, salt=SNAPSHOT_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    try:
        return {int(k): {**v, "safeguards": tuple(v.get("safeguards", ()))} for k, v in data.items()}
    except (AttributeError, TypeError, ValueError):
        return None


class AssessmentVersionForm(forms.Form):
    """The hidden part of the assessment form: the version the user loaded and its snapshot."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    snapshot = forms.CharField(required=False, widget=forms.HiddenInput)


class AssessmentStartForm(forms.Form):
    """A date; ``assessment_start`` decides whether it is allowed (not in the future)."""

    as_of = forms.DateField(
        label="Assessment date",
        help_text="The date the assessment describes, for example 2025-06-30.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"as_of": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ApproveForm(forms.Form):
    # What the manager read on the review page (``assessments.reviewed``), checked by the view.
    reviewed = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReturnForm(forms.Form):
    reviewed = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label="What needs to change",
        help_text="The analysts see this comment at the top of the form.",
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": "Say what needs to change: a comment is required to return."},
        widget=forms.Textarea(attrs={"rows": 6}),
    )
