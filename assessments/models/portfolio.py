"""Teams and their members, partners, and the agreements a team owns."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_countries.fields import CountryField

from riskboard.roles import GLOBAL_ROLES, Role

from ..choices import AgreementKind, AgreementStatus, Classification, PartnerKind, Region
from .querysets import AgreementQuerySet


class Team(models.Model):
    """The unit that owns agreements and assessments."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role, in a team or (for administrators and auditors) across all teams.

    Analysts and managers act within their team. Administrators and auditors see every team;
    their membership may name no team at all.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(team__isnull=True), name="membership_unique_global_role"
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(role__in=[r.value for r in GLOBAL_ROLES]),
                name="membership_team_required_for_team_roles",
                violation_error_message="Analysts and managers act within a team: choose one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} ({self.team or 'all teams'})"


class Partner(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    # ISO 3166-1 alpha-2; blank for bodies that belong to no single country.
    country = CountryField(blank=True)
    region = models.CharField(max_length=32, choices=Region.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # The API's sync order (api.pagination).
        indexes = [models.Index(fields=["updated_at", "id"], name="partner_sync_order")]

    def __str__(self) -> str:
        return self.name


# The range of an agreement's dates and notice period. Wider than any real agreement (the oldest
# still in force date from the 1940s; "indefinite" ones are entered with a far end date), narrow
# enough to catch a typo, and far from the calendar's ends, so the review-date arithmetic
# (``assessments.scheduling``) stays in range.
AGREEMENT_DATE_MIN = dt.date(1900, 1, 1)
AGREEMENT_DATE_MAX = dt.date(2200, 12, 31)
# Ten years: notice periods run in months, rarely past a year. The cap catches a unit mistake
# (days typed as hours, a date typed as a number) that would put the review date out of reach.
NOTICE_PERIOD_DAYS_MAX = 3650
DATE_RANGE_MESSAGE = "Choose a date from 1 January 1900 to 31 December 2200."
NOTICE_PERIOD_MESSAGE = f"Choose a notice period from 0 to {NOTICE_PERIOD_DAYS_MAX} days (ten years)."
_date_validators = [
    MinValueValidator(AGREEMENT_DATE_MIN, message=DATE_RANGE_MESSAGE),
    MaxValueValidator(AGREEMENT_DATE_MAX, message=DATE_RANGE_MESSAGE),
]


def _date_in_range(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (AGREEMENT_DATE_MIN, AGREEMENT_DATE_MAX)})


class Agreement(models.Model):
    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    partners = models.ManyToManyField(Partner, related_name="agreements")
    kind = models.CharField(max_length=32, choices=AgreementKind.choices)
    classification = models.CharField(max_length=32, choices=Classification.choices)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED)
    start_date = models.DateField(null=True, blank=True, validators=_date_validators)
    end_date = models.DateField(null=True, blank=True, validators=_date_validators)
    notice_period_days = models.PositiveIntegerField(
        default=90, help_text=f"Days of notice to terminate (0 to {NOTICE_PERIOD_DAYS_MAX}).",
        validators=[MaxValueValidator(NOTICE_PERIOD_DAYS_MAX, message=NOTICE_PERIOD_MESSAGE)],
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="agreement_end_after_start",
            ),
            models.CheckConstraint(
                condition=_date_in_range("start_date"), name="agreement_start_date_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=_date_in_range("end_date"), name="agreement_end_date_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(notice_period_days__gte=0, notice_period_days__lte=NOTICE_PERIOD_DAYS_MAX),
                name="agreement_notice_period_range", violation_error_message=NOTICE_PERIOD_MESSAGE,
            ),
        ]
        indexes = [
            models.Index(fields=["owner_team", "status"]),
            models.Index(fields=["updated_at", "id"], name="agreement_sync_order"),  # the API's sync order
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:agreement-detail", args=[self.pk])
