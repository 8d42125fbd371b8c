"""Assessment pages, split by concept: agreements, editing, review; and the score pages (``scores``,
routed by ``assessments.urls_scores``)."""

from .agreements import AgreementDetailView, AgreementListView
from .choosers import partner_search
from .editing import AssessmentEditView, AssessmentStartView
from .review import AssessmentApproveView, AssessmentDetailView, AssessmentReturnView, AssessmentReviewView

__all__ = [
    "AgreementDetailView",
    "AgreementListView",
    "AssessmentApproveView",
    "AssessmentDetailView",
    "AssessmentEditView",
    "AssessmentReturnView",
    "AssessmentReviewView",
    "AssessmentStartView",
    "partner_search",
]
