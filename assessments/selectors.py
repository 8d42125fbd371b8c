"""Reads that pages, endpoints and services need, built so that no page runs a query per row."""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from catalogue.models import Band, MatrixCell, RiskCategory, ScaleLevel
from riskboard.permissions import Action, team_filter

from .choices import OPEN_STATUSES, AssessmentStatus
from .models import Agreement, Assessment, Partner, Rating, Team
from .scheduling import next_review_date


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


def assessment_next_review_date(*, assessment: Assessment, approved_on: dt.date) -> dt.date:
    """When the assessment, approved on ``approved_on``, is next due for review (three queries).

    From its worst residual band and settings.RISKBOARD_REVIEW_MONTHS, capped by the agreement's
    end date minus its notice period. The approval service sets it; the approval page previews it.
    """
    worst = assessment_worst_residual_band(assessment=assessment)
    agreement = assessment.agreement
    return next_review_date(
        approved_on=approved_on,
        worst_band_code=worst.code if worst else "",
        months_by_band=settings.RISKBOARD_REVIEW_MONTHS,
        agreement_end=agreement.end_date,
        notice_period_days=agreement.notice_period_days,
    )


def catalogue_matrix(*, catalogue_id: int) -> dict[tuple[int, int], Band]:
    """The catalogue's risk matrix as a grid: ``{(likelihood, impact): band}`` (one query)."""
    return {
        (cell.likelihood, cell.impact): cell.band
        for cell in MatrixCell.objects.filter(catalogue_id=catalogue_id).select_related("band")
    }


def assessment_worst_residual_band(*, assessment: Assessment) -> Band | None:
    """The most severe band among the assessment's complete residual ratings (two queries)."""
    cells = catalogue_matrix(catalogue_id=assessment.catalogue_id)
    worst: Band | None = None
    pairs = Rating.objects.filter(
        assessment=assessment, residual_likelihood__isnull=False, residual_impact__isnull=False
    ).values_list("residual_likelihood", "residual_impact")
    for pair in pairs:
        band = cells.get(pair)
        if band is not None and (worst is None or band.rank > worst.rank):
            worst = band
    return worst


# --- Pages -------------------------------------------------------------------------------------


def _latest_approved(agreement_ref) -> QuerySet[Assessment]:
    return Assessment.objects.filter(agreement_id=agreement_ref, status=AssessmentStatus.APPROVED).order_by(
        "-approved_at", "-id"
    )


def _worst_residual_cells(assessment_ref) -> QuerySet[MatrixCell]:
    """Cells of the assessment's matrix hit by one of its residual ratings, most severe first."""
    hit = Rating.objects.filter(
        assessment_id=OuterRef(assessment_ref), residual_likelihood=OuterRef("likelihood"),
        residual_impact=OuterRef("impact"),
    )
    return (
        MatrixCell.objects.filter(catalogue__assessments__id=assessment_ref)
        .filter(Exists(hit))
        .order_by("-band__rank")
    )


def agreement_list(*, user) -> QuerySet[Agreement]:
    """The agreements ``user`` may see, annotated for the list page and the API.

    Annotations: ``current_assessment_id`` (latest approved), ``current_band_id`` and
    ``current_band_rank`` (its worst residual band), ``next_review_date``, ``open_assessment_id``
    and ``open_assessment_status``. All are subqueries, so filtering and sorting on them runs in
    the database and a page costs the same number of queries whatever its length.
    """
    latest = _latest_approved(OuterRef("pk"))
    open_assessment = Assessment.objects.filter(agreement_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    worst = _worst_residual_cells(OuterRef("current_assessment_id"))
    return (
        Agreement.objects.restrict(user, Action.VIEW)
        .select_related("owner_team")
        .prefetch_related("partners")
        .annotate(
            current_assessment_id=Subquery(latest.values("pk")[:1]),
            next_review_date=Subquery(latest.values("next_review_date")[:1]),
            open_assessment_id=Subquery(open_assessment.values("pk")[:1]),
            open_assessment_status=Subquery(open_assessment.values("status")[:1]),
        )
        .annotate(
            current_band_id=Subquery(worst.values("band_id")[:1]),
            current_band_rank=Subquery(worst.values("band__rank")[:1]),
        )
    )


def bands_by_id(*, ids) -> dict[int, Band]:
    ids = {i for i in ids if i is not None}
    return Band.objects.in_bulk(ids) if ids else {}


def band_codes() -> list[tuple[str, str]]:
    """``(code, label)`` of the bands of published catalogues, least severe first, without repeats."""
    seen: dict[str, str] = {}
    for code, label in Band.objects.filter(catalogue__status="published").order_by("rank", "code").values_list(
        "code", "label"
    ):
        seen.setdefault(code, label)
    return list(seen.items())


def partners_visible_to(*, user) -> QuerySet[Partner]:
    """Partners of the agreements ``user`` may see (partner names are not shown to other teams)."""
    visible = Agreement.objects.restrict(user, Action.VIEW).values("pk")
    return Partner.objects.filter(Exists(Agreement.partners.through.objects.filter(
        partner_id=OuterRef("pk"), agreement_id__in=visible
    )))


def teams_visible_to(*, user) -> QuerySet[Team]:
    """The teams whose agreements ``user`` may see: all of them for administrators and auditors."""
    filters = team_filter(user, Action.VIEW, "pk")
    return Team.objects.none() if filters is None else Team.objects.filter(**filters)


def agreement_history(*, agreement: Agreement) -> QuerySet[Assessment]:
    """Every assessment of the agreement, newest first, with what the history table shows."""
    return (
        Assessment.objects.filter(agreement=agreement)
        .select_related("catalogue", "reviewer")
        .prefetch_related("authors")
        .order_by("-as_of", "-id")
    )


def assessment_for_page(*, user, action: Action = Action.VIEW) -> QuerySet[Assessment]:
    """Assessments ``user`` may take ``action`` on, with what every assessment page shows."""
    return Assessment.objects.restrict(user, action).select_related(
        "agreement__owner_team", "catalogue", "reviewer", "previous"
    )


def catalogue_levels(*, catalogue_id: int) -> dict[str, dict[int, ScaleLevel]]:
    """``{scale: {value: level}}`` for the catalogue's likelihood and impact scales (one query)."""
    levels: dict[str, dict[int, ScaleLevel]] = {}
    for level in ScaleLevel.objects.filter(catalogue_id=catalogue_id).order_by("scale", "value"):
        levels.setdefault(level.scale, {})[level.value] = level
    return levels


def assessment_transitions(*, assessment: Assessment):
    return assessment.transitions.select_related("actor").order_by("created_at", "id")
