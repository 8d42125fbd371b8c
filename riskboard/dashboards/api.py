"""``/api/v1/heatmap/``: the partner x category numbers the dashboard draws, for the same caller.

The dashboard's own filters (``DashboardFilterSet`` via ``dashboard_filters``; a value it would
drop is a 400 here) and its own selector (``partner_heatmap``), page for page; ``?format=csv`` is
the dashboard's heatmap CSV (``exports.heatmap_rows``, every partner). A heavy read: it is
throttled with the exports (``api_heavy``).
"""

from __future__ import annotations

from operator import itemgetter

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.pagination import MAX_PAGE_SIZE
from api.renderers import CSVRenderer, csv_lines
from api.throttling import HEAVY
from api.views import ApiViewMixin
from assessments.api.score_selectors import tally_fields
from assessments.api.score_serializers import CategoryRefSerializer
from assessments.api.serializers import DECIMAL_HELP
from assessments.choices import AgreementKind, AgreementStatus, PartnerKind, Region

from . import exports, selectors
from .filtersets import ANY_STATUS, DEFAULTS, dashboard_filters
from .selectors.portfolio import HEATMAP_PAGE_SIZE

FILTERS = ("team", "region", "partner_kind", "kind", "status")


def _shown(tally, scale) -> dict:
    """A tally as the heatmap shows it (its numbers carry no fingerprint: the dashboard has none)."""
    fields = tally_fields(tally, scale)
    del fields["fingerprint"]
    return fields


def heatmap_rows(heatmap, scale) -> list[dict]:
    """The rows of a ``partner_heatmap`` page: each partner with its cells (no query)."""
    rows = []
    for row in heatmap.rows:
        cells = []
        for code, _name in heatmap.categories:
            cell = heatmap.cell(row.partner_id, code)
            if cell is not None:
                cells.append({"category": code, **_shown(cell.tally, scale), "last_assessed": cell.last_assessed})
        rows.append({"partner": {"id": row.partner_id, "name": row.name}, **_shown(row.tally, scale),
                     "last_assessed": row.last_assessed, "cells": cells})
    return rows


class HeatmapQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**9,
                                    help_text="The page of partners, from 1 (highest scores first).")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                         help_text=f"Partners per page, 1 to {MAX_PAGE_SIZE} (default "
                                         f"{HEATMAP_PAGE_SIZE}, as on the dashboard).")


class HeatmapCellSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="The category's code.")
    counted = serializers.IntegerField(help_text="Ratings counted: one per agreement counted.")
    score = serializers.CharField(help_text="Mean residual score. " + DECIMAL_HELP)
    score_low = serializers.CharField()
    score_high = serializers.CharField()
    inherent_score = serializers.CharField()
    band = serializers.CharField(allow_null=True, help_text="The band of the mean, the cell's colour.")
    worst_band = serializers.CharField(allow_null=True, help_text="The worst band of a rating counted.")
    band_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Ratings per band code.")
    last_assessed = serializers.DateField(allow_null=True)


class HeatmapPartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HeatmapRowSerializer(serializers.Serializer):
    partner = HeatmapPartnerSerializer()
    counted = serializers.IntegerField(help_text="Agreements counted, each once by its headline band.")
    score = serializers.CharField(allow_null=True, help_text="The partner's mean score. " + DECIMAL_HELP)
    score_low = serializers.CharField(allow_null=True)
    score_high = serializers.CharField(allow_null=True)
    inherent_score = serializers.CharField(allow_null=True)
    band = serializers.CharField(allow_null=True, help_text="The band of the mean.")
    worst_band = serializers.CharField(allow_null=True, help_text="The worst headline band of an agreement counted.")
    band_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Agreements per band code.")
    last_assessed = serializers.DateField(allow_null=True)
    cells = HeatmapCellSerializer(many=True, help_text="The categories with something counted.")


class HeatmapSerializer(serializers.Serializer):
    categories = CategoryRefSerializer(many=True, help_text="The columns, in the dashboard's order.")
    rows = HeatmapRowSerializer(many=True, help_text="This page's partners, highest mean score first.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    partners = serializers.IntegerField(help_text="Partners on every page.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    filters = serializers.DictField(child=serializers.CharField(), help_text="The filters applied, defaults "
                                    "included (status defaults to active, as on the dashboard).")


def _choices(choices, *extra) -> list[str]:
    return [value for value, _ in choices] + list(extra)


PARAMETERS = [
    OpenApiParameter("team", int, description="Team id: one of your teams (default: all of them)."),
    OpenApiParameter("region", str, enum=_choices(Region.choices), description="A partner of this region."),
    OpenApiParameter("partner_kind", str, enum=_choices(PartnerKind.choices), description="A partner of this kind."),
    OpenApiParameter("kind", str, enum=_choices(AgreementKind.choices), description="Agreements of this kind."),
    OpenApiParameter("status", str, enum=_choices(AgreementStatus.choices, ANY_STATUS),
                     description=f"Agreements of this status (default {DEFAULTS['status']}; `{ANY_STATUS}`: all)."),
    OpenApiParameter("format", str, enum=["json", "csv"],
                     description="`csv`: the dashboard's heatmap CSV, every partner, with these filters."),
    HeatmapQuerySerializer,
]


@extend_schema(
    summary="Partner x category heatmap",
    description="The numbers the dashboard's heatmap draws for you, with its filters: each partner's mean over "
    "the agreements counted (active ones of your teams by default) and its mean per risk category. No number "
    "counts another team's agreement. A heavy read: throttled like CSV exports. There is no `as_of`: the "
    "dashboard keeps no daily heatmap (use `as_of` on /scores/partners/ and /scores/categories/).",
    parameters=PARAMETERS,
    responses={200: HeatmapSerializer},
)
class HeatmapApi(ApiViewMixin, generics.GenericAPIView):
    serializer_class = HeatmapSerializer
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    pagination_class = None
    filter_backends = []
    throttle_scope = HEAVY

    def get(self, request, *args, **kwargs):
        query = HeatmapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dashboard_filters(user=request.user, data=request.query_params)
        errors = {name: [str(m) for m in messages] for name, messages in filters.form.errors.items()}
        if errors:  # the dashboard drops a value it cannot use; a client is told
            raise exceptions.ValidationError(errors)
        rules = selectors.scoring_rules()
        if request.accepted_renderer.format == "csv":
            return self.export(filters, rules)
        page_size = query.validated_data.get("page_size", HEATMAP_PAGE_SIZE)
        wanted = query.validated_data.get("page", 1)
        heatmap = selectors.partner_heatmap(filters=filters, rules=rules, page=wanted, per_page=page_size)
        page = heatmap.page
        if page.number != wanted:
            raise exceptions.ValidationError({"page": [f"Choose a page from 1 to {page.paginator.num_pages}."]})
        url = request.build_absolute_uri()
        return Response({
            "categories": [{"code": code, "name": name} for code, name in heatmap.categories],
            "rows": heatmap_rows(heatmap, rules.scale),
            "page": page.number,
            "pages": page.paginator.num_pages,
            "partners": page.paginator.count,
            "next": replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None,
            "previous": (replace_query_param(url, "page", page.previous_page_number()) if page.number > 2
                         else remove_query_param(url, "page")) if page.has_previous() else None,
            "filters": {name: filters.values[name] for name in FILTERS if filters.values.get(name)},
        })

    def export(self, filters, rules):
        """The dashboard's heatmap CSV (``dashboards:export`` ``heatmap``): every partner."""
        partners = selectors.partner_rows(filters=filters)
        cells = selectors.partner_category_cells(filters=filters, rules=rules,
                                                 partner_ids=[p.partner_id for p in partners])
        header, rows = exports.heatmap_rows(partners=partners, cells=cells, categories=rules.categories,
                                            scale=rules.scale)
        columns = [(name, itemgetter(index)) for index, name in enumerate(header)]
        response = StreamingHttpResponse(csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="heatmap.csv"'
        return response


__all__ = ["HeatmapApi"]
