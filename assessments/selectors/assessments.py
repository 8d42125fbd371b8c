"""Reads of one assessment for its pages and for the workflow services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from catalogue.models import Band, RiskCategory
from riskboard.permissions import Action

from .. import scoring
from ..aggregation.catalogue_rules import (
    RATING_COLUMNS,
    BandInfo,
    catalogue_rules,
    confidence_widening,
    rating_levels,
)
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


def assessment_headline_band(*, assessment: Assessment, ratings: Iterable[Rating] | None = None) -> BandInfo | None:
    """The headline band the agreement gets from this assessment once approved: its catalogue's
    roll-up of the complete ratings, as the recompute will store it (``AgreementScore.band_rank``).
    None until every category of the catalogue is rated: a band of some categories would mislead.
    ``ratings``: the assessment's ratings when the page has read them already (else one more query);
    one query for the catalogue's rules."""
    rules = catalogue_rules(catalogue_ids=[assessment.catalogue_id])[assessment.catalogue_id]
    if ratings is None:
        ratings = Rating.objects.filter(assessment=assessment)
    rows = [[getattr(r, column) for column in RATING_COLUMNS] for r in ratings if r.is_complete]
    if not rules.categories or set(rules.categories) - {row[1] for row in rows}:
        return None
    levels = [rating_levels(row, categories=rules.categories) for row in rows if row[1] in rules.categories]
    result = scoring.agreement_score(levels, matrix=rules.matrix, rollup=rules.rollup, widening=confidence_widening())
    return rules.bands.get(result.band_rank) if result else None


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
