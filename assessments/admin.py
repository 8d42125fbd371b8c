"""Admin for teams, partners, agreements and assessments.

Workflow states are read-only here: transitions go through the services (and the review pages)
so that the four-eyes rule and the audit trail cannot be bypassed. Approved assessments are
shown read-only because they are immutable.
"""

from django.contrib import admin

from .choices import EDITABLE_STATUSES
from .models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user",)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "country", "region")
    list_filter = ("kind", "region")
    search_fields = ("name", "country", "notes")


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "kind", "status", "owner_team", "start_date", "end_date")
    list_filter = ("status", "kind", "classification", "owner_team", "partners__region")
    search_fields = ("reference", "title", "description", "partners__name")
    filter_horizontal = ("partners",)
    date_hierarchy = "start_date"
    list_select_related = ("owner_team",)


class RatingInline(admin.StackedInline):
    model = Rating
    extra = 0
    fields = (
        "category",
        ("inherent_likelihood", "inherent_impact"),
        ("residual_likelihood", "residual_impact"),
        "safeguards",
        "safeguards_other",
        "rationale",
        "evidence",
        "confidence",
    )
    filter_horizontal = ("safeguards",)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.status in EDITABLE_STATUSES)

    has_add_permission = has_delete_permission = has_change_permission


class TransitionInline(admin.TabularInline):
    model = AssessmentTransition
    extra = 0
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("agreement", "as_of", "status", "catalogue", "reviewer", "approved_at", "next_review_date")
    list_filter = ("status", "catalogue", "agreement__owner_team")
    search_fields = ("agreement__reference", "agreement__title", "review_comment")
    date_hierarchy = "as_of"
    list_select_related = ("agreement", "catalogue", "reviewer")
    readonly_fields = (
        "status", "version", "reviewer", "review_comment", "previous", "created_at", "updated_at",
        "submitted_at", "approved_at", "next_review_date",
    )
    autocomplete_fields = ("agreement",)
    filter_horizontal = ("authors",)
    inlines = [RatingInline, TransitionInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.status in EDITABLE_STATUSES)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status in EDITABLE_STATUSES)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("assessment", "category", "inherent_likelihood", "inherent_impact", "residual_likelihood",
                    "residual_impact", "confidence")
    list_filter = ("confidence", "category__code", "assessment__status")
    search_fields = ("assessment__agreement__reference", "rationale", "evidence")
    list_select_related = ("assessment__agreement", "category")
    raw_id_fields = ("assessment",)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.assessment.status in EDITABLE_STATUSES)

    has_delete_permission = has_change_permission


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(admin.ModelAdmin):
    list_display = ("assessment", "action", "from_status", "to_status", "actor", "created_at")
    list_filter = ("action", "to_status")
    search_fields = ("assessment__agreement__reference", "comment", "actor__username")
    list_select_related = ("assessment__agreement", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
