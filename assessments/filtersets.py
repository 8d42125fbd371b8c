"""One FilterSet per list, shared by the HTML pages and the API (STYLE.md, after NetBox)."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q

from catalogue.models import Band

from . import selectors
from .choices import OPEN_STATUSES, AgreementStatus, AssessmentStatus
from .models import Agreement, Partner, Team

NO_OPEN_ASSESSMENT = "none"


def _partners(request):
    return selectors.partners_visible_to(user=request.user) if request else Partner.objects.none()


def _teams(request):
    return selectors.teams_visible_to(user=request.user) if request else Team.objects.none()


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorting where rows without a value (no approved assessment yet) always come last."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = self.param_map[param.lstrip("-")]
        expression = F(name)
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param.lstrip("-") in self.param_map]
        # A unique key last, so pages never repeat or skip a row.
        return qs.order_by(*ordering, "reference") if ordering else qs


class AgreementFilterSet(django_filters.FilterSet):
    """Search, filter and sort agreements.

    Expects the queryset of ``selectors.agreement_list`` (it filters and sorts on its
    annotations) and a request whose user decides which partners and teams are offered.
    """

    q = django_filters.CharFilter(method="search", label="Search")
    partner = django_filters.ModelChoiceFilter(
        queryset=_partners, field_name="partners", label="Partner", empty_label="Any partner"
    )
    status = django_filters.ChoiceFilter(
        choices=AgreementStatus.choices, label="Agreement status", empty_label="Any status"
    )
    team = django_filters.ModelChoiceFilter(
        queryset=_teams, field_name="owner_team", label="Team", empty_label="Any team"
    )
    band = django_filters.ChoiceFilter(
        choices=selectors.band_codes, method="filter_band", label="Current band", empty_label="Any band"
    )
    assessment = django_filters.ChoiceFilter(
        choices=[
            (AssessmentStatus.DRAFT, "Draft in progress"),
            (AssessmentStatus.SUBMITTED, "Awaiting review"),
            (AssessmentStatus.RETURNED, "Returned to draft"),
            (NO_OPEN_ASSESSMENT, "No open assessment"),
        ],
        method="filter_assessment",
        label="Open assessment",
        empty_label="Any",
    )
    ordering = NullsLastOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("owner_team__name", "team"),
            ("status", "status"),
            ("end_date", "end_date"),
            ("current_band_rank", "band"),
            ("next_review_date", "next_review"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Agreement
        fields = ["q", "partner", "status", "team", "band", "assessment"]

    def search(self, queryset, name, value):
        """Reference, title or partner name contains ``value`` (no join, so no duplicate rows)."""
        value = value.strip()
        if not value:
            return queryset
        with_partner = Agreement.partners.through.objects.filter(partner__name__icontains=value)
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(pk__in=with_partner.values("agreement_id"))
        )

    def filter_band(self, queryset, name, value):
        return queryset.filter(current_band_id__in=Band.objects.filter(code=value).values("pk"))

    def filter_assessment(self, queryset, name, value):
        if value == NO_OPEN_ASSESSMENT:
            return queryset.filter(open_assessment_id__isnull=True)
        if value in {s.value for s in OPEN_STATUSES}:
            return queryset.filter(open_assessment_status=value)
        return queryset
