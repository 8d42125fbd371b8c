"""Reads that pages, endpoints and services need, built so that no page runs a query per row."""

from django.db.models import Prefetch, QuerySet

from catalogue.models import Band, MatrixCell, RiskCategory

from .choices import OPEN_STATUSES, AssessmentStatus
from .models import Agreement, Assessment, Rating


def agreement_open_assessment(*, agreement: Agreement) -> Assessment | None:
    return Assessment.objects.filter(agreement=agreement, status__in=OPEN_STATUSES).first()


def agreement_last_approved_assessment(*, agreement: Agreement) -> Assessment | None:
    return (
        Assessment.objects.filter(agreement=agreement, status=AssessmentStatus.APPROVED)
        .order_by("-approved_at", "-id")
        .first()
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
    cells = {
        (cell.likelihood, cell.impact): cell.band
        for cell in MatrixCell.objects.filter(catalogue_id=assessment.catalogue_id).select_related("band")
    }
    worst: Band | None = None
    pairs = Rating.objects.filter(
        assessment=assessment, residual_likelihood__isnull=False, residual_impact__isnull=False
    ).values_list("residual_likelihood", "residual_impact")
    for pair in pairs:
        band = cells.get(pair)
        if band is not None and (worst is None or band.rank > worst.rank):
            worst = band
    return worst
