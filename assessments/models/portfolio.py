"""Teams and their members, partners, and the agreements a team owns."""

from django.conf import settings
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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    partners = models.ManyToManyField(Partner, related_name="agreements")
    kind = models.CharField(max_length=32, choices=AgreementKind.choices)
    classification = models.CharField(max_length=32, choices=Classification.choices)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    notice_period_days = models.PositiveIntegerField(default=90, help_text="Days of notice to terminate.")
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
        ]
        indexes = [models.Index(fields=["owner_team", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:agreement-detail", args=[self.pk])
