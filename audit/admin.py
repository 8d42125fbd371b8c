"""The event tables in the admin, read-only: nobody adds, changes or deletes history here.

(On PostgreSQL a trigger refuses UPDATE and DELETE on these tables anyway; see ``audit.tracking``.)
The history pages under ``audit:global`` are the readable view; this is the raw one, for
administrators only (``riskboard.admin_mixins``).
"""

from django.contrib import admin

from riskboard.admin_mixins import AdministerRequiredMixin, ReadOnlyAdminMixin

from .selectors import audit_event_models


class AuditEventAdmin(ReadOnlyAdminMixin, AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("pgh_created_at", "pgh_label", "pgh_obj_id", "actor")
    list_filter = ("pgh_label",)
    search_fields = ("=pgh_obj_id",)
    ordering = ("-pgh_created_at", "-pgh_id")
    date_hierarchy = "pgh_created_at"
    list_select_related = ("pgh_context",)
    readonly_fields = ("pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_before", "pgh_after", "pgh_context")

    @admin.display(description="actor (user id)")
    def actor(self, obj):
        return (obj.pgh_context.metadata.get("user") if obj.pgh_context else None) or "-"


for event_model in audit_event_models():
    admin.site.register(event_model, AuditEventAdmin)
