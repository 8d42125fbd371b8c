"""Admin for teams, partners, agreements and assessments, for administrators (``riskboard.admin_mixins``).

Teams, memberships, partners and agreements are edited here. Assessments, their ratings and their
transitions are shown read-only: the workflow lives in the assessment pages and in
``assessments.services``, which enforce optimistic locking, the four-eyes rule and the audit
trail, and an admin form would bypass all three.
"""

from django.contrib import admin
from django.utils.html import format_html

from riskboard.admin_mixins import AdministerRequiredMixin, ReadOnlyAdminMixin, ServiceErrorsAsFormErrorsMixin

from . import hooks, services
from .models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team

READ_ONLY_NOTE = (
    "Read-only: assessments are started, edited, submitted and reviewed on their own pages, which enforce "
    "optimistic locking, the four-eyes rule and the audit trail."
)


class MembershipInline(AdministerRequiredMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user",)


@admin.register(Partner)
class PartnerAdmin(AdministerRequiredMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "country", "region")
    list_filter = ("kind", "region")
    search_fields = ("name", "country", "notes")


@admin.register(Agreement)
class AgreementAdmin(ServiceErrorsAsFormErrorsMixin, AdministerRequiredMixin, admin.ModelAdmin):
    """A change of status goes through ``agreement_set_status``; a change of partners marks the
    agreement's aggregates for recomputation. Both only once the partners are saved."""

    list_display = ("reference", "title", "kind", "status", "owner_team", "start_date", "end_date")
    list_filter = ("status", "kind", "classification", "owner_team", "partners__region")
    search_fields = ("reference", "title", "description", "partners__name")
    filter_horizontal = ("partners",)
    date_hierarchy = "start_date"
    list_select_related = ("owner_team",)

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            # Saved as it was; ``save_related`` changes it through the service.
            form.requested_status, obj.status = obj.status, form.initial["status"]
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        agreement = form.instance
        partners_before = set(agreement.partners.values_list("pk", flat=True)) if change else None
        super().save_related(request, form, formsets, change)
        if not change:  # a new agreement has no assessment yet: no score to recompute
            return
        if set(agreement.partners.values_list("pk", flat=True)) != partners_before:
            hooks.agreement_partners_changed(agreement_id=agreement.pk)
        requested_status = getattr(form, "requested_status", None)
        if requested_status is not None:
            services.agreement_set_status(agreement=agreement, actor=request.user, status=requested_status)


# --- Assessments: read-only ---------------------------------------------------------------------


class ReadOnlyWorkflowAdmin(ReadOnlyAdminMixin, AdministerRequiredMixin, admin.ModelAdmin):
    """View only, with a note on the list saying where the workflow lives."""

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": READ_ONLY_NOTE, **(extra_context or {})})


class RatingInline(ReadOnlyAdminMixin, AdministerRequiredMixin, admin.StackedInline):
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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category").prefetch_related("safeguards")


class TransitionInline(ReadOnlyAdminMixin, AdministerRequiredMixin, admin.TabularInline):
    model = AssessmentTransition
    extra = 0
    fields = ("created_at", "action", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyWorkflowAdmin):
    list_display = ("agreement", "as_of", "status", "catalogue", "reviewer", "approved_at", "next_review_date")
    list_filter = ("status", "catalogue", "agreement__owner_team")
    search_fields = ("agreement__reference", "agreement__title", "review_comment")
    date_hierarchy = "as_of"
    list_select_related = ("agreement", "catalogue", "reviewer")
    fieldsets = [
        (None, {
            "description": READ_ONLY_NOTE,
            "fields": ("page_link", "agreement", "catalogue", "status", "as_of", "version", "authors", "reviewer",
                       "review_comment", "previous", "next_review_date"),
        }),
        ("Dates", {"fields": ("created_at", "updated_at", "submitted_at", "approved_at")}),
    ]
    readonly_fields = ("page_link", "created_at", "updated_at")
    inlines = [RatingInline, TransitionInline]

    @admin.display(description="Assessment page")
    def page_link(self, obj):
        return format_html('<a href="{}">Open the assessment page</a>', obj.get_absolute_url())


@admin.register(Rating)
class RatingAdmin(ReadOnlyWorkflowAdmin):
    list_display = ("assessment", "category", "inherent_likelihood", "inherent_impact", "residual_likelihood",
                    "residual_impact", "confidence")
    list_filter = ("confidence", "category__code", "assessment__status")
    search_fields = ("assessment__agreement__reference", "rationale", "evidence")
    list_select_related = ("assessment__agreement", "category")


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(ReadOnlyWorkflowAdmin):
    list_display = ("assessment", "action", "from_status", "to_status", "actor", "created_at")
    list_filter = ("action", "to_status")
    search_fields = ("assessment__agreement__reference", "comment", "actor__username")
    list_select_related = ("assessment__agreement", "actor")
