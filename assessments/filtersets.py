"""One FilterSet per list, shared by the HTML pages and the API (STYLE.md, after NetBox)."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import F, Q

from catalogue.models import Band
from riskboard.filters import UtcIsoDateTimeFilter, UtcIsoDateTimeFromToRangeFilter
from riskboard.permissions import Action

from . import selectors
from .choices import (
    OPEN_STATUSES,
    AgreementKind,
    AgreementStatus,
    AssessmentStatus,
    Classification,
    PartnerKind,
    Region,
)
from .models import Agreement, Assessment, Partner, Team

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


class AgreementFilterForm(forms.Form):
    """The agreements page's filter form: the partner is chosen by id (the combobox keeps it in a
    hidden field) or typed as part of a name (the plain form, without JavaScript)."""

    def clean(self):
        cleaned = super().clean()
        if self.has_error("partner"):
            # The hidden id names no partner the user may see (edited URL, lost access): say so at
            # the text box the user can act on.
            del self.errors["partner"]
            self.add_error("partner_name", "Choose a partner from the list, or type part of a name.")
            cleaned.pop("partner", None)
            return cleaned
        partner, typed = cleaned.get("partner"), (cleaned.get("partner_name") or "").strip()
        if partner is not None and typed and typed.casefold() != partner.name.casefold():
            cleaned["partner"] = None  # a name typed over the chosen one (without JavaScript) wins
        elif partner is not None:
            cleaned["partner_name"] = ""  # the chosen partner: its id filters, not its name
        return cleaned


def _with_partner_named(text: str) -> Q:
    """Agreements with a partner whose name contains ``text`` (any case); a subquery, not a join,
    so no duplicate rows."""
    with_partner = Agreement.partners.through.objects.filter(partner__name__icontains=text)
    return Q(pk__in=with_partner.values("agreement_id"))


class AgreementFilterSet(django_filters.FilterSet):
    """Search, filter and sort agreements.

    Expects the queryset of ``selectors.agreement_list`` (it filters and sorts on its
    annotations) and a request whose user decides which partners and teams are offered.
    """

    q = django_filters.CharFilter(method="search", label="Search")
    # The partner chooser: never a select of every partner (there may be thousands). A hidden id,
    # set by the combobox (static/js/combobox.js) over ``assessments:partner-search``, and the
    # text box it enhances, which alone filters by part of a name.
    partner = django_filters.ModelChoiceFilter(
        queryset=_partners, field_name="partners", label="Partner", widget=forms.HiddenInput
    )
    partner_name = django_filters.CharFilter(method="filter_partner_name", label="Partner", max_length=200)
    status = django_filters.ChoiceFilter(
        choices=AgreementStatus.choices, label="Agreement status", empty_label="Any status"
    )
    team = django_filters.ModelChoiceFilter(
        queryset=_teams, field_name="owner_team", label="Team", empty_label="Any team"
    )
    band = django_filters.ChoiceFilter(
        choices=selectors.band_codes, method="filter_band", label="Band", empty_label="Any band"
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
            ("headline_band_rank", "band"),
            ("next_review_date", "next_review"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Agreement
        form = AgreementFilterForm
        fields = ["q", "partner", "partner_name", "status", "team", "band", "assessment"]

    def search(self, queryset, name, value):
        """Reference, title or partner name contains ``value`` (no join, so no duplicate rows)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value) | _with_partner_named(value))

    def filter_partner_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(_with_partner_named(value)) if value else queryset

    def filter_band(self, queryset, name, value):
        """The headline band (``agreement_list``'s ``headline_band_id``), as the list shows it."""
        return queryset.filter(headline_band_id__in=Band.objects.filter(code=value).values("pk"))

    def filter_assessment(self, queryset, name, value):
        if value == NO_OPEN_ASSESSMENT:
            return queryset.filter(open_assessment_id__isnull=True)
        if value in {s.value for s in OPEN_STATUSES}:
            return queryset.filter(open_assessment_status=value)
        return queryset


# --- The API's FilterSets (assessments.api): the pages' where they fit, plus what sync clients need ----

UPDATED_SINCE_HELP = "Only rows changed at or after this time (ISO 8601, e.g. 2026-01-31T09:00:00Z). Inclusive."


def _agreements(request):
    return Agreement.objects.restrict(request.user, Action.VIEW) if request else Agreement.objects.none()


class AgreementApiFilterSet(AgreementFilterSet):
    """The agreements page's filters (search, partner, status, team, band (the headline band), open assessment),
    plus kind, classification, score range, date ranges and ``updated_since``. Ordering is the
    API's own (cursor pagination), so the page's sorting is left out."""

    ordering = None
    partner_name = None  # the page's no-JavaScript fallback; API clients filter by id
    # Ids typed in the browsable API's filter form, never a select of every partner.
    partner = django_filters.ModelChoiceFilter(
        queryset=_partners, field_name="partners", widget=forms.NumberInput, help_text="Partner id."
    )
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices)
    classification = django_filters.ChoiceFilter(choices=Classification.choices)
    score_min = django_filters.NumberFilter(
        method="filter_score_min", min_value=0, max_value=25,
        help_text="Stored residual score at least this (1.00 to 25.00).",
    )
    score_max = django_filters.NumberFilter(
        method="filter_score_max", min_value=0, max_value=25,
        help_text="Stored residual score at most this (1.00 to 25.00).",
    )
    start_date = django_filters.DateFromToRangeFilter(help_text="start_date_after / start_date_before, inclusive.")
    end_date = django_filters.DateFromToRangeFilter(help_text="end_date_after / end_date_before, inclusive.")
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     help_text=UPDATED_SINCE_HELP)

    class Meta(AgreementFilterSet.Meta):
        form = forms.Form
        fields = [*(name for name in AgreementFilterSet.Meta.fields if name != "partner_name"),
                  "kind", "classification", "score_min", "score_max",
                  "start_date", "end_date", "updated_since"]

    # The page's filter methods, with the types the API's schema documents.
    def filter_band(self, queryset, name, value: str):
        return super().filter_band(queryset, name, value)

    def filter_assessment(self, queryset, name, value: str):
        return super().filter_assessment(queryset, name, value)

    def filter_score_min(self, queryset, name, value):
        return queryset.filter(score__score_c__gte=int(Decimal(value) * 100))

    def filter_score_max(self, queryset, name, value):
        return queryset.filter(score__score_c__lte=int(Decimal(value) * 100))


class PartnerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search",
                                  help_text="Name contains this (any case).")
    kind = django_filters.ChoiceFilter(choices=PartnerKind.choices)
    region = django_filters.ChoiceFilter(choices=Region.choices)
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact",
                                        help_text="ISO 3166-1 alpha-2 code, e.g. FR.")
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     help_text=UPDATED_SINCE_HELP)

    class Meta:
        model = Partner
        fields = ["q", "kind", "region", "country", "updated_since"]


class AssessmentFilterSet(django_filters.FilterSet):
    # Ids typed in the browsable API's filter form: a select would list every agreement and partner.
    agreement = django_filters.ModelChoiceFilter(queryset=_agreements, widget=forms.NumberInput,
                                                 help_text="Agreement id.")
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    team = django_filters.ModelChoiceFilter(queryset=_teams, field_name="agreement__owner_team",
                                            help_text="Team id.")
    partner = django_filters.ModelChoiceFilter(queryset=_partners, field_name="agreement__partners",
                                               widget=forms.NumberInput, help_text="Partner id.")
    catalogue = django_filters.NumberFilter(field_name="catalogue_id", help_text="Catalogue version id.")
    as_of = django_filters.DateFromToRangeFilter(help_text="as_of_after / as_of_before, inclusive.")
    approved_at = UtcIsoDateTimeFromToRangeFilter(
        help_text="approved_at_after / approved_at_before (ISO 8601), inclusive."
    )
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     help_text=UPDATED_SINCE_HELP)

    class Meta:
        model = Assessment
        fields = ["agreement", "status", "team", "partner", "catalogue", "as_of", "approved_at", "updated_since"]
