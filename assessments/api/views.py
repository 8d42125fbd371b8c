"""Partners, agreements and assessments: reads through selectors, writes through the services.

Who may do what is decided by ``riskboard.permissions`` alone: every queryset is ``restrict``-ed
(another team's object is 404), every write asks ``require`` (403) before the service, which asks
again (four eyes included). Updates name the version the client read (``If-Match``).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.conditional import required_version, version_etag
from api.errors import PreconditionFailed
from api.history import HistoryMixin
from api.views import ReadOnlyViewSet
from audit.context import audit_actor
from catalogue.models import RiskCategory, Safeguard
from riskboard.permissions import Action, require

from .. import services
from ..choices import Confidence
from ..filtersets import AgreementApiFilterSet, AssessmentFilterSet, PartnerFilterSet
from ..models import Agreement, Assessment, Rating
from ..rules import LEVEL_FIELDS
from ..selectors import agreement_list
from . import selectors
from .serializers import (
    AgreementSerializer,
    ApproveSerializer,
    AssessmentCreateSerializer,
    AssessmentSerializer,
    AssessmentUpdateSerializer,
    PartnerSerializer,
    ReturnSerializer,
)


def _column(name):
    return (name, lambda row: row[name])


@extend_schema_view(
    list=extend_schema(summary="Partners", description="Every partner for administrators and auditors; otherwise "
                       "the partners of the agreements you may see."),
    retrieve=extend_schema(summary="One partner"),
)
class PartnerViewSet(HistoryMixin, ReadOnlyViewSet):
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    ordering_fields = {"updated_at": "updated_at", "name": "name"}
    csv_columns = [_column(name) for name in selectors.PARTNER_FIELDS]
    values_fields = selectors.PARTNER_FIELDS

    def get_queryset(self):
        return selectors.partners_for_api(user=self.request.user)


    def rows(self, objects):
        return selectors.partner_rows(objects)

    def get_object(self):
        return get_object_or_404(self.get_queryset().values(*selectors.PARTNER_FIELDS), pk=self.kwargs["pk"])

    def get_object_response(self, row):
        return Response(selectors.partner_rows([row])[0])

    def history_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


@extend_schema_view(
    list=extend_schema(summary="Agreements", description="The agreements of your teams, with the agreements page's "
                       "filters. `?format=csv` streams every row the filters select."),
    retrieve=extend_schema(summary="One agreement"),
)
class AgreementViewSet(HistoryMixin, ReadOnlyViewSet):
    serializer_class = AgreementSerializer
    filterset_class = AgreementApiFilterSet
    ordering_fields = {"updated_at": "updated_at", "reference": "reference", "created_at": "created_at"}
    csv_columns = [
        *(_column(name) for name in ("id", "reference", "title", "kind", "classification", "status")),
        ("owner_team", lambda row: row["owner_team"]["slug"]),
        ("partners", lambda row: [p["name"] for p in row["partners"]]),
        *(_column(name) for name in ("start_date", "end_date", "notice_period_days", "created_at", "updated_at")),
    ]
    values_fields = selectors.AGREEMENT_FIELDS

    def get_queryset(self):
        # The agreements page's queryset: its annotations serve the band and open-assessment filters.
        return agreement_list(user=self.request.user).prefetch_related(None)


    def rows(self, objects):
        return selectors.agreement_rows(objects)

    def get_object(self):
        queryset = Agreement.objects.restrict(self.request.user, Action.VIEW)
        return get_object_or_404(queryset.values(*selectors.AGREEMENT_FIELDS), pk=self.kwargs["pk"])

    def get_object_response(self, row):
        return Response(selectors.agreement_rows([row])[0])

    def history_object(self):
        return get_object_or_404(Agreement.objects.restrict(self.request.user, Action.VIEW), pk=self.kwargs["pk"])


def _etagged(row: dict, status_code: int = status.HTTP_200_OK, **headers) -> Response:
    return Response(row, status=status_code, headers={"ETag": version_etag(row["version"]), **headers})


@extend_schema_view(
    list=extend_schema(summary="Assessments", description="Assessments of your teams' agreements, each with its "
                       "ratings, their scores and bands, and the roll-up. `?format=csv`: one line per rating."),
    retrieve=extend_schema(summary="One assessment", description="Its ETag is its version: send it in If-Match "
                           "to update, submit, approve or return it."),
    create=extend_schema(summary="Start an assessment", request=AssessmentCreateSerializer,
                         responses={201: AssessmentSerializer},
                         description="A draft of an agreement of your team, pre-filled from its last approved "
                         "assessment, as on the agreement's page. Needs a write token."),
    partial_update=extend_schema(summary="Save ratings", request=AssessmentUpdateSerializer,
                                 responses=AssessmentSerializer,
                                 description="Saves the given categories' ratings of a draft or returned "
                                 "assessment; fields left out keep their value. Needs If-Match."),
    submit=extend_schema(summary="Submit for review", request=None, responses=AssessmentSerializer,
                         description="Every category must be fully rated. Needs If-Match."),
    approve=extend_schema(summary="Approve", request=ApproveSerializer, responses=AssessmentSerializer,
                          description="A manager of the team who did not work on it (four eyes). Needs If-Match."),
    return_=extend_schema(summary="Return to draft", request=ReturnSerializer, responses=AssessmentSerializer,
                          description="With a comment saying what needs to change (four eyes). Needs If-Match."),
)
class AssessmentViewSet(HistoryMixin, ReadOnlyViewSet):
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet
    ordering_fields = {"updated_at": "updated_at", "as_of": "as_of", "created_at": "created_at"}
    http_method_names = ["get", "post", "patch", "head", "options"]
    csv_columns = [
        ("assessment_id", lambda row: row["id"]),
        ("agreement_id", lambda row: row["agreement"]["id"]),
        ("agreement_reference", lambda row: row["agreement"]["reference"]),
        *((name, lambda row, name=name: row[name]) for name in ("status", "as_of", "version", "approved_at")),
        ("band", lambda row: (row["result"] or {}).get("band")),
        ("worst_category_band", lambda row: (row["result"] or {}).get("worst_band")),
        ("score", lambda row: (row["result"] or {}).get("score")),
    ]
    values_fields = selectors.ASSESSMENT_FIELDS

    def needs_if_match(self, action_name) -> bool:
        return action_name in {"partial_update", "submit", "approve", "return_"}

    def get_queryset(self):
        return selectors.assessments_for_api(user=self.request.user)


    def rows(self, objects):
        return selectors.assessment_rows(objects)

    def row(self, pk) -> dict:
        return selectors.assessment_rows(self.get_queryset().values(*selectors.ASSESSMENT_FIELDS).filter(pk=pk))[0]

    def get_object(self):
        return get_object_or_404(self.get_queryset().values(*selectors.ASSESSMENT_FIELDS), pk=self.kwargs["pk"])

    def get_object_response(self, row):
        return _etagged(selectors.assessment_rows([row])[0])

    def history_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    # --- Writes -------------------------------------------------------------------------------

    def _assessment(self, action_: Action) -> Assessment:
        """The assessment in the caller's scope (404), if they may take ``action_`` on it (403)."""
        assessment = get_object_or_404(
            self.get_queryset().select_related("agreement", "catalogue"), pk=self.kwargs["pk"]
        )
        require(self.request.user, action_, assessment.agreement.owner_team_id)
        return assessment

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _decide(self, assessment: Assessment, call) -> Response:
        """Run a service with the version the client read; the service's lock decides in the end."""
        expected = required_version(self.request, assessment.version)
        token = getattr(self.request.user, "api_token", None)
        try:
            with audit_actor(actor=self.request.user, **({"api_token": token.prefix} if token else {})):
                call(expected)
        except services.AssessmentConflict:
            raise PreconditionFailed() from None
        return _etagged(self.row(assessment.pk))

    def create(self, request, *args, **kwargs):
        data = self._input(AssessmentCreateSerializer)
        agreement = Agreement.objects.restrict(request.user, Action.VIEW).filter(pk=data["agreement"]).first()
        if agreement is None:
            raise exceptions.ValidationError({"agreement": ["No agreement of yours has this id."]})
        require(request.user, Action.EDIT, agreement.owner_team_id)
        token = getattr(request.user, "api_token", None)
        with audit_actor(actor=request.user, **({"api_token": token.prefix} if token else {})):
            assessment = services.assessment_start(agreement=agreement, actor=request.user, as_of=data.get("as_of"))
        url = request.build_absolute_uri(f"{request.path.rstrip('/')}/{assessment.pk}/")
        return _etagged(self.row(assessment.pk), status.HTTP_201_CREATED, Location=url)

    def partial_update(self, request, *args, **kwargs):
        assessment = self._assessment(Action.EDIT)
        data = self._input(AssessmentUpdateSerializer)
        inputs = _rating_inputs(assessment, data["ratings"])
        codes = [item["category"] for item in data["ratings"]]

        def save(expected):
            try:
                services.assessment_save_ratings(
                    assessment=assessment, actor=request.user, expected_version=expected, ratings=inputs
                )
            except services.RatingsInvalid as exc:
                index = {item.category_id: codes.index(code) for item, code in zip(inputs, codes, strict=True)}
                raise exceptions.ValidationError({
                    f"ratings[{index.get(category_id, 0)}].{name}": messages
                    for category_id, fields in exc.by_category.items()
                    for name, messages in fields.items()
                }) from None

        return self._decide(assessment, save)

    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        assessment = self._assessment(Action.EDIT)
        return self._decide(assessment, lambda expected: services.assessment_submit(
            assessment=assessment, actor=request.user, expected_version=expected
        ))

    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        assessment = self._assessment(Action.REVIEW)
        data = self._input(ApproveSerializer)
        return self._decide(assessment, lambda expected: services.assessment_approve(
            assessment=assessment, actor=request.user, comment=data["comment"], expected_version=expected
        ))

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, *args, **kwargs):
        assessment = self._assessment(Action.REVIEW)
        data = self._input(ReturnSerializer)
        return self._decide(assessment, lambda expected: services.assessment_return(
            assessment=assessment, actor=request.user, comment=data["comment"], expected_version=expected
        ))


def _rating_inputs(assessment: Assessment, items: list[dict]) -> list[services.RatingInput]:
    """The service's input from the client's: codes to ids, and what was left out as saved.

    Shape only: unknown codes are field errors here, every other rule is the service's.
    """
    categories = dict(RiskCategory.objects.filter(catalogue_id=assessment.catalogue_id).values_list("code", "id"))
    safeguards = dict(Safeguard.objects.filter(catalogue_id=assessment.catalogue_id).values_list("code", "id"))
    saved = {r.category_id: r for r in Rating.objects.filter(assessment=assessment).prefetch_related("safeguards")}
    errors, inputs = {}, []
    for index, item in enumerate(items):
        category_id = categories.get(item["category"])
        if category_id is None:
            errors[f"ratings[{index}].category"] = ["Not a category of this assessment's catalogue."]
            continue
        unknown = [code for code in item.get("safeguards", []) if code not in safeguards]
        if unknown:
            errors[f"ratings[{index}].safeguards"] = [f"Not safeguards of this catalogue: {', '.join(unknown)}."]
            continue
        rating = saved.get(category_id)
        values = {
            name: getattr(rating, name) if rating else default
            for name, default in (*((n, None) for n in LEVEL_FIELDS), ("confidence", Confidence.MEDIUM),
                                  ("safeguards_other", ""), ("rationale", ""), ("evidence", ""))
        }
        values.update({name: value for name, value in item.items() if name in values})
        if "safeguards" in item:
            safeguard_ids = [safeguards[code] for code in item["safeguards"]]
        else:
            safeguard_ids = [s.pk for s in rating.safeguards.all()] if rating else []
        inputs.append(services.RatingInput(category_id=category_id, safeguard_ids=safeguard_ids, **values))
    if errors:
        raise exceptions.ValidationError(errors)
    return inputs

