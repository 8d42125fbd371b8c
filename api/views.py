"""What every API view shares: open to token clients, conditional GET, CSV exports, JSON 404s."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, StreamingHttpResponse
from django.utils.decorators import method_decorator
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from .conditional import body_etag, not_modified
from .renderers import CSVRenderer, csv_lines

EXPORT_CHUNK = 1000


class ApiViewMixin:
    """For every API view: ETag and 304 on reads, the Vary header, errors as JSON whatever was asked."""

    @method_decorator(login_not_required)  # token clients have no session: DRF authenticates them
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to an unknown ?format=: it is the format that is wrong, not the URL
            formats = ", ".join(r.format for r in self.get_renderers() if r.format != "api")
            raise exceptions.NotAcceptable(f"Choose format={formats.replace(', ', ' or format=')}.") from None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(response, "accepted_renderer", None)
        browsable = isinstance(renderer, BrowsableAPIRenderer)
        if response.status_code >= 400 and renderer is not None and not browsable:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        response["Vary"] = "Accept, Authorization, Cookie"
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming or browsable:
            return response
        if not response.has_header("ETag"):
            response.render()
            response["ETag"] = body_etag(response.content)
        response["Cache-Control"] = "private, no-cache"
        unchanged = not_modified(request, response["ETag"])
        if unchanged is None:
            return response
        unchanged["Vary"] = response["Vary"]
        unchanged["Cache-Control"] = response["Cache-Control"]
        return unchanged


class ReadOnlyViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """List and retrieve, each read through a selector; lists page by cursor and export CSV.

    Subclasses give ``get_queryset()`` (scoped by ``restrict``), ``filterset_class``,
    ``ordering_fields``, ``rows(objects)`` (the API shape of a page, a constant number of queries)
    and ``csv_columns``.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends = [DjangoFilterBackend]
    csv_columns: list = []
    # Rows are read as ``values(*values_fields)`` and shaped by ``rows()``.
    values_fields: tuple[str, ...] = ()
    lookup_value_regex = r"[0-9]{1,18}"

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action != "list":
            renderers = [r for r in renderers if not isinstance(r, CSVRenderer)]
        return renderers

    def rows(self, objects) -> list[dict]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())  # the FilterSet: a 400 with field errors
        if self.values_fields:
            queryset = queryset.values(*self.values_fields)
        if request.accepted_renderer.format == "csv":
            return self.export(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.rows(page))

    def export(self, queryset):
        """Every row the filters select, streamed in keyset chunks (memory and queries per chunk fixed)."""
        paginator = self.paginator
        ordered, cursor = paginator.prepare(queryset, self.request, self)

        def chunks():
            position = cursor
            while True:
                page = list((paginator.after(ordered, paginator.ordering, position) if position else ordered)[
                    :EXPORT_CHUNK
                ])
                if not page:
                    return
                yield from self.rows(page)
                position = paginator.position(page[-1])

        response = StreamingHttpResponse(csv_lines(self.csv_columns, chunks()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.basename}.csv"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.get_object_response(self.get_object())


@login_not_required
@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([])
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404, like every error of the API."""
    raise exceptions.NotFound("No such endpoint. The endpoints are listed at /api/v1/docs/.")
