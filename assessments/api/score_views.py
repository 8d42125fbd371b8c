"""Stored scores, read only: agreements, partners, categories and the portfolio, as the pages show
them to the same caller. Partner, category and portfolio numbers count the agreements of the
caller's teams only (``visible_team_ids``: a token's team restriction included)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from api.views import ApiViewMixin, ReadOnlyViewSet
from riskboard.filters import UtcIsoDateTimeFilter
from riskboard.permissions import Action, visible_team_ids

from ..filtersets import AgreementApiFilterSet
from ..models import Agreement, ScoreLevel, Team
from ..selectors import scoped_tally_rows
from ..selectors.scores import history_start
from . import score_selectors as selectors
from .score_serializers import (
    AgreementScoreSerializer,
    CategoryScoreSerializer,
    PartnerScoreSerializer,
    PortfolioScoreSerializer,
    ScoreListQuerySerializer,
    ScoreQuerySerializer,
)

NO_AGREEMENT_AS_OF = ("Agreement scores have no daily snapshots: ask /assessments/?agreement=<id>&status=approved "
                      "for an agreement's past assessments, or as_of on partners, categories or the portfolio.")


def _column(name):
    return (name, lambda row: row[name])


# --- Agreements ----------------------------------------------------------------------------------


class AgreementScoreFilterSet(AgreementApiFilterSet):
    """The agreements API's filters (the agreements page's, plus kind, classification, score range
    and dates); ``updated_since`` selects by when the score was computed."""

    updated_since = UtcIsoDateTimeFilter(
        field_name="computed_at", lookup_expr="gte",
        help_text="Only scores computed at or after this time (ISO 8601, e.g. 2026-01-31T09:00:00Z). Inclusive.",
    )


AGREEMENT_CSV = [
    ("agreement_id", lambda row: row["agreement"]["id"]),
    ("reference", lambda row: row["agreement"]["reference"]),
    ("status", lambda row: row["agreement"]["status"]),
    ("team", lambda row: row["team"]["slug"]),
    *(_column(name) for name in (
        "assessment", "catalogue", "counted", "ratings", "score", "score_low", "score_high", "inherent_score", "band",
        "band_low", "band_high", "worst_band", "fingerprint", "computed_at", "pending",
    )),
]


@extend_schema_view(
    list=extend_schema(
        summary="Agreement scores",
        description="The stored score of every agreement of your teams that has one, with its headline and worst "
        "category bands, range, fingerprint and freshness, as the agreement pages show them. The agreements "
        "API's filters apply. Ordered by `computed_at` (the sync order: `resume` returns the scores recomputed "
        "since); `?format=csv` streams every row. `as_of` is not accepted here (400): agreement scores have no "
        "daily snapshots.",
    ),
    retrieve=extend_schema(summary="One agreement's score",
                           description="404 when the agreement is not yours to see, or has no stored score yet."),
)
class AgreementScoreViewSet(ReadOnlyViewSet):
    serializer_class = AgreementScoreSerializer
    filterset_class = AgreementScoreFilterSet
    ordering_fields = {"computed_at": "computed_at", "reference": "reference"}
    sync_field = "computed_at"
    csv_columns = AGREEMENT_CSV

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "as_of" in request.query_params:
            raise exceptions.ValidationError({"as_of": [NO_AGREEMENT_AS_OF]})

    def get_queryset(self):
        return selectors.agreement_scores_for_api(user=self.request.user).select_related("owner_team", "score")

    def rows(self, objects):
        return selectors.agreement_score_rows(objects)

    def get_object(self):
        get_object_or_404(Agreement.objects.restrict(self.request.user, Action.VIEW), pk=self.kwargs["pk"])
        agreement = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if agreement is None:
            raise exceptions.NotFound("This agreement has no stored score yet: it has no approved assessment, or "
                                      "its first recompute is pending.")
        return agreement

    def get_object_response(self, agreement):
        return Response(selectors.agreement_score_rows([agreement])[0])


# --- Partners, categories, the portfolio ---------------------------------------------------------


@dataclass(frozen=True)
class ScoreScope:
    team_ids: frozenset[int] | None  # None: every team
    day: dt.date | None  # None: now
    updated_since: dt.datetime | None = None


def score_scope(request, serializer_class=ScoreQuerySerializer) -> ScoreScope:
    """The caller's teams (narrowed by ``team``) and the day asked for, from the query; a 400 names
    the parameter that is wrong."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    visible = visible_team_ids(request.user, Action.VIEW)
    team_ids = visible
    if "team" in data:
        team = data["team"]
        if (visible is not None and team not in visible) or (visible is None and not Team.objects.filter(
                pk=team).exists()):
            raise exceptions.ValidationError({"team": ["Choose one of your teams (its id)."]})
        team_ids = frozenset({team})
    day = data.get("as_of")
    if day is not None and day >= timezone.localdate():
        day = None  # today: the current numbers
    if day is not None:
        first = history_start(team_ids=team_ids)
        if first is None or day < first:
            message = (f"No scores were recorded before {first:%Y-%m-%d}: choose that day or later." if first else
                       "No daily scores are recorded for your teams yet: leave as_of out for the current numbers.")
            raise exceptions.ValidationError({"as_of": [message]})
    return ScoreScope(team_ids, day, data.get("updated_since"))


SCORE_PARAMETERS = [ScoreListQuerySerializer]
TALLY_CSV = [
    *(_column(name) for name in (
        "counted", "score", "score_low", "score_high", "inherent_score", "band", "worst_band", "fingerprint",
        "computed_at", "pending", "as_of",
    )),
]


class _TallyListViewSet(ReadOnlyViewSet):
    """A list of stored tallies of one level, summed over the caller's teams, paged by cursor in the
    order of ``computed_at`` (the newest stored row summed) and the key."""

    level: ScoreLevel
    filter_backends = []
    sync_field = "computed"
    http_method_names = ["get", "head", "options"]

    @cached_property
    def scope(self) -> ScoreScope:
        return score_scope(self.request, ScoreListQuerySerializer)

    def get_queryset(self):
        rows, self.keyset_tiebreak = scoped_tally_rows(team_ids=self.scope.team_ids, level=self.level,
                                                       day=self.scope.day)
        if self.scope.updated_since is not None:
            rows = rows.filter(computed__gte=self.scope.updated_since)
        return rows


@extend_schema_view(list=extend_schema(
    summary="Partner scores",
    description="Each partner's mean over the active agreements of your teams that name it (each agreement "
    "once, by its latest approved assessment), as its score page shows it to you: another team's agreements "
    "are neither listed nor counted. Ordered by `computed_at`; `resume` returns the partners recomputed since "
    "(a partner that stops counting anything leaves the list). `?format=csv` streams every row.",
    parameters=SCORE_PARAMETERS,
))
class PartnerScoreViewSet(_TallyListViewSet):
    serializer_class = PartnerScoreSerializer
    level = ScoreLevel.PARTNER
    ordering_fields = {"computed_at": "computed"}
    csv_columns = [("partner_id", lambda row: row["partner"]["id"]),
                   ("partner", lambda row: row["partner"]["name"]), *TALLY_CSV]

    def rows(self, objects):
        return selectors.partner_score_rows(objects, column=self.keyset_tiebreak, user=self.request.user,
                                            team_ids=self.scope.team_ids, day=self.scope.day)


@extend_schema_view(list=extend_schema(
    summary="Category scores",
    description="Each risk category's mean over the current ratings of the active agreements of your teams, "
    "as its score page shows it to you. Ordered by `computed_at` (or `code`); `?format=csv` streams every row.",
    parameters=SCORE_PARAMETERS,
))
class CategoryScoreViewSet(_TallyListViewSet):
    serializer_class = CategoryScoreSerializer
    level = ScoreLevel.CATEGORY
    csv_columns = [("code", lambda row: row["category"]["code"]), ("category", lambda row: row["category"]["name"]),
                   *TALLY_CSV]

    @property
    def ordering_fields(self):
        return {"computed_at": "computed", "code": getattr(self, "keyset_tiebreak", "category_code")}

    def rows(self, objects):
        return selectors.category_score_rows(objects, column=self.keyset_tiebreak, team_ids=self.scope.team_ids,
                                             day=self.scope.day)


@extend_schema(
    summary="Portfolio score",
    description="The portfolio of your teams: every active agreement once, by its latest approved assessment, as "
    "the portfolio score page shows it to you.",
    parameters=[ScoreQuerySerializer],
    responses=PortfolioScoreSerializer,
)
class PortfolioScoreApi(ApiViewMixin, generics.GenericAPIView):
    serializer_class = PortfolioScoreSerializer
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    pagination_class = None
    filter_backends = []

    def get(self, request, *args, **kwargs):
        scope = score_scope(request)
        return Response(selectors.portfolio_score(team_ids=scope.team_ids, day=scope.day))


__all__ = ["AgreementScoreViewSet", "CategoryScoreViewSet", "PartnerScoreViewSet", "PortfolioScoreApi"]
