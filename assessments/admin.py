"""Admin for teams, partners, agreements and assessments, for administrators (``riskboard.admin_mixins``).

Teams, memberships, partners and agreements are edited here, every write through
``assessments.services`` (which check the rules and mark scores for recomputation); what a service
refuses shows on the page and changes nothing. Assessments, their ratings and their transitions
are shown read-only: the workflow lives in the assessment pages and in ``assessments.services``,
which enforce optimistic locking, the four-eyes rule and the audit trail, and an admin form would
bypass all three.
"""

from django.contrib import admin
from django.utils.html import format_html

from riskboard.admin_mixins import (
    AdministerRequiredMixin,
    ReadOnlyAdminMixin,
    ServiceErrorsAsFormErrorsMixin,
    formset_save_through,
    saved_as,
    service_call,
)

from . import services
from .models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team

READ_ONLY_NOTE = (
    "Read-only: assessments are started, edited, submitted and reviewed on their own pages, which enforce "
    "optimistic locking, the four-eyes rule and the audit trail."
)


def _values(form, names, *, changed_only: bool) -> dict:
    """The form's cleaned values of ``names`` (only those the user changed, when ``changed_only``:
    a field someone else changed meanwhile is then left as they left it)."""
    wanted = set(names) & set(form.changed_data if changed_only else form.fields)
    return {name: form.cleaned_data[name] for name in wanted if name in form.cleaned_data}


class ServiceModelAdmin(ServiceErrorsAsFormErrorsMixin, AdministerRequiredMixin, admin.ModelAdmin):
    """Administrators only; add, change and delete each call one service (``create``, ``update``,
    ``delete``), given the form's values of the fields that service accepts (``fields_service``)."""

    fields_service: set[str] = set()

    def create(self, request, values: dict, form):
        raise NotImplementedError

    def update(self, request, obj, values: dict, form):
        raise NotImplementedError

    def delete(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            self.update(request, obj, _values(form, self.fields_service, changed_only=True), form)
        else:
            saved_as(obj, self.create(request, _values(form, self.fields_service, changed_only=False), form))

    def save_related(self, request, form, formsets, change):
        # The services wrote the many-to-many links with the row (no ``form.save_m2m()``).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        self.delete(request, obj)


class MembershipInline(AdministerRequiredMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(ServiceModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
    fields_service = services.TEAM_FIELDS

    def create(self, request, values, form):
        return service_call(services.team_create, actor=request.user, **values)

    def update(self, request, obj, values, form):
        return service_call(services.team_update, team=obj, actor=request.user, **values)

    def delete(self, request, obj):
        service_call(services.team_delete, team=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        """The team's memberships, one ``membership_*`` service call per row."""
        actor, team = request.user, form.instance
        fields = services.MEMBERSHIP_FIELDS - {"team"}
        formset_save_through(
            formset,
            create=lambda f: service_call(
                services.membership_create, actor=actor, team=team, **_values(f, fields, changed_only=False)
            ),
            update=lambda obj, f: service_call(
                services.membership_update, membership=obj, actor=actor, **_values(f, fields, changed_only=True)
            ),
            delete=lambda obj: service_call(services.membership_delete, membership=obj, actor=actor),
        )


@admin.register(Membership)
class MembershipAdmin(ServiceModelAdmin):
    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user",)
    fields_service = services.MEMBERSHIP_FIELDS

    def create(self, request, values, form):
        return service_call(services.membership_create, actor=request.user, **values)

    def update(self, request, obj, values, form):
        return service_call(services.membership_update, membership=obj, actor=request.user, **values)

    def delete(self, request, obj):
        service_call(services.membership_delete, membership=obj, actor=request.user)


@admin.register(Partner)
class PartnerAdmin(ServiceModelAdmin):
    """A partner that any agreement names cannot be deleted (``partner_delete``)."""

    list_display = ("name", "kind", "country", "region")
    list_filter = ("kind", "region")
    search_fields = ("name", "country", "notes")
    fields_service = services.PARTNER_FIELDS

    def create(self, request, values, form):
        return service_call(services.partner_create, actor=request.user, **values)

    def update(self, request, obj, values, form):
        return service_call(services.partner_update, partner=obj, actor=request.user, **values)

    def delete(self, request, obj):
        service_call(services.partner_delete, partner=obj, actor=request.user)


@admin.register(Agreement)
class AgreementAdmin(ServiceModelAdmin):
    """Fields, partners and status in one ``agreement_update``, which marks the scores for
    recomputation when the status or the partners change."""

    list_display = ("reference", "title", "kind", "status", "owner_team", "start_date", "end_date")
    list_filter = ("status", "kind", "classification", "owner_team", "partners__region")
    search_fields = ("reference", "title", "description", "partners__name")
    filter_horizontal = ("partners",)
    date_hierarchy = "start_date"
    list_select_related = ("owner_team",)
    fields_service = services.AGREEMENT_FIELDS | {"partners"}

    def create(self, request, values, form):
        return service_call(services.agreement_create, actor=request.user, **values)

    def update(self, request, obj, values, form):
        return service_call(services.agreement_update, agreement=obj, actor=request.user, **values)

    def delete(self, request, obj):
        service_call(services.agreement_delete, agreement=obj, actor=request.user)


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
