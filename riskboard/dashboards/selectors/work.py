"""What needs doing: the approvals queue, reviews falling due, and an analyst's own assessments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Window
from django.utils import timezone

from assessments import services
from assessments.choices import OPEN_STATUSES, AssessmentStatus
from assessments.models import Agreement, AgreementScore, Assessment
from riskboard.permissions import Action

DUE_WITHIN_DAYS = 30
REVIEW_ORDER = ("assessment__next_review_date", "agreement__reference")


@dataclass(frozen=True)
class Queue:
    """A list's first rows and how many there are in all."""

    rows: list
    total: int


def approvals_queue(*, user, agreements: QuerySet[Agreement], limit: int = 10) -> Queue:
    """Submitted assessments of ``agreements`` (already scoped to ``user``), oldest submission first;
    ``row.can_review`` says whether ``user`` may decide it (a manager of its team, not an author).
    Two queries: the rows, each counting them all (a window over every match, before the limit),
    and their authors."""
    queryset = (
        Assessment.objects.restrict(user, Action.VIEW)
        .filter(status=AssessmentStatus.SUBMITTED, agreement_id__in=agreements.values("pk"))
    )
    rows = list(
        queryset.select_related("agreement__owner_team").prefetch_related("authors")
        .annotate(matching=Window(Count("pk"))).order_by("submitted_at", "pk")[:limit]
    )
    for row in rows:
        row.can_review = services.assessment_can_review(assessment=row, user=user)
    return Queue(rows, rows[0].matching if rows else 0)


@dataclass(frozen=True)
class ReviewsDue:
    overdue: int
    due_soon: int  # within DUE_WITHIN_DAYS days, not overdue
    rows: list  # DueAgreement rows, earliest due first
    today: dt.date
    within_days: int = DUE_WITHIN_DAYS

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


def reviews_due(
    *, user, agreements: QuerySet[Agreement], limit: int = 10, today: dt.date | None = None,
    within_days: int = DUE_WITHIN_DAYS,
) -> ReviewsDue:
    """Agreements among ``agreements`` (already scoped to ``user``) whose current assessment is due
    for review within ``within_days`` days or overdue: the next review date set when it was
    approved. The current assessment is the one their stored score names, their latest approved
    (a join, not a subquery per agreement). Rows are ``DueAgreement``. Two queries."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=within_days)
    due = AgreementScore.objects.filter(
        agreement_id__in=agreements.values("pk"), assessment__next_review_date__lte=horizon
    )
    counts = due.aggregate(overdue=Count("pk", filter=Q(assessment__next_review_date__lt=today)), total=Count("pk"))
    return ReviewsDue(counts["overdue"], counts["total"] - counts["overdue"], review_rows(due, limit=limit), today,
                      within_days)


def reviews_due_known(*, overdue: int, due_soon: int, candidates: list[int], limit: int = 10,
                      today: dt.date | None = None, within_days: int = DUE_WITHIN_DAYS) -> ReviewsDue:
    """``reviews_due`` from what is already known (the teams' dashboard summaries): the counts, and
    agreement ids among which the earliest due are (one query, by key)."""
    # Read even when there is no candidate (no id is 0): the page costs the same queries whatever the data.
    due = AgreementScore.objects.filter(agreement_id__in=candidates or [0])
    return ReviewsDue(overdue, due_soon, review_rows(due, limit=limit), today or timezone.localdate(), within_days)


@dataclass(frozen=True)
class DueAgreement:
    """An agreement due for review, as the lists show it."""

    pk: int
    reference: str
    title: str
    team_name: str
    next_review_date: dt.date
    open_assessment_id: int | None
    open_assessment_status: str | None


def review_rows(due: QuerySet[AgreementScore], *, limit: int) -> list[DueAgreement]:
    """The first ``limit`` agreements of the stored scores ``due``, earliest review first, with
    their next review date and open assessment (one query, of the columns shown)."""
    open_assessment = Assessment.objects.filter(agreement_id=OuterRef("agreement_id"), status__in=OPEN_STATUSES)
    rows = (
        due.annotate(open_id=Subquery(open_assessment.values("pk")[:1]),
                     open_status=Subquery(open_assessment.values("status")[:1]))
        .order_by(*REVIEW_ORDER)
        .values_list("agreement_id", "agreement__reference", "agreement__title", "agreement__owner_team__name",
                     "assessment__next_review_date", "open_id", "open_status")[:limit]
    )
    # Read even when none is due: the same queries whatever the data.
    return [DueAgreement(*row) for row in rows]


# --- An analyst's home -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyWork:
    returned: list[Assessment]  # returned to the user, with the reviewer's comment
    drafts: list[Assessment]
    submitted: list[Assessment]  # the user's, awaiting a manager


def my_assessments(*, user) -> MyWork:
    """Open assessments ``user`` worked on, in the teams where they may still edit (one query)."""
    rows = list(
        Assessment.objects.restrict(user, Action.EDIT)
        .filter(authors=user, status__in=[AssessmentStatus.DRAFT, AssessmentStatus.RETURNED,
                                          AssessmentStatus.SUBMITTED])
        .select_related("agreement", "reviewer")
        .order_by("-updated_at", "-pk")
    )
    return MyWork(
        returned=[a for a in rows if a.status == AssessmentStatus.RETURNED],
        drafts=[a for a in rows if a.status == AssessmentStatus.DRAFT],
        submitted=[a for a in rows if a.status == AssessmentStatus.SUBMITTED],
    )


def recently_approved(*, user, limit: int = 10) -> list[Assessment]:
    """The latest approvals in the teams ``user`` may see (one query)."""
    return list(
        Assessment.objects.restrict(user, Action.VIEW).filter(status=AssessmentStatus.APPROVED)
        .select_related("agreement", "reviewer").order_by("-approved_at", "-pk")[:limit]
    )


def unassessed_count(*, user) -> int:
    """Agreements of the user's teams with no assessment at all, approved or open (one query)."""
    return Agreement.objects.restrict(user, Action.VIEW).filter(assessments__isnull=True).count()
