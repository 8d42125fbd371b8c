"""Catalogue versions, read only."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from api.history import HistoryMixin
from api.views import ReadOnlyViewSet

from ..filtersets import CatalogueFilterSet
from .selectors import catalogue_rows, catalogues_for_api
from .serializers import CatalogueSerializer


@extend_schema_view(
    list=extend_schema(summary="Catalogue versions", description="Published and retired versions, with everything "
                       "assessments were rated on. `?format=csv`: one line per version."),
    retrieve=extend_schema(summary="One catalogue version"),
)
class CatalogueViewSet(HistoryMixin, ReadOnlyViewSet):
    serializer_class = CatalogueSerializer
    filterset_class = CatalogueFilterSet
    ordering_fields = {"updated_at": "updated_at", "version": "version"}
    csv_columns = [
        (name, lambda row, name=name: row[name])
        for name in ("id", "name", "version", "status", "rollup_method", "published_at", "retired_at", "updated_at")
    ] + [("categories", lambda row: [c["code"] for c in row["categories"]])]

    def get_queryset(self):
        return catalogues_for_api(user=self.request.user)

    def rows(self, objects):
        return catalogue_rows(objects)

    def get_object_response(self, catalogue):
        return Response(catalogue_rows([catalogue])[0])

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    history_object = get_object
