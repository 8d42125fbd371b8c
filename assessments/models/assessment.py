"""Assessments of an agreement against one published catalogue version, and their ratings."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from catalogue.models import SCALE_MAX, SCALE_MIN, RiskCatalogue, RiskCategory, Safeguard, level_validators

from .. import rules
from ..choices import OPEN_STATUSES, AssessmentStatus, Confidence, TransitionAction
from .portfolio import Agreement
from .querysets import AssessmentQuerySet, RatingQuerySet


class Assessment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="assessments")
    # The published catalogue version used; later versions never change this assessment.
    catalogue = models.ForeignKey(RiskCatalogue, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    as_of = models.DateField(help_text="The date the assessment describes.")
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="authored_assessments", blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviewed_assessments",
        null=True,
        blank=True,
    )
    review_comment = models.TextField(blank=True, help_text="The reviewer's latest comment.")
    # The approved assessment this one was pre-filled from, if any.
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="reassessments", null=True, blank=True
    )
    # Optimistic locking: every write bumps it; a write quoting an older value is refused.
    version = models.PositiveIntegerField(default=1)
    next_review_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="assessment_one_open_per_agreement",
                violation_error_message="This agreement already has an open assessment.",
            ),
            models.CheckConstraint(
                condition=~Q(status=AssessmentStatus.APPROVED) | Q(approved_at__isnull=False),
                name="assessment_approved_has_timestamp",
            ),
        ]
        indexes = [
            models.Index(fields=["agreement", "status", "-approved_at"]),
            models.Index(fields=["updated_at", "id"], name="assessment_sync_order"),  # the API's sync order
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} as of {self.as_of} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("assessments:assessment-detail", args=[self.pk])


def _not_above(residual: str, inherent: str) -> Q:
    """The residual level is unset, the inherent level is unset, or residual <= inherent."""
    unset = Q(**{f"{residual}__isnull": True}) | Q(**{f"{inherent}__isnull": True})
    return unset | Q(**{f"{residual}__lte": F(inherent)})


class Rating(models.Model):
    """One category's rating within an assessment.

    The four levels may be empty while the assessment is a draft (work is saved as it goes);
    submission requires every category to be fully rated.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    category = models.ForeignKey(RiskCategory, on_delete=models.PROTECT, related_name="ratings")
    inherent_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=level_validators)
    inherent_impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=level_validators)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=level_validators)
    residual_impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=level_validators)
    safeguards = models.ManyToManyField(Safeguard, related_name="ratings", blank=True)
    safeguards_other = models.TextField("Other safeguards", blank=True)
    rationale = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    confidence = models.CharField(max_length=8, choices=Confidence.choices, default=Confidence.MEDIUM)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RatingQuerySet.as_manager()

    LEVEL_FIELDS = rules.LEVEL_FIELDS

    class Meta:
        ordering = ["assessment", "category__display_order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "category"], name="rating_unique_per_category"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__isnull": True})
                    | Q(**{f"{field}__gte": SCALE_MIN, f"{field}__lte": SCALE_MAX}),
                    name=f"rating_{field}_range",
                )
                for field in rules.LEVEL_FIELDS
            ],
            # A residual level above its inherent level must be explained.
            models.CheckConstraint(
                condition=~Q(rationale="")
                | (
                    _not_above("residual_likelihood", "inherent_likelihood")
                    & _not_above("residual_impact", "inherent_impact")
                ),
                name="rating_residual_above_inherent_needs_rationale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} in {self.assessment_id}"

    @property
    def is_complete(self) -> bool:
        return rules.is_complete(rules.levels_of(self))

    @property
    def residual_exceeds_inherent(self) -> bool:
        return rules.residual_exceeds_inherent(rules.levels_of(self))


class AssessmentTransition(models.Model):
    """Who moved an assessment from one state to another, when, and why. Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=16, choices=TransitionAction.choices)
    from_status = models.CharField(max_length=16, choices=AssessmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=AssessmentStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.from_status or '-'} -> {self.to_status}"
