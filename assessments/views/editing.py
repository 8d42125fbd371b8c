"""Starting an assessment, and the assessment form: save a draft, submit, and survive conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views import View

from riskboard.forms import form_add_service_error
from riskboard.permissions import Action, require

from .. import rules, selectors, services
from ..choices import EDITABLE_STATUSES, AssessmentStatus
from ..comparison import UNKNOWN_BASE, three_way_merge
from ..forms import (
    FIELD_LABELS,
    AssessmentStartForm,
    AssessmentVersionForm,
    RatingForm,
    snapshot_dumps,
    snapshot_loads,
)
from ..models import Assessment
from ..rules import LEVEL_FIELDS
from .common import (
    agreement_in_scope,
    assessment_in_scope,
    level_text,
    matrix_json,
    matrix_rows,
)

SUBMIT = "submit"
MISSING = "missing"


def _edit_url(assessment: Assessment) -> str:
    return reverse("assessments:assessment-edit", args=[assessment.pk])


def _detail_url(assessment: Assessment) -> str:
    return reverse("assessments:assessment-detail", args=[assessment.pk])


class AssessmentStartView(View):
    """GET explains what starting does; POST starts the draft (pre-filled by the service)."""

    template_name = "assessments/assessment_start.html"

    def dispatch(self, request, *args, **kwargs):
        self.agreement = agreement_in_scope(request, kwargs["pk"])
        require(request.user, Action.EDIT, self.agreement.owner_team_id)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        open_assessment = selectors.agreement_open_assessment(agreement=self.agreement)
        if open_assessment is not None:
            messages.info(request, "This agreement already has an open assessment: here it is.")
            if open_assessment.status in EDITABLE_STATUSES:
                return redirect(_edit_url(open_assessment))
            return redirect(_detail_url(open_assessment))
        return self.render(AssessmentStartForm())

    def post(self, request, pk):
        form = AssessmentStartForm(request.POST)
        if form.is_valid():
            try:
                assessment = services.assessment_start(
                    agreement=self.agreement, actor=request.user, as_of=form.cleaned_data["as_of"]
                )
            except ValidationError as exc:  # on its field (a date in the future), else above the form
                form_add_service_error(form, exc)
            else:
                if assessment.previous_id:
                    messages.success(
                        request,
                        "Assessment started, pre-filled from the approved assessment of "
                        f"{date_format(assessment.previous.as_of)}. Check every category.",
                    )
                else:
                    messages.success(request, "Assessment started.")
                return redirect(_edit_url(assessment))
        return self.render(form)

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "agreement": self.agreement,
                "form": form,
                "previous": selectors.agreement_last_approved_assessment(agreement=self.agreement),
            },
        )


@dataclass
class Section:
    """One category's part of the form page."""

    form: RatingForm
    inherent_band: object = None
    residual_band: object = None
    # Conflict page: the other person's saved value per field they changed, as text.
    theirs: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    taken_from_them: list[str] = field(default_factory=list)

    @property
    def category(self):
        return self.form.category

    @property
    def rated(self) -> bool:
        return rules.is_complete(self.levels)

    @property
    def residual_above(self) -> bool:
        """A residual level above its inherent level (the rationale must then explain it)."""
        return rules.residual_exceeds_inherent(self.levels)

    @property
    def levels(self) -> dict[str, int | None]:
        state = self.form.state() if not self.form.errors else _raw_levels(self.form)
        return {name: state[name] for name in LEVEL_FIELDS}


def _raw_levels(form: RatingForm) -> dict[str, int | None]:
    """Levels of a form with errors: each valid level as typed, anything else as not rated."""
    levels = {}
    for name in LEVEL_FIELDS:
        value = form[name].value()
        levels[name] = int(value) if str(value).isdigit() and name not in form.errors else None
    return levels


class AssessmentEditView(View):
    """The assessment form.

    POST saves the categories that changed, with the version the user loaded (optimistic
    locking). "Submit" saves, then lists what is still missing or submits. A save over a newer
    version answers 409 with a page that merges this user's input with the other person's
    changes, so nothing typed is lost and nothing is silently overwritten.
    """

    template_name = "assessments/assessment_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.assessment = assessment_in_scope(request, kwargs["pk"])
        require(request.user, Action.EDIT, self.assessment.agreement.owner_team_id)
        return super().dispatch(request, *args, **kwargs)

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        assessment = self.assessment
        self.categories = list(selectors.assessment_categories(assessment=assessment))
        self.levels = selectors.catalogue_levels(catalogue_id=assessment.catalogue_id)
        self.matrix = selectors.catalogue_matrix(catalogue_id=assessment.catalogue_id)
        self.ratings = {r.category_id: r for r in selectors.assessment_ratings(assessment=assessment)}

    def forms(self, data=None, initial: dict[int, dict] | None = None) -> list[RatingForm]:
        return [
            RatingForm(
                data,
                category=category,
                levels=self.levels,
                initial=(initial or {}).get(category.pk, RatingForm.initial_from(self.ratings.get(category.pk))),
            )
            for category in self.categories
        ]

    def saved_states(self) -> dict[int, dict[str, object]]:
        return {form.category.pk: form.state() for form in self.forms()}

    # --- GET -----------------------------------------------------------------------------------

    def get(self, request, pk):
        if self.assessment.status not in EDITABLE_STATUSES:
            messages.info(
                request,
                f"This assessment is {self.assessment.get_status_display().lower()}: it can no longer be edited.",
            )
            return redirect(_detail_url(self.assessment))
        self.load()
        forms = self.forms()
        # The unbound forms hold the saved state: the snapshot is taken from them, not from a second set.
        saved = {form.category.pk: form.state() for form in forms}
        return self.render(forms, version=self.assessment.version, snapshot=snapshot_dumps(saved))

    # --- POST ----------------------------------------------------------------------------------

    def post(self, request, pk):
        self.load()
        meta = AssessmentVersionForm(request.POST)
        if not meta.is_valid():
            raise SuspiciousOperation("The assessment form came without the version it was loaded at.")
        version = meta.cleaned_data["version"]
        snapshot = meta.cleaned_data["snapshot"]
        forms = self.forms(request.POST)
        valid = [form.is_valid() for form in forms]  # every form validated, so every error is shown
        if not all(valid):
            # The service's rules too, on the sections that are well-formed: all errors in one round.
            for form in forms:
                if form.is_valid() and form.has_changed():
                    errors = services.rating_input_errors(
                        item=form.rating_input(),
                        allowed_safeguard_ids={s.pk for s in form.category.safeguards.all()},
                    )
                    for name, messages_ in errors.items():
                        for message in messages_:
                            form.add_error(name, message)
            return self.render(forms, version=version, snapshot=snapshot)
        if self.assessment.status not in EDITABLE_STATUSES:
            return self.render_locked(forms, snapshot)

        changed = [form for form in forms if form.has_changed()]
        if not changed and self.assessment.version != version:
            # Nothing of theirs to save, but what they see is stale: show what moved on.
            return self.render_conflict(forms, snapshot)
        try:
            if changed:
                services.assessment_save_ratings(
                    assessment=self.assessment,
                    actor=request.user,
                    expected_version=version,
                    ratings=[form.rating_input() for form in changed],
                )
            if request.POST.get("intent") == SUBMIT:
                missing = self.missing(forms)
                if missing:
                    return self.render(
                        forms,
                        version=self.assessment.version,
                        snapshot=snapshot_dumps({form.category.pk: form.state() for form in forms}),
                        missing=missing,
                        saved=bool(changed),
                    )
                services.assessment_submit(
                    assessment=self.assessment, actor=request.user, expected_version=self.assessment.version
                )
        except services.AssessmentConflict:
            self.assessment.refresh_from_db()
            self.load()
            return self.render_conflict(forms, snapshot)
        except services.RatingsInvalid as exc:
            for form in forms:
                for name, errors in exc.by_category.get(form.category.pk, {}).items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            return self.render(forms, version=version, snapshot=snapshot)
        except ValidationError:
            # The status moved on (submitted by someone else): nothing can be saved any more.
            self.assessment.refresh_from_db()
            return self.render_locked(forms, snapshot)

        if request.POST.get("intent") == SUBMIT:
            messages.success(
                request,
                f"Submitted for review. A manager of {self.assessment.agreement.owner_team} will review it.",
            )
            return redirect(_detail_url(self.assessment))
        if changed:
            rated = sum(Section(form).rated for form in forms)
            messages.success(request, f"Draft saved. {rated} of {len(forms)} categories rated.")
        else:
            messages.info(request, "There were no changes to save.")
        anchor = request.POST.get("save_at", "")
        codes = {form.category.code for form in forms}
        return redirect(_edit_url(self.assessment) + (f"#category-{anchor}" if anchor in codes else ""))

    def missing(self, forms: list[RatingForm]) -> list[tuple[RatingForm, list[str]]]:
        """Each form with the levels it still lacks; adds an error next to each of those fields."""
        missing = []
        for form in forms:
            names = rules.missing_levels(form.cleaned_data)
            for name in names:
                message = f"Choose the {FIELD_LABELS[name].lower()} before submitting."
                form.add_error(name, ValidationError(message, code=MISSING))
            if names:
                missing.append((form, names))
        return missing

    # --- conflicts -----------------------------------------------------------------------------

    def merge(self, forms: list[RatingForm], snapshot: str):
        """Sections merging this user's input with what is saved now; and the merged initial data."""
        loaded = snapshot_loads(snapshot)
        saved = self.saved_states()
        merged_initial: dict[int, dict] = {}
        sections = []
        for form in forms:
            pk = form.category.pk
            base = UNKNOWN_BASE if loaded is None else loaded.get(pk)
            merge = three_way_merge(base=base, mine=form.state(), theirs=saved.get(pk))
            merged_initial[pk] = {**merge.state, "safeguards": list(merge.state["safeguards"])}
            theirs = {
                name: self.display(form, name, saved[pk][name]) for name in (*merge.conflicts, *merge.taken_from_them)
            }
            sections.append((pk, merge, theirs))
        new_forms = self.forms(initial=merged_initial)
        result = []
        for new_form, (_pk, merge, theirs) in zip(new_forms, sections, strict=True):
            result.append(
                Section(new_form, theirs=theirs, conflicts=merge.conflicts, taken_from_them=merge.taken_from_them)
            )
        return result, saved

    def display(self, form: RatingForm, name: str, value) -> str:
        if name in LEVEL_FIELDS:
            return level_text(self.levels, name, value)
        if name == "safeguards":
            names = dict(form.fields["safeguards"].choices)
            return ", ".join(str(names.get(pk, pk)) for pk in value) or "None chosen"
        if name == "confidence":
            return dict(form.fields["confidence"].choices).get(value, value)
        return value or "(empty)"

    def render_conflict(self, forms: list[RatingForm], snapshot: str):
        sections, saved = self.merge(forms, snapshot)
        return self.render_sections(
            sections,
            version=self.assessment.version,
            snapshot=snapshot_dumps(saved),
            conflict=True,
            status=409,
        )

    def render_locked(self, forms: list[RatingForm], snapshot: str):
        """The assessment left draft while this user typed: show their input so it is not lost."""
        loaded = snapshot_loads(snapshot) or {}
        yours = []
        for form in forms:
            state = form.state()
            base = loaded.get(form.category.pk)
            names = [n for n in FIELD_LABELS if base is None or state[n] != base.get(n)]
            rows = [(FIELD_LABELS[n], self.display(form, n, state[n])) for n in names]
            if rows:
                yours.append((form.category, rows))
        return render(
            self.request,
            "assessments/assessment_locked.html",
            {"assessment": self.assessment, "agreement": self.assessment.agreement, "yours": yours},
            status=409,
        )

    # --- rendering -----------------------------------------------------------------------------

    def render(self, forms, *, version: int, snapshot: str, missing=None, saved: bool = False, status: int = 200):
        return self.render_sections(
            [Section(form) for form in forms],
            version=version,
            snapshot=snapshot,
            missing=missing,
            saved=saved,
            status=status,
        )

    def render_sections(self, sections, *, version, snapshot, missing=None, saved=False, conflict=False, status=200):
        for section in sections:
            levels = section.levels
            section.inherent_band = self.matrix.band(levels["inherent_likelihood"], levels["inherent_impact"])
            section.residual_band = self.matrix.band(levels["residual_likelihood"], levels["residual_impact"])
        # Missing levels are listed on their own, grouped by category, rather than one by one here.
        error_summary = [
            (form.anchor(name) if name in form.fields else f"category-{form.category.code}",
             f"{form.category.name}: {message}")
            for form in (s.form for s in sections)
            if form.is_bound
            for name, errors in form.errors.as_data().items()
            for error in errors
            if error.code != MISSING
            for message in error
        ]
        rated = sum(section.rated for section in sections)
        context = {
            "assessment": self.assessment,
            "agreement": self.assessment.agreement,
            "sections": sections,
            "version": version,
            "snapshot": snapshot,
            "error_summary": error_summary,
            "missing": [
                (form.category, [(form.anchor(name), FIELD_LABELS[name]) for name in names])
                for form, names in (missing or [])
            ],
            "saved": saved,
            "conflict": conflict,
            "rated": rated,
            "total": len(sections),
            "matrix": matrix_json(self.matrix),
            "matrix_rows": matrix_rows(levels=self.levels, matrix=self.matrix),
            "impact_levels": [level for _, level in sorted(self.levels.get("impact", {}).items())],
            "returned": self.assessment.status == AssessmentStatus.RETURNED,
            "field_labels": FIELD_LABELS,
        }
        return render(self.request, self.template_name, context, status=status)
