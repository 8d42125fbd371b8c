"""Reads that pages, endpoints and services need, built so that no page runs a query per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, When

from catalogue.models import SCALE_MAX, SCALE_MIN, Band, MatrixCell, RiskCategory, ScaleLevel
from riskboard.permissions import Action, team_filter

from . import scoring
from .aggregation.selectors import Freshness
from .choices import OPEN_STATUSES, AssessmentStatus
from .models import Agreement, AgreementScore, Assessment, DirtyAgreement, Partner, Rating, Team
from .scheduling import next_review_date


class CurrentAssessments(NamedTuple):
    approved: Assessment | None  # the latest approved: what the agreement's risk is now
    open: Assessment | None  # draft, returned or submitted: at most one per agreement


def agreement_current_assessments(*, agreement: Agreement) -> CurrentAssessments:
    """The agreement's latest approved assessment (by approval time, then id) and its open one,
    each with its catalogue (one query)."""
    latest = _latest_approved(agreement.pk).values("pk")[:1]
    rows = (
        Assessment.objects.filter(agreement=agreement)
        .filter(Q(status__in=OPEN_STATUSES) | Q(pk=Subquery(latest)))
        .select_related("catalogue")
    )
    current = CurrentAssessments(None, None)
    for row in rows:
        if row.status == AssessmentStatus.APPROVED:
            current = current._replace(approved=row)
        else:
            current = current._replace(open=row)
    return current


def agreement_open_assessment(*, agreement: Agreement) -> Assessment | None:
    return agreement_current_assessments(agreement=agreement).open


def agreement_last_approved_assessment(*, agreement: Agreement) -> Assessment | None:
    return agreement_current_assessments(agreement=agreement).approved


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


@dataclass(frozen=True)
class BandMatrix:
    """A catalogue's risk matrix as its pages show it: the lookup is ``scoring.Matrix`` (what scores
    use), and the bands are the catalogue's, to display.

    ``matrix`` is None when the stored cells are not a matrix scoring can use (a draft's incomplete
    grid): no pair of levels then has a band. A published catalogue's matrix is complete.
    """

    matrix: scoring.Matrix | None
    bands: Mapping[int, Band]  # by rank

    def band(self, likelihood: int | None, impact: int | None) -> Band | None:
        """The band of a pair of levels; None while either is not rated yet."""
        return self.bands.get(self.matrix.band_if_rated(likelihood, impact)) if self.matrix else None

    def worst_band(self, pairs: Iterable[tuple[int | None, int | None]]) -> Band | None:
        """The worst band of pairs of levels (``scoring.worst_rank``); pairs not rated yet do not count."""
        if self.matrix is None:
            return None
        return self.bands.get(scoring.worst_rank(self.matrix.band_if_rated(lk, im) for lk, im in pairs))

    @property
    def cells(self) -> dict[tuple[int, int], Band]:
        """``{(likelihood, impact): band}`` over the whole matrix."""
        if self.matrix is None:
            return {}
        return {pair: self.bands[rank] for pair, rank in sorted(self.matrix.cells.items())}


def catalogue_matrix(*, catalogue_id: int) -> BandMatrix:
    """The catalogue's risk matrix with its bands (one query)."""
    bands: dict[int, Band] = {}
    cells: dict[tuple[int, int], int] = {}
    for cell in MatrixCell.objects.filter(catalogue_id=catalogue_id).select_related("band"):
        bands[cell.band.rank] = cell.band
        cells[(cell.likelihood, cell.impact)] = cell.band.rank
    try:
        matrix = scoring.Matrix(cells, scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    except ValueError:
        matrix = None
    return BandMatrix(matrix, bands)


def worst_band(bands: Iterable[Band | None]) -> Band | None:
    """The most severe of ``bands`` (``scoring.worst_rank``); None stands for a rating not rated yet."""
    by_rank = {band.rank: band for band in bands if band is not None}
    return by_rank.get(scoring.worst_rank(by_rank))


def assessment_worst_residual_band(*, assessment: Assessment) -> Band | None:
    """The most severe band among the assessment's complete residual ratings (two queries)."""
    pairs = Rating.objects.filter(assessment=assessment).values_list("residual_likelihood", "residual_impact")
    return catalogue_matrix(catalogue_id=assessment.catalogue_id).worst_band(pairs)


# --- Pages -------------------------------------------------------------------------------------


def _latest_approved(agreement_ref) -> QuerySet[Assessment]:
    return Assessment.objects.filter(agreement_id=agreement_ref).approved_latest_first()


def agreement_list(*, user) -> QuerySet[Agreement]:
    """The agreements ``user`` may see, annotated for the list page, the agreement page and the API.

    The current band is read from the agreement's stored score (``AgreementScore``, recomputed
    from its latest approved assessment), never computed here. Annotations:
    ``current_assessment_id`` (latest approved), ``next_review_date``, ``open_assessment_id`` and
    ``open_assessment_status``; ``current_band_id`` and ``current_band_rank`` (the stored worst
    residual band, null before the first recompute) and ``score_dirty`` (a recompute is queued).
    The stored score itself is joined in (``agreements_stored_scores`` reads it). All are joins or
    subqueries, so filtering and sorting on them runs in the database and a page costs the same
    number of queries whatever its length.
    """
    latest = _latest_approved(OuterRef("pk"))
    open_assessment = Assessment.objects.filter(agreement_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    current_band = Band.objects.filter(catalogue_id=OuterRef("score__catalogue_id"), rank=OuterRef("current_band_rank"))
    return (
        Agreement.objects.restrict(user, Action.VIEW)
        .select_related("owner_team", "score")
        .prefetch_related("partners")
        .annotate(
            current_assessment_id=Subquery(latest.values("pk")[:1]),
            next_review_date=Subquery(latest.values("next_review_date")[:1]),
            open_assessment_id=Subquery(open_assessment.values("pk")[:1]),
            open_assessment_status=Subquery(open_assessment.values("status")[:1]),
            current_band_rank=_stored_worst_rank("score"),
            score_dirty=Exists(DirtyAgreement.objects.filter(agreement_id=OuterRef("pk"))),
        )
        .annotate(current_band_id=Subquery(current_band.values("pk")[:1]))
    )


def _stored_worst_rank(score: str) -> Case:
    """``AgreementScore.worst_band_rank`` in SQL: the highest rank whose stored count is not zero."""
    ranks = range(len(AgreementScore.BAND_FIELDS), 0, -1)
    return Case(*(When(**{f"{score}__band_{rank}__gt": 0}, then=rank) for rank in ranks), default=None)


@dataclass(frozen=True)
class StoredScore:
    """An agreement's stored score as its pages show it: the bands, and how fresh it is.

    ``band`` is the catalogue roll-up's band (what partner and portfolio scores count),
    ``worst_band`` the worst residual band among its categories. ``expected`` says the agreement
    has an approved assessment, so a score should exist: without one it is "not computed yet".
    """

    score: AgreementScore | None
    band: Band | None
    worst_band: Band | None
    freshness: Freshness
    expected: bool

    @property
    def not_computed(self) -> bool:
        return self.score is None and self.expected


def _stored_score(
    score: AgreementScore | None, *, dirty: bool, current_assessment_id: int | None, bands: dict[tuple[int, int], Band]
) -> StoredScore:
    """A recompute is pending when the agreement is marked dirty, and also when the stored score is
    not of its latest approved assessment (none stored yet, or an approval not yet counted)."""
    behind = (score.assessment_id if score else None) != current_assessment_id
    return StoredScore(
        score=score,
        band=bands.get((score.catalogue_id, score.band_rank)) if score else None,
        worst_band=bands.get((score.catalogue_id, score.worst_band_rank)) if score else None,
        freshness=Freshness(score.computed_at if score else None, dirty or behind),
        expected=current_assessment_id is not None,
    )


def _bands_by_catalogue(catalogue_ids: Iterable[int]) -> dict[tuple[int, int], Band]:
    """``{(catalogue_id, rank): band}`` for the given catalogues (one query, none if there are none)."""
    ids = set(catalogue_ids)
    return {(b.catalogue_id, b.rank): b for b in Band.objects.filter(catalogue_id__in=ids)} if ids else {}


def _joined_score(agreement: Agreement) -> AgreementScore | None:
    try:
        return agreement.score
    except AgreementScore.DoesNotExist:
        return None


def agreements_stored_scores(*, agreements: Iterable[Agreement]) -> Freshness | None:
    """Set ``stored`` (a ``StoredScore``) on each of ``agreements``, rows of ``agreement_list``
    (one query, for the bands).

    Returns their freshness together: computed at the oldest of their ``computed_at`` (every score
    shown is at least that fresh), pending if any is; None when none has or awaits a score.
    """
    rows = list(agreements)
    bands = _bands_by_catalogue(s.catalogue_id for s in map(_joined_score, rows) if s)
    for row in rows:
        row.stored = _stored_score(
            _joined_score(row), dirty=row.score_dirty, current_assessment_id=row.current_assessment_id, bands=bands
        )
    shown = [row.stored for row in rows if row.stored.score is not None or row.stored.freshness.pending]
    if not shown:
        return None
    times = [s.freshness.computed_at for s in shown if s.freshness.computed_at is not None]
    return Freshness(min(times, default=None), any(s.freshness.pending for s in shown))


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
