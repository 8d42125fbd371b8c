"""Administrators force a password change: add a user here (or use the action on this list to
renew a request); their next sign-in leads to the password change page."""

from django.contrib import admin

from riskboard.admin_mixins import AdministerRequiredMixin

from . import services
from .models import PasswordChangeRequirement


@admin.register(PasswordChangeRequirement)
class PasswordChangeRequirementAdmin(AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("user", "requested_at", "requested_by")
    fields = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__username",)

    def has_change_permission(self, request, obj=None):
        return False  # a request is added or withdrawn, never edited

    def save_model(self, request, obj, form, change):
        # Through the service, which logs the request; the admin's own save is not used.
        saved = services.user_password_change_require(user=obj.user, requested_by=request.user)
        obj.pk, obj.requested_at = saved.pk, saved.requested_at
