"""Reads of agreements for the list and agreement pages: what each shows, and what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When

from catalogue.cache import catalogue_version_cached
from catalogue.models import Band
from riskboard.permissions import Action, team_filter, visible_team_ids

from ..choices import OPEN_STATUSES, AssessmentStatus
from ..models import Agreement, AgreementScore, Assessment, DirtyAgreement, Partner, Team, TeamAgreementCount
from .scores import Freshness


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


def _latest_approved(agreement_ref) -> QuerySet[Assessment]:
    return Assessment.objects.filter(agreement_id=agreement_ref).approved_latest_first()


def agreement_list(*, user) -> QuerySet[Agreement]:
    """The agreements ``user`` may see, annotated for the list page, the agreement page and the API.

    Bands are read from the agreement's stored score (``AgreementScore``, recomputed from its
    latest approved assessment), never computed here. Annotations: ``current_assessment_id``
    (latest approved), ``next_review_date``, ``open_assessment_id`` and ``open_assessment_status``;
    ``headline_band_rank`` and ``headline_band_id`` (the headline band, ``AgreementScore.band_rank``:
    what the list shows as "Band", filters and sorts by, and what partner and portfolio scores
    count), ``worst_category_band_rank`` (the worst residual band among its categories; both null
    before the first recompute) and ``score_dirty`` (a recompute is queued).
    The stored score itself is joined in (``agreements_stored_scores`` reads it). All are joins or
    subqueries, so filtering and sorting on them runs in the database and a page costs the same
    number of queries whatever its length.
    """
    latest = _latest_approved(OuterRef("pk"))
    open_assessment = Assessment.objects.filter(agreement_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    headline_band = Band.objects.filter(catalogue_id=OuterRef("score__catalogue_id"), rank=OuterRef("score__band_rank"))
    return (
        Agreement.objects.restrict(user, Action.VIEW)
        .select_related("owner_team", "score")
        .prefetch_related("partners")
        .annotate(
            current_assessment_id=Subquery(latest.values("pk")[:1]),
            next_review_date=Subquery(latest.values("next_review_date")[:1]),
            open_assessment_id=Subquery(open_assessment.values("pk")[:1]),
            open_assessment_status=Subquery(open_assessment.values("status")[:1]),
            headline_band_rank=F("score__band_rank"),
            headline_band_id=Subquery(headline_band.values("pk")[:1]),
            worst_category_band_rank=_stored_worst_rank("score"),
            score_dirty=Exists(DirtyAgreement.objects.filter(agreement_id=OuterRef("pk"))),
        )
    )


def agreement_count_visible(*, user) -> int:
    """How many agreements ``user`` may see: what ``agreement_list(user=user).count()`` gives, read
    from each team's stored count (rows appended by triggers on the agreements table, folded by
    the worker), one query that reads a few rows per team, whatever the number of agreements."""
    team_ids = visible_team_ids(user, Action.VIEW)
    rows = TeamAgreementCount.objects.all()
    if team_ids is not None:
        if not team_ids:
            return 0
        rows = rows.filter(team_id__in=sorted(team_ids))
    return rows.aggregate(n=Sum("agreements"))["n"] or 0


def _stored_worst_rank(score: str) -> Case:
    """``AgreementScore.worst_band_rank`` in SQL: the highest rank whose stored count is not zero."""
    ranks = range(len(AgreementScore.BAND_FIELDS), 0, -1)
    return Case(*(When(**{f"{score}__band_{rank}__gt": 0}, then=rank) for rank in ranks), default=None)


@dataclass(frozen=True)
class StoredScore:
    """An agreement's stored score as its pages show it: the bands, and how fresh it is.

    ``band`` is the headline band, the catalogue roll-up's band (``AgreementScore.band_rank``:
    what partner and portfolio scores count), shown as "Band"; ``worst_band`` the worst residual
    band among its categories, shown as "Worst category". ``expected`` says the agreement
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


def bands_by_catalogue(catalogue_ids: Iterable[int]) -> dict[tuple[int, int], Band]:
    """``{(catalogue_id, rank): band}`` for the given catalogues (scores are only made with published
    versions, whose bands are frozen: read from the cache, one query per version not cached yet)."""
    out = {}
    for catalogue_id in set(catalogue_ids):
        bands = catalogue_version_cached("bands", catalogue_id, lambda c=catalogue_id: list(
            Band.objects.filter(catalogue_id=c)))
        out.update({(catalogue_id, band.rank): band for band in bands})
    return out


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
    bands = bands_by_catalogue(s.catalogue_id for s in map(_joined_score, rows) if s)
    for row in rows:
        row.stored = _stored_score(
            _joined_score(row), dirty=row.score_dirty, current_assessment_id=row.current_assessment_id, bands=bands
        )
    shown = [row.stored for row in rows if row.stored.score is not None or row.stored.freshness.pending]
    if not shown:
        return None
    times = [s.freshness.computed_at for s in shown if s.freshness.computed_at is not None]
    return Freshness(min(times, default=None), any(s.freshness.pending for s in shown))


def partners_visible_to(*, user) -> QuerySet[Partner]:
    """Partners of the agreements ``user`` may see (partner names are not shown to other teams)."""
    visible = Agreement.objects.restrict(user, Action.VIEW).values("pk")
    return Partner.objects.filter(Exists(Agreement.partners.through.objects.filter(
        partner_id=OuterRef("pk"), agreement_id__in=visible
    )))


def partner_search(*, user, text: str, limit: int) -> list[dict]:
    """At most ``limit`` partners ``user`` may see whose name contains ``text`` (any case; every
    partner when blank), names starting with it first, then by name: ``{"id", "name", "country"}``."""
    partners = partners_visible_to(user=user)
    if text:
        partners = partners.filter(name__icontains=text).annotate(
            prefix_rank=Case(When(name__istartswith=text, then=0), default=1)
        ).order_by("prefix_rank", "name", "pk")
    else:
        partners = partners.order_by("name", "pk")
    return list(partners.values("id", "name", "country")[:limit])


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
