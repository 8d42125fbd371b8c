"""``<object>/history/``: an object's audit trail, newest first, for administrators and auditors.

The same rule as the history pages (``riskboard.permissions.can_read_audit``), after the object's
own scope: another team's object is 404, an analyst's own team's is 403. Pages seek from a cursor
(``audit.selectors.AuditCursor``), like the history pages: entries added meanwhile neither shift
nor repeat a page, and nothing is counted.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from audit.context import history_is_recorded
from audit.selectors import AuditCursor, InvalidCursor, audit_object_events
from riskboard.permissions import can_read_audit

from .pagination import MAX_PAGE_SIZE, KeysetPagination


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The column.")
    label = serializers.CharField()
    before = serializers.CharField(allow_null=True, help_text="As shown on the history page; null on create.")
    after = serializers.CharField(allow_null=True, help_text="As shown on the history page; null on delete.")


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["create", "update", "delete"])
    model = serializers.CharField(help_text="What changed, e.g. assessments.rating (an object's history includes "
                                  "the rows it owns).")
    object_id = serializers.IntegerField()
    object = serializers.CharField(help_text="How the row read at the time.")
    actor = serializers.CharField(allow_null=True, help_text="Username, or null for changes made by the system.")
    source = serializers.CharField(allow_blank=True, help_text="The request path or command that made the change.")
    changes = ChangeSerializer(many=True)


class HistoryPageSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False on a database that records no history (SQLite).")
    next = serializers.URLField(allow_null=True, help_text="Older entries, or null.")
    results = HistoryEntrySerializer(many=True)


class HistoryMixin:
    """Adds ``GET <object>/history/`` to a viewset whose ``history_object()`` returns the object in scope."""

    @extend_schema(
        summary="The object's audit history",
        description="Every change to the object and to the rows it owns, newest first, with the actor. "
        "Administrators and auditors only.",
        parameters=[
            OpenApiParameter("cursor", str, description="Opaque position, from a `next` link (older entries)."),
            OpenApiParameter("page_size", int, description=f"Entries per page, 1 to {MAX_PAGE_SIZE} (default 50)."),
        ],
        responses=HistoryPageSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filterset_class=None)
    def history(self, request, *args, **kwargs):
        obj = self.history_object()
        if not can_read_audit(request.user):
            raise PermissionDenied("Only administrators and auditors may read the audit trail.")
        size = KeysetPagination().get_page_size(request)
        raw = request.query_params.get("cursor")
        try:
            after = AuditCursor.from_token(raw) if raw else None
        except InvalidCursor:
            message = "This cursor is not valid: use the next link unchanged."
            raise exceptions.ValidationError({"cursor": [message]}) from None
        page = audit_object_events(model=type(obj), object_id=obj.pk, after=after, size=size)
        return Response({
            "recorded": history_is_recorded(),
            "next": replace_query_param(request.build_absolute_uri(), "cursor", page.older.token)
            if page.older else None,
            "results": [
                {
                    "at": e.at,
                    "action": e.action,
                    "model": e.model_label,
                    "object_id": e.object_id,
                    "object": e.object_title,
                    "actor": e.actor.get_username() if e.actor is not None else None,
                    "source": e.source,
                    "changes": [
                        {"field": c.column, "label": c.label, "before": c.before, "after": c.after}
                        for c in e.changes
                    ],
                }
                for e in page.entries
            ],
        })
