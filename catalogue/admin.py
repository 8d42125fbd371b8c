"""Admin for catalogues. A published or retired catalogue is shown read-only: it is frozen."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel


def _editable(obj) -> bool:
    catalogue = obj if isinstance(obj, RiskCatalogue) else getattr(obj, "catalogue", None)
    return catalogue is None or catalogue.is_editable


class FrozenWhenPublishedMixin:
    """Change and delete only while the owning catalogue is a draft."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _editable(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or _editable(obj))

    def has_add_permission(self, request, obj=None):
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and (obj is None or _editable(obj))


class ScaleLevelInline(FrozenWhenPublishedMixin, admin.TabularInline):
    model = ScaleLevel
    extra = 0


class BandInline(FrozenWhenPublishedMixin, admin.TabularInline):
    model = Band
    extra = 0


class CategoryInline(FrozenWhenPublishedMixin, admin.StackedInline):
    model = RiskCategory
    extra = 0
    fields = (("code", "name"), "description", "guidance", ("weight", "display_order"))


class MatrixCellInline(FrozenWhenPublishedMixin, admin.TabularInline):
    model = MatrixCell
    extra = 0
    fields = ("likelihood", "impact", "band")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "band":
            catalogue_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Band.objects.filter(catalogue_id=catalogue_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RiskCatalogue)
class RiskCatalogueAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("name", "version", "status", "rollup_method", "published_at", "category_count")
    list_filter = ("status", "rollup_method")
    search_fields = ("name", "description")
    readonly_fields = ("status", "published_at", "retired_at", "created_at", "updated_at")
    inlines = [CategoryInline, ScaleLevelInline, BandInline, MatrixCellInline]
    actions = ["publish", "retire", "new_draft_version"]

    @admin.display(description="Categories")
    def category_count(self, obj):
        return obj.categories.count()

    def _run(self, request, queryset, service_name: str, done: str):
        from . import services

        service = getattr(services, service_name)
        for catalogue in queryset:
            try:
                service(catalogue=catalogue)
            except ValidationError as exc:
                self.message_user(request, f"{catalogue}: {'; '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{catalogue}: {done}.", messages.SUCCESS)

    @admin.action(description="Publish selected draft catalogues (freezes them)")
    def publish(self, request, queryset):
        self._run(request, queryset, "catalogue_publish", "published")

    @admin.action(description="Retire selected published catalogues")
    def retire(self, request, queryset):
        self._run(request, queryset, "catalogue_retire", "retired")

    @admin.action(description="Create a new draft version from the selected catalogues")
    def new_draft_version(self, request, queryset):
        self._run(request, queryset, "catalogue_draft_from", "new draft version created")


@admin.register(RiskCategory)
class RiskCategoryAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("name", "code", "catalogue", "weight", "display_order")
    list_filter = ("catalogue",)
    search_fields = ("name", "code", "description")
    list_select_related = ("catalogue",)


@admin.register(Safeguard)
class SafeguardAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("name", "code", "catalogue")
    list_filter = ("catalogue", "categories")
    search_fields = ("name", "code", "description")
    filter_horizontal = ("categories",)
    list_select_related = ("catalogue",)


@admin.register(Band)
class BandAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("label", "code", "rank", "colour", "catalogue")
    list_filter = ("catalogue",)


@admin.register(ScaleLevel)
class ScaleLevelAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("scale", "value", "label", "catalogue")
    list_filter = ("catalogue", "scale")
    search_fields = ("label", "description")


@admin.register(MatrixCell)
class MatrixCellAdmin(FrozenWhenPublishedMixin, admin.ModelAdmin):
    list_display = ("catalogue", "likelihood", "impact", "band")
    list_filter = ("catalogue", "band__code")
    list_select_related = ("catalogue", "band")
