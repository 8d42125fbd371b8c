"""What needs doing: the approvals queue, reviews falling due, and an analyst's own assessments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments import services
from assessments.choices import AssessmentStatus
from assessments.models import Agreement, Assessment
from riskboard.permissions import Action

DUE_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Queue:
    """A list's first rows and how many there are in all."""

    rows: list
    total: int


def approvals_queue(*, user, agreements: QuerySet[Agreement], limit: int = 10) -> Queue:
    """Submitted assessments of ``agreements`` (already scoped to ``user``), oldest submission first;
    ``row.can_review`` says whether ``user`` may decide it (a manager of its team, not an author).
    Three queries."""
    queryset = (
        Assessment.objects.restrict(user, Action.VIEW)
        .filter(status=AssessmentStatus.SUBMITTED, agreement_id__in=agreements.values("pk"))
    )
    total = queryset.count()
    rows = list(
        queryset.select_related("agreement__owner_team").prefetch_related("authors").order_by("submitted_at", "pk")[
            :limit]
    ) if total else []
    for row in rows:
        row.can_review = services.assessment_can_review(assessment=row, user=user)
    return Queue(rows, total)


@dataclass(frozen=True)
class ReviewsDue:
    overdue: int
    due_soon: int  # within DUE_WITHIN_DAYS days, not overdue
    rows: list  # rows of assessments.selectors.agreement_list, earliest due first
    today: dt.date
    within_days: int = DUE_WITHIN_DAYS

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


def reviews_due(
    *, user, agreements: QuerySet[Agreement], limit: int = 10, today: dt.date | None = None,
    within_days: int = DUE_WITHIN_DAYS,
) -> ReviewsDue:
    """Agreements among ``agreements`` whose latest approved assessment is due for review within
    ``within_days`` days or overdue (the next review date its approval set). Two queries."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=within_days)
    due = assessment_selectors.agreement_list(user=user).filter(
        pk__in=agreements.values("pk"), next_review_date__lte=horizon
    )
    counts = due.aggregate(overdue=Count("pk", filter=Q(next_review_date__lt=today)), total=Count("pk"))
    rows = list(due.order_by("next_review_date", "reference")[:limit]) if counts["total"] else []
    return ReviewsDue(counts["overdue"], counts["total"] - counts["overdue"], rows, today, within_days)


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
