"""The event tables in the admin, read-only: nobody adds, changes or deletes history here.

(On PostgreSQL a trigger refuses UPDATE and DELETE on these tables anyway; see ``audit.tracking``.)
The history pages under ``audit:global`` are the readable view; this is the raw one.
"""

from django.contrib import admin

from .selectors import audit_event_models


class AuditEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for event_model in audit_event_models():
    admin.site.register(event_model, AuditEventAdmin)
