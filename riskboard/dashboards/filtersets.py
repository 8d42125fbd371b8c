"""The dashboard's filters: one FilterSet over the agreements a user may see, kept in the URL.

Team, partner region and kind, agreement kind and status narrow the agreements every chart counts;
the period sets the window of trends and movers. Defaults (active agreements, the last twelve
months) are left out of the URL, so that a bookmarked view stays short and means what it showed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments.choices import AgreementKind, AgreementStatus, PartnerKind, Region
from assessments.models import Agreement, Team
from riskboard.permissions import Action, visible_team_ids

ANY_STATUS = "any"
PERIODS = (
    ("30", "Last 30 days"),
    ("91", "Last 3 months"),
    ("182", "Last 6 months"),
    ("365", "Last 12 months"),
    ("730", "Last 2 years"),
)
DEFAULTS = {"status": AgreementStatus.ACTIVE.value, "period": "365"}
# The filters a per-team stored aggregate cannot honour (trends and movers come from per-team snapshots).
NOT_PER_TEAM = ("region", "partner_kind", "kind", "status")


def _teams(request):
    return assessment_selectors.teams_visible_to(user=request.user) if request else Team.objects.none()


def _with_partner(**lookups):
    return Exists(Agreement.partners.through.objects.filter(
        agreement_id=OuterRef("pk"), **{f"partner__{name}": value for name, value in lookups.items()}
    ))


class DashboardFilterSet(django_filters.FilterSet):
    """Narrows ``Agreement.objects.restrict(user)``; the region and partner kind keep an agreement
    when one of its partners matches."""

    team = django_filters.ModelChoiceFilter(
        queryset=_teams, field_name="owner_team", label="Team", empty_label="All your teams"
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="filter_partner", label="Partner region", empty_label="Any region"
    )
    partner_kind = django_filters.ChoiceFilter(
        choices=PartnerKind.choices, method="filter_partner", label="Partner kind", empty_label="Any kind"
    )
    kind = django_filters.ChoiceFilter(choices=AgreementKind.choices, label="Agreement kind", empty_label="Any kind")
    status = django_filters.ChoiceFilter(
        choices=[*AgreementStatus.choices, (ANY_STATUS, "Any status")], method="filter_status",
        label="Agreement status", empty_label=None,
    )
    period = django_filters.ChoiceFilter(
        choices=PERIODS, method="filter_period", label="Trend period", empty_label=None
    )

    class Meta:
        model = Agreement
        fields = ["team", "region", "partner_kind", "kind", "status", "period"]

    def filter_partner(self, queryset, name, value):
        field = {"region": "region", "partner_kind": "kind"}[name]
        return queryset.filter(_with_partner(**{field: value}))

    def filter_status(self, queryset, name, value):
        return queryset if value == ANY_STATUS else queryset.filter(status=value)

    def filter_period(self, queryset, name, value):
        return queryset  # the period is read by trends and movers, not by the agreements


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard counts, decided once per request.

    ``agreements`` is the user's visible agreements narrowed by every filter (what the current-state
    charts count, on the fly); ``team_ids`` is the per-team scope (None: every team) that stored
    per-team aggregates are summed over; ``team_only`` says no other filter is set, so a stored
    per-team aggregate gives the same numbers as ``agreements``.
    """

    user: object
    filterset: DashboardFilterSet
    agreements: QuerySet[Agreement]
    team_ids: frozenset[int] | None
    values: dict[str, str]
    start: dt.date
    end: dt.date

    @property
    def form(self):
        return self.filterset.form

    @property
    def period_days(self) -> int:
        return (self.end - self.start).days

    @property
    def period_label(self) -> str:
        return dict(PERIODS)[str(self.period_days)].lower()

    @property
    def status(self) -> str:
        return self.values["status"]

    @property
    def team_only(self) -> bool:
        return not any(self.values.get(name) for name in ("region", "partner_kind", "kind")) and (
            self.status == DEFAULTS["status"]
        )

    @property
    def ignored_by_trends(self) -> list[str]:
        """Labels of the filters set that per-team snapshots cannot honour."""
        fields = self.form.fields
        return [
            str(fields[name].label) for name in NOT_PER_TEAM
            if self.values.get(name) and self.values.get(name) != DEFAULTS.get(name)
        ]

    @property
    def querystring(self) -> str:
        """The filters that differ from the defaults, as a URL query (without "?"), for links."""
        return urlencode({
            name: self.values[name] for name in DashboardFilterSet.base_filters
            if self.values.get(name) and self.values[name] != DEFAULTS.get(name)
        })

    @property
    def is_filtered(self) -> bool:
        return bool(self.querystring)

    @cached_property
    def described(self) -> list[tuple[str, str]]:
        """``(label, chosen value)`` of each filter that differs from its default, for headings and CSV."""
        out = []
        for name in DashboardFilterSet.base_filters:
            value = self.values.get(name)
            if value and value != DEFAULTS.get(name):
                field = self.form.fields[name]
                if name == "team":
                    shown = next((str(team) for team in field.queryset if str(team.pk) == value), value)
                else:
                    shown = str(dict(field.choices).get(value, value))
                out.append((str(field.label), shown))
        return out


def dashboard_filters(*, user, data, today: dt.date | None = None) -> DashboardFilters:
    """The filters of a dashboard request (``data``: the query dict); invalid values are dropped
    (the form reports them) and the defaults apply."""
    merged = {**DEFAULTS, **{key: data.get(key) for key in DashboardFilterSet.base_filters if data.get(key)}}
    queryset = Agreement.objects.restrict(user, Action.VIEW)
    filterset = DashboardFilterSet(merged, queryset=queryset, request=_Request(user))
    agreements = filterset.qs
    cleaned = getattr(filterset.form, "cleaned_data", {})
    values = {name: merged[name] for name in merged if name in cleaned or name in DEFAULTS}
    for name, default in DEFAULTS.items():
        if name not in cleaned:
            values[name] = default  # an invalid value falls back to the default
    team = cleaned.get("team")
    if team is not None:
        values["team"] = str(team.pk)
    scope = visible_team_ids(user)
    team_ids = frozenset({team.pk}) if team is not None else scope
    end = today or timezone.localdate()
    start = end - dt.timedelta(days=int(values["period"]))
    if values["status"] != ANY_STATUS and "status" not in cleaned:
        agreements = agreements.filter(status=values["status"])
    return DashboardFilters(user, filterset, agreements, team_ids, values, start, end)


@dataclass(frozen=True)
class _Request:
    """What the filterset reads from a request: its user (the teams offered depend on it)."""

    user: object
