"""Admin for catalogues, for administrators (``riskboard.admin_mixins``).

A published or retired catalogue is shown read-only: it is frozen. Every write (the standalone
pages, the catalogue page's inlines, deletions one by one or in bulk) goes through
``catalogue.services``, which check the actor and re-check the freeze under the catalogue's row
lock. A refusal shows on the form or as an error message, never as a server error, and changes
nothing.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import ValidationError
from django.db import router

from riskboard.admin_mixins import (
    AdministerRequiredMixin,
    ServiceErrorsAsFormErrorsMixin,
    formset_save_through,
    saved_as,
    service_call,
)

from . import services
from .choices import CatalogueStatus
from .models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel


def _catalogue_of(obj) -> RiskCatalogue | None:
    return obj if isinstance(obj, RiskCatalogue) else getattr(obj, "catalogue", None)


def _editable(obj) -> bool:
    catalogue = _catalogue_of(obj)
    return catalogue is None or catalogue.is_editable


def _draft_catalogues():
    return RiskCatalogue.objects.filter(status=CatalogueStatus.DRAFT)


def _with_catalogue(obj) -> str:
    return f"{obj} ({obj.catalogue.name} v{obj.catalogue.version})"


# --- Writes, one per model, each through its services ---------------------------------------------


def _values(form, allowed: set[str]) -> dict:
    return {name: form.cleaned_data[name] for name in form.fields if name in allowed and name in form.cleaned_data}


def _refuse_fixed_changes(form, allowed: set[str]) -> None:
    """Refuse a change to a field that identifies the row (a level's value, a cell's position)."""
    model_fields = {f.name for f in form._meta.model._meta.get_fields()}
    fixed = [name for name in form.changed_data if name in model_fields and name not in allowed]
    if fixed:
        labels = ", ".join(str(form.fields[name].label).lower() for name in fixed)
        raise ValidationError(f"The {labels} of an existing row cannot be changed; add a new one instead.")


def _write_catalogue(obj: RiskCatalogue, form, *, catalogue, add: bool, actor) -> RiskCatalogue:
    if add:  # a new, empty draft: nothing is frozen yet
        values = _values(form, services.CATALOGUE_EDITABLE_FIELDS | {"version"})
        return service_call(services.catalogue_create, actor=actor, **values)
    _refuse_fixed_changes(form, services.CATALOGUE_EDITABLE_FIELDS)
    fresh = RiskCatalogue.objects.get(pk=obj.pk)
    return service_call(
        services.catalogue_update, catalogue=fresh, actor=actor, **_values(form, services.CATALOGUE_EDITABLE_FIELDS)
    )


def _write_category(obj: RiskCategory, form, *, catalogue, add: bool, actor) -> RiskCategory:
    values = _values(form, services.CATEGORY_EDITABLE_FIELDS)
    if add:
        return service_call(services.category_create, catalogue=catalogue, actor=actor, **values)
    _refuse_fixed_changes(form, services.CATEGORY_EDITABLE_FIELDS)
    # A fresh copy: the service compares the stored weight with the new one.
    return service_call(services.category_update, category=RiskCategory.objects.get(pk=obj.pk), actor=actor, **values)


def _write_safeguard(obj: Safeguard, form, *, catalogue, add: bool, actor) -> Safeguard:
    values = _values(form, services.SAFEGUARD_EDITABLE_FIELDS)
    categories = list(form.cleaned_data["categories"]) if "categories" in form.cleaned_data else None
    if add:
        return service_call(
            services.safeguard_create, catalogue=catalogue, actor=actor, categories=categories or (), **values
        )
    _refuse_fixed_changes(form, services.SAFEGUARD_EDITABLE_FIELDS | {"categories"})
    return service_call(
        services.safeguard_update, safeguard=Safeguard.objects.get(pk=obj.pk), actor=actor, categories=categories,
        **values,
    )


SCALE_LEVEL_NEW_FIELDS = {"scale", "value", *services.SCALE_LEVEL_EDITABLE_FIELDS}


def _write_scale_level(obj: ScaleLevel, form, *, catalogue, add: bool, actor) -> ScaleLevel:
    if add:
        values = _values(form, SCALE_LEVEL_NEW_FIELDS)
        return service_call(services.scale_level_create, catalogue=catalogue, actor=actor, **values)
    _refuse_fixed_changes(form, services.SCALE_LEVEL_EDITABLE_FIELDS)
    fresh = ScaleLevel.objects.get(pk=obj.pk)
    return service_call(
        services.scale_level_update, scale_level=fresh, actor=actor,
        **_values(form, services.SCALE_LEVEL_EDITABLE_FIELDS),
    )


def _write_band(obj: Band, form, *, catalogue, add: bool, actor) -> Band:
    values = _values(form, services.BAND_EDITABLE_FIELDS)
    if add:
        return service_call(services.band_create, catalogue=catalogue, actor=actor, **values)
    return service_call(services.band_update, band=Band.objects.get(pk=obj.pk), actor=actor, **values)


def _write_matrix_cell(obj: MatrixCell, form, *, catalogue, add: bool, actor) -> MatrixCell:
    if not add:
        _refuse_fixed_changes(form, {"band"})
    band = form.cleaned_data.get("band", obj.band)
    return service_call(
        services.matrix_cell_set, catalogue=catalogue, actor=actor, likelihood=obj.likelihood, impact=obj.impact,
        band=band,
    )


WRITERS = {
    RiskCatalogue: _write_catalogue,
    RiskCategory: _write_category,
    Safeguard: _write_safeguard,
    ScaleLevel: _write_scale_level,
    Band: _write_band,
    MatrixCell: _write_matrix_cell,
}


DELETERS = {  # the delete service of each model, and the name it gives the row
    RiskCatalogue: ("catalogue_delete", "catalogue"),
    RiskCategory: ("category_delete", "category"),
    Safeguard: ("safeguard_delete", "safeguard"),
    ScaleLevel: ("scale_level_delete", "scale_level"),
    Band: ("band_delete", "band"),
    MatrixCell: ("matrix_cell_delete", "cell"),
}


def _delete(obj, *, actor) -> None:
    service, name = DELETERS[type(obj)]
    service_call(getattr(services, service), actor=actor, **{name: obj})


# --- Permissions and the admin classes ------------------------------------------------------------


class FrozenWhenPublishedMixin(AdministerRequiredMixin):
    """Administrators only; change and delete only while the owning catalogue is a draft."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _editable(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or _editable(obj))

    def has_add_permission(self, request, obj=None):
        args = (request, obj) if isinstance(self, admin.options.InlineModelAdmin) else (request,)
        return super().has_add_permission(*args) and (obj is None or _editable(obj))


class CatalogueContentAdmin(ServiceErrorsAsFormErrorsMixin, FrozenWhenPublishedMixin, admin.ModelAdmin):
    """A standalone page of catalogue content: added to a draft, never moved to another catalogue."""

    readonly_on_change: tuple[str, ...] = ("catalogue",)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + self.readonly_on_change if obj is not None else readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "catalogue":
            kwargs["queryset"] = _draft_catalogues()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        catalogue = obj.catalogue if not isinstance(obj, RiskCatalogue) else obj
        saved_as(obj, WRITERS[type(obj)](obj, form, catalogue=catalogue, add=not change, actor=request.user))

    def save_related(self, request, form, formsets, change):
        # The services wrote the many-to-many links with the row (no ``form.save_m2m()``).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        _delete(obj, actor=request.user)


class ContentInline(FrozenWhenPublishedMixin):
    """An inline of the catalogue page; ``RiskCatalogueAdmin.save_formset`` saves it."""

    extra = 0


class ScaleLevelInline(ContentInline, admin.TabularInline):
    model = ScaleLevel


class BandInline(ContentInline, admin.TabularInline):
    model = Band


class CategoryInline(ContentInline, admin.StackedInline):
    model = RiskCategory
    fields = (("code", "name"), "description", "guidance", ("weight", "display_order"))


class MatrixCellInline(ContentInline, admin.TabularInline):
    model = MatrixCell
    fields = ("likelihood", "impact", "band")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("band")
        if field is not None:  # only this catalogue's bands
            field.queryset = Band.objects.filter(catalogue=obj) if obj else Band.objects.none()
        return formset


@admin.register(RiskCatalogue)
class RiskCatalogueAdmin(CatalogueContentAdmin):
    list_display = ("name", "version", "status", "rollup_method", "published_at", "category_count")
    list_filter = ("status", "rollup_method")
    search_fields = ("name", "description")
    readonly_fields = ("status", "published_at", "retired_at", "created_at", "updated_at")
    readonly_on_change = ("version",)
    inlines = [CategoryInline, ScaleLevelInline, BandInline, MatrixCellInline]
    actions = ["publish", "retire", "new_draft_version"]

    @admin.display(description="Categories")
    def category_count(self, obj):
        return obj.categories.count()

    def get_deleted_objects(self, objs, request):
        """A draft's matrix cells protect its bands only from a deletion of the bands alone: the
        delete service removes a catalogue's cells first, so they do not stop its deletion."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            collector = NestedObjects(using=router.db_for_write(RiskCatalogue))
            collector.collect(objs)
            ids = {obj.pk for obj in objs}
            if all(isinstance(o, MatrixCell) and o.catalogue_id in ids for o in collector.protected):
                protected = []
        return to_delete, model_count, perms_needed, protected

    def save_formset(self, request, form, formset, change):
        """Save an inline through the services: deletions, then changes, then additions."""
        catalogue, write, actor = form.instance, WRITERS[formset.model], request.user
        formset_save_through(
            formset,
            create=lambda f: write(f.instance, f, catalogue=catalogue, add=True, actor=actor),
            update=lambda obj, f: write(obj, f, catalogue=catalogue, add=False, actor=actor),
            delete=lambda obj: _delete(obj, actor=actor),
        )

    def _run(self, request, queryset, service_name: str, done: str):
        service = getattr(services, service_name)
        for catalogue in queryset:
            try:
                service_call(service, catalogue=catalogue, actor=request.user)
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
class RiskCategoryAdmin(CatalogueContentAdmin):
    list_display = ("name", "code", "catalogue", "weight", "display_order")
    list_filter = ("catalogue",)
    search_fields = ("name", "code", "description")
    list_select_related = ("catalogue",)


@admin.register(Safeguard)
class SafeguardAdmin(CatalogueContentAdmin):
    list_display = ("name", "code", "catalogue")
    list_filter = ("catalogue", "categories")
    search_fields = ("name", "code", "description")
    filter_horizontal = ("categories",)
    list_select_related = ("catalogue",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("categories")
        if field is not None:  # the safeguard's own catalogue's categories (on a new one: any draft's)
            catalogues = [obj.catalogue_id] if obj is not None else _draft_catalogues()
            field.queryset = RiskCategory.objects.filter(catalogue__in=catalogues).select_related("catalogue")
            field.label_from_instance = _with_catalogue
        return form


@admin.register(Band)
class BandAdmin(CatalogueContentAdmin):
    list_display = ("label", "code", "rank", "colour", "catalogue")
    list_filter = ("catalogue",)
    search_fields = ("label", "code", "description", "catalogue__name")
    list_select_related = ("catalogue",)


@admin.register(ScaleLevel)
class ScaleLevelAdmin(CatalogueContentAdmin):
    list_display = ("scale", "value", "label", "catalogue")
    list_filter = ("catalogue", "scale")
    search_fields = ("label", "description")
    list_select_related = ("catalogue",)
    readonly_on_change = ("catalogue", "scale", "value")


@admin.register(MatrixCell)
class MatrixCellAdmin(CatalogueContentAdmin):
    list_display = ("catalogue", "likelihood", "impact", "band")
    list_filter = ("catalogue", "band__code")
    search_fields = ("catalogue__name", "band__code", "band__label")
    list_select_related = ("catalogue", "band")
    readonly_on_change = ("catalogue", "likelihood", "impact")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("band")
        if field is not None:  # the cell's own catalogue's bands (on a new cell: any draft's)
            catalogues = [obj.catalogue_id] if obj is not None else _draft_catalogues()
            field.queryset = Band.objects.filter(catalogue__in=catalogues).select_related("catalogue")
            field.label_from_instance = _with_catalogue
        return form
