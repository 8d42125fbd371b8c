"""Reading an assessment, and the manager's review: approve, or return with a comment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views import View
from django.views.generic import TemplateView

from riskboard.permissions import Action, can, require

from .. import selectors, services
from ..choices import EDITABLE_STATUSES, AssessmentStatus
from ..forms import ApproveForm, ReturnForm
from ..models import Assessment
from .common import assessment_in_scope, assessment_rating_views, compare_with_previous


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
        return super().get_context_data(
            assessment=assessment,
            agreement=assessment.agreement,
            ratings=ratings,
            previous=previous,
            changed_count=changed,
            rated=sum(view.complete for view in ratings),
            worst=selectors.worst_band(v.residual_band for v in ratings),
            transitions=list(selectors.assessment_transitions(assessment=assessment)),
            authors=authors,
            can_edit=can(user, Action.EDIT, team_id) and assessment.status in EDITABLE_STATUSES,
            can_review=can_review,
            # Reviewing, the user is a manager of the team (checked on dispatch): only four eyes can stop them.
            is_author=self.reviewing and not services.assessment_can_review(assessment=assessment, user=user),
            reviewing=self.reviewing,
            **kwargs,
        )


def _awaiting_review(request, pk):
    """The assessment (404 out of scope, 403 without the review right) and, when it is not
    awaiting review, a redirect to its page explaining why."""
    assessment = assessment_in_scope(request, pk)
    require(request.user, Action.REVIEW, assessment.agreement.owner_team_id)
    if assessment.status == AssessmentStatus.SUBMITTED:
        return assessment, None
    messages.info(request, f"This assessment is {assessment.get_status_display().lower()}: it is not awaiting review.")
    return assessment, redirect(_detail_url(assessment))


class AssessmentReviewView(AssessmentDetailView):
    """The manager's review page: the detail page with the decision panel."""

    reviewing = True

    def dispatch(self, request, *args, **kwargs):
        self.assessment, elsewhere = _awaiting_review(request, kwargs["pk"])
        return elsewhere or super().dispatch(request, *args, **kwargs)


class DecisionView(View):
    """Shared by approve and return: GET is the confirmation step, POST takes the decision."""

    template_name: str
    form_class: type

    def dispatch(self, request, *args, **kwargs):
        self.assessment, elsewhere = _awaiting_review(request, kwargs["pk"])
        if elsewhere:
            return elsewhere
        services.assessment_require_reviewer(assessment=self.assessment, user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(self.form_class(initial={"version": self.assessment.version}))

    def post(self, request, pk):
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.decide(form.cleaned_data)
            except services.AssessmentConflict:
                messages.error(request, "Someone changed this assessment while you were reviewing it. "
                                        "Review it again as it is now.")
                return redirect("assessments:assessment-review", pk=self.assessment.pk)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        for error in errors:
                            form.add_error(name if name in form.fields else None, error)
                else:
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

    def extra_context(self) -> dict:
        return {}

    def decide(self, data) -> None:
        raise NotImplementedError


class AssessmentApproveView(DecisionView):
    template_name = "assessments/assessment_approve.html"
    form_class = ApproveForm

    def extra_context(self):
        # What the service will set, shown before the manager commits to it.
        worst, due = selectors.assessment_review_schedule(assessment=self.assessment, approved_on=timezone.localdate())
        return {"worst": worst, "next_review": due}

    def decide(self, data):
        assessment = services.assessment_approve(
            assessment=self.assessment, actor=self.request.user, comment=data["comment"].strip(),
            expected_version=data["version"],
        )
        messages.success(self.request, "Assessment approved. Next review due "
                                       f"{date_format(assessment.next_review_date)}.")


class AssessmentReturnView(DecisionView):
    template_name = "assessments/assessment_return.html"
    form_class = ReturnForm

    def decide(self, data):
        services.assessment_return(
            assessment=self.assessment, actor=self.request.user, comment=data["comment"],
            expected_version=data["version"],
        )
        messages.success(self.request, "Assessment returned to the analysts with your comment.")
