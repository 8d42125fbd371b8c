"""Reads of one assessment for its pages and for the workflow services."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from catalogue.models import Band, RiskCategory
from riskboard.permissions import Action

from ..models import Assessment, Rating
from ..scheduling import next_review_date
from .catalogues import catalogue_matrix


def assessment_for_page(*, user, action: Action = Action.VIEW) -> QuerySet[Assessment]:
    """Assessments ``user`` may take ``action`` on, with what every assessment page shows."""
    return Assessment.objects.restrict(user, action).select_related(
        "agreement__owner_team", "catalogue", "reviewer", "previous"
    )


def assessment_ratings(*, assessment: Assessment) -> QuerySet[Rating]:
    """The assessment's ratings with their category and chosen safeguards, in display order."""
    return (
        Rating.objects.filter(assessment=assessment)
        .select_related("category")
        .prefetch_related("safeguards")
        .order_by("category__display_order", "category__code")
    )


def assessment_categories(*, assessment: Assessment) -> QuerySet[RiskCategory]:
    """The categories the assessment must rate, with their safeguards, in display order."""
    return RiskCategory.objects.filter(catalogue_id=assessment.catalogue_id).prefetch_related(
        Prefetch("safeguards")
    )


def assessment_missing_categories(*, assessment: Assessment) -> list[RiskCategory]:
    """Categories of the assessment's catalogue that are not yet fully rated, in display order."""
    complete = {r.category_id for r in Rating.objects.filter(assessment=assessment) if r.is_complete}
    return [c for c in RiskCategory.objects.filter(catalogue_id=assessment.catalogue_id) if c.id not in complete]


def assessment_worst_residual_band(*, assessment: Assessment) -> Band | None:
    """The most severe band among the assessment's complete residual ratings (two queries)."""
    pairs = Rating.objects.filter(assessment=assessment).values_list("residual_likelihood", "residual_impact")
    return catalogue_matrix(catalogue_id=assessment.catalogue_id).worst_band(pairs)


def assessment_review_schedule(*, assessment: Assessment, approved_on: dt.date) -> tuple[Band | None, dt.date]:
    """The assessment's worst residual band, and when it is next due for review if approved on
    ``approved_on`` (three queries).

    The date follows the worst band and settings.RISKBOARD_REVIEW_MONTHS, capped by the agreement's
    end date minus its notice period. The approval service sets it; the approval page previews it.
    """
    worst = assessment_worst_residual_band(assessment=assessment)
    agreement = assessment.agreement
    due = next_review_date(
        approved_on=approved_on,
        worst_band_code=worst.code if worst else "",
        months_by_band=settings.RISKBOARD_REVIEW_MONTHS,
        agreement_end=agreement.end_date,
        notice_period_days=agreement.notice_period_days,
    )
    return worst, due


def assessment_next_review_date(*, assessment: Assessment, approved_on: dt.date) -> dt.date:
    """When the assessment, approved on ``approved_on``, is next due for review (three queries)."""
    return assessment_review_schedule(assessment=assessment, approved_on=approved_on)[1]


def assessment_transitions(*, assessment: Assessment):
    return assessment.transitions.select_related("actor").order_by("created_at", "id")
