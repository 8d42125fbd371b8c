"""Reading an assessment, and the manager's review: approve, or return with a comment."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views import View
from django.views.generic import TemplateView

from catalogue.models import Band, RiskCategory
from catalogue.selectors import safeguard_names_by_code
from riskboard.permissions import Action, can, require

from .. import selectors, services
from ..choices import EDITABLE_STATUSES, AssessmentStatus, Confidence, TransitionAction
from ..comparison import changed_fields
from ..forms import FIELD_LABELS, ApproveForm, ReturnForm
from ..models import Assessment
from ..reviewed import PARAM, TEXT_FIELDS, Reviewed, ReviewedInvalid, compact_state, reviewed_dumps, reviewed_loads
from ..rules import LEVEL_FIELDS
from .common import RatingView, assessment_in_scope, assessment_rating_views, compare_with_previous, level_text


def _detail_url(assessment: Assessment) -> str:
    return reverse("assessments:assessment-detail", args=[assessment.pk])


class AssessmentDetailView(TemplateView):
    """Any assessment, read-only, with what changed since the previous approved assessment."""

    template_name = "assessments/assessment_detail.html"
    reviewing = False

    def get_context_data(self, **kwargs):
        assessment = getattr(self, "assessment", None) or assessment_in_scope(self.request, kwargs["pk"])
        user = self.request.user
        team_id = assessment.agreement.owner_team_id
        catalogues: dict = {}
        ratings = assessment_rating_views(assessment=assessment, catalogues=catalogues)
        previous = assessment.previous
        changed = 0
        if previous is not None:
            before = assessment_rating_views(assessment=previous, catalogues=catalogues)
            changed = compare_with_previous(ratings, before)
        can_review = can(user, Action.REVIEW, team_id) and assessment.status == AssessmentStatus.SUBMITTED
        prefetch_related_objects([assessment], "authors")  # listed here, and read by the four-eyes check
        authors = list(assessment.authors.all())
        transitions = list(selectors.assessment_transitions(assessment=assessment))
        # Reviewing, the user is a manager of the team (checked on dispatch): only four eyes can stop them.
        is_author = self.reviewing and not services.assessment_can_review(assessment=assessment, user=user)
        reviewed = ""
        if self.reviewing and not is_author:
            # The decision links carry what this page shows, so the decision is taken on it and nothing newer.
            reviewed = reviewed_dumps(
                assessment_id=assessment.pk, user_id=user.pk, version=assessment.version,
                last_transition_id=max((t.pk for t in transitions), default=0),
                states=[(view.category.pk, view.state) for view in ratings],
            )
        return super().get_context_data(
            assessment=assessment,
            agreement=assessment.agreement,
            ratings=ratings,
            previous=previous,
            changed_count=changed,
            rated=sum(view.complete for view in ratings),
            worst=selectors.worst_band(v.residual_band for v in ratings),
            headline=selectors.assessment_headline_band(assessment=assessment,
                                                        ratings=[v.rating for v in ratings if v.rating]),
            transitions=transitions,
            authors=authors,
            can_edit=can(user, Action.EDIT, team_id) and assessment.status in EDITABLE_STATUSES,
            can_review=can_review,
            is_author=is_author,
            reviewing=self.reviewing,
            reviewed=reviewed,
            reviewed_param=PARAM,
            **kwargs,
        )


def _not_awaiting_review(request, assessment: Assessment) -> HttpResponse | None:
    """When the assessment is not awaiting review, a redirect to its page explaining why."""
    if assessment.status == AssessmentStatus.SUBMITTED:
        return None
    messages.info(request, f"This assessment is {assessment.get_status_display().lower()}: it is not awaiting review.")
    return redirect(_detail_url(assessment))


class AssessmentReviewView(AssessmentDetailView):
    """The manager's review page: the detail page with the decision panel."""

    reviewing = True

    def dispatch(self, request, *args, **kwargs):
        self.assessment = assessment_in_scope(request, kwargs["pk"])
        require(request.user, Action.REVIEW, self.assessment.agreement.owner_team_id)
        return _not_awaiting_review(request, self.assessment) or super().dispatch(request, *args, **kwargs)


@dataclass
class CategoryChange:
    """A category that changed since the manager read it: ``rows`` are ``(label, then, now, is_band)``.

    ``then`` and ``now`` are display texts, or bands (or ``None``) for the two band rows; ``then``
    is ``None`` for a text the snapshot kept only as a digest.
    """

    category: RiskCategory
    rows: list[tuple[str, object, object, bool]] = field(default_factory=list)


_EMPTY_TEXT = {"safeguards_other": "None", "rationale": "None given", "evidence": "None given"}


def _then_text(name: str, value, *, levels, safeguard_names: dict[str, str]) -> str | None:
    """How the rating view would have shown ``value`` (compact state) of field ``name``."""
    if name in LEVEL_FIELDS:
        return level_text(levels, name, value)
    if name == "safeguards":
        return ", ".join(sorted(safeguard_names.get(code, code) for code in value)) or "None chosen"
    if name == "confidence":
        return Confidence(value).label if value in Confidence.values else "Not stated"
    if name in TEXT_FIELDS:
        return _EMPTY_TEXT[name] if not value else None
    return str(value)


def reviewed_changes(
    *, reviewed: Reviewed, current: list[RatingView], levels, matrix: selectors.BandMatrix,
    safeguard_names: dict[str, str],
) -> list[CategoryChange]:
    """What changed in each category between what the manager read and ``current``, field by field,
    with the two bands first (a reviewer reads them first). Unchanged categories are left out."""
    changes = []
    for view in current:
        then = reviewed.ratings.get(view.category.pk)
        change = CategoryChange(view.category)
        then_levels = {name: (then or {}).get(name) for name in LEVEL_FIELDS}
        for stage in ("inherent", "residual"):
            before = matrix.band(then_levels[f"{stage}_likelihood"], then_levels[f"{stage}_impact"])
            now: Band | None = getattr(view, f"{stage}_band")
            if (before and before.code) != (now and now.code):
                change.rows.append((f"{stage.capitalize()} band", before, now, True))
        for name in changed_fields(then, compact_state(view.state)):
            value = (then or {}).get(name, () if name == "safeguards" else None)
            shown = _then_text(name, value, levels=levels, safeguard_names=safeguard_names)
            change.rows.append((FIELD_LABELS[name], shown, view.display[name], False))
        if change.rows:
            changes.append(change)
    return changes


class DecisionView(View):
    """Shared by approve and return: GET is the confirmation step, POST takes the decision.

    Both carry what the manager read on the review page (``assessments.reviewed``): the decision
    is taken on that version or not at all. When the assessment changed since, the page says what
    changed (409) and nothing is decided; without a usable snapshot it says so (400).
    """

    template_name: str
    form_class: type
    decision: str  # what the conflict page calls the refused decision
    action: str  # the TransitionAction the decision records

    def dispatch(self, request, *args, **kwargs):
        assessment = assessment_in_scope(request, kwargs["pk"])
        self.assessment = assessment
        require(request.user, Action.REVIEW, assessment.agreement.owner_team_id)
        source = request.POST if request.method == "POST" else request.GET
        try:
            self.reviewed = reviewed_loads(source.get(PARAM), assessment_id=assessment.pk, user_id=request.user.pk)
        except ReviewedInvalid as exc:
            self.reviewed, invalid = None, exc
        if self.reviewed is not None and self.reviewed.version != assessment.version:
            return self.render_conflict(comment=request.POST.get("comment", ""))
        elsewhere = _not_awaiting_review(request, assessment)
        if elsewhere:
            return elsewhere
        services.assessment_require_reviewer(assessment=assessment, user=request.user)
        if self.reviewed is None:
            return render(request, "assessments/assessment_decision_invalid.html", {
                "assessment": assessment, "agreement": assessment.agreement, "reason": invalid.reason,
                "decision": self.decision,
            }, status=400)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(self.form_class(initial={PARAM: self.reviewed.token}))

    def post(self, request, pk):
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.decide(form.cleaned_data)
            except services.AssessmentConflict:
                self.assessment.refresh_from_db()
                return self.render_conflict(comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        for error in errors:
                            form.add_error(name if name in form.fields else None, error)
                else:
                    self.assessment.refresh_from_db()
                    if self.assessment.version != self.reviewed.version:  # decided or returned meanwhile
                        return self.render_conflict(comment=form.cleaned_data["comment"])
                    messages.error(request, " ".join(exc.messages))
                    return redirect(_detail_url(self.assessment))
            else:
                return redirect(_detail_url(self.assessment))
        return self.render(form)

    def render(self, form):
        return render(self.request, self.template_name, {
            "assessment": self.assessment,
            "agreement": self.assessment.agreement,
            "form": form,
            **self.extra_context(),
        })

    def render_conflict(self, *, comment: str = ""):
        """The decision was refused: the assessment is no longer what the manager read. Shows what
        happened since (workflow steps), what changed (per category, field by field) and their comment;
        unless the only thing that happened is this very decision, sent twice."""
        assessment, reviewed = self.assessment, self.reviewed
        catalogues: dict = {}
        current = assessment_rating_views(assessment=assessment, catalogues=catalogues)
        catalogue = catalogues[assessment.catalogue_id]
        changes = reviewed_changes(
            reviewed=reviewed, current=current, levels=catalogue["levels"], matrix=catalogue["matrix"],
            safeguard_names=safeguard_names_by_code(catalogue_id=assessment.catalogue_id),
        )
        since = list(selectors.assessment_transitions(assessment=assessment).filter(pk__gt=reviewed.last_transition_id))
        if [(t.action, t.actor_id) for t in since] == [(self.action, self.request.user.pk)] and not changes:
            # The form was sent twice (a double click, a reload): the first one took the decision.
            messages.info(self.request, f"Your {self.decision} of this assessment was already recorded.")
            return redirect(_detail_url(assessment))
        can_review = assessment.status == AssessmentStatus.SUBMITTED and services.assessment_can_review(
            assessment=assessment, user=self.request.user
        )
        return render(self.request, "assessments/assessment_decision_conflict.html", {
            "assessment": assessment,
            "agreement": assessment.agreement,
            "decision": self.decision,
            "changes": changes,
            "since": since,
            "comment": comment.strip(),
            "can_review": can_review,
        }, status=409)

    def extra_context(self) -> dict:
        return {}

    def decide(self, data) -> None:
        raise NotImplementedError


class AssessmentApproveView(DecisionView):
    template_name = "assessments/assessment_approve.html"
    form_class = ApproveForm
    decision = "approval"
    action = TransitionAction.APPROVE

    def extra_context(self):
        # What the service will set, shown before the manager commits to it.
        worst, due = selectors.assessment_review_schedule(assessment=self.assessment, approved_on=timezone.localdate())
        return {"worst": worst, "next_review": due,
                "headline": selectors.assessment_headline_band(assessment=self.assessment)}

    def decide(self, data):
        assessment = services.assessment_approve(
            assessment=self.assessment, actor=self.request.user, comment=data["comment"].strip(),
            expected_version=self.reviewed.version,
        )
        messages.success(self.request, "Assessment approved. Next review due "
                                       f"{date_format(assessment.next_review_date)}.")


class AssessmentReturnView(DecisionView):
    template_name = "assessments/assessment_return.html"
    form_class = ReturnForm
    decision = "return"
    action = TransitionAction.RETURN

    def decide(self, data):
        services.assessment_return(
            assessment=self.assessment, actor=self.request.user, comment=data["comment"],
            expected_version=self.reviewed.version,
        )
        messages.success(self.request, "Assessment returned to the analysts with your comment.")
