"""Admin for catalogues, for administrators (``riskboard.admin_mixins``).

A published or retired catalogue is shown read-only: it is frozen. Every save goes through
``catalogue.services``, which re-checks the freeze under the catalogue's row lock; the few writes
that have no service of their own (bands, new scale levels, deletions) take the same lock and
check first. A refusal shows on the form, never as a server error.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from riskboard.admin_mixins import AdministerRequiredMixin, ServiceErrorsAsFormErrorsMixin

from . import services
from .choices import CatalogueStatus
from .models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel


def _catalogue_of(obj) -> RiskCatalogue | None:
    return obj if isinstance(obj, RiskCatalogue) else getattr(obj, "catalogue", None)


def _editable(obj) -> bool:
    catalogue = _catalogue_of(obj)
    return catalogue is None or catalogue.is_editable


def _ensure_editable(catalogue: RiskCatalogue) -> None:
    """The services' freeze check, under the catalogue's row lock (call inside a transaction)."""
    services.catalogue_require_draft(catalogue=catalogue)


def _draft_catalogues():
    return RiskCatalogue.objects.filter(status=CatalogueStatus.DRAFT)


def _with_catalogue(obj) -> str:
    return f"{obj} ({obj.catalogue.name} v{obj.catalogue.version})"


# --- Writes, one per model: each calls the service, or locks and checks when there is none ------


def _values(form, allowed: set[str]) -> dict:
    return {name: form.cleaned_data[name] for name in form.fields if name in allowed and name in form.cleaned_data}


def _refuse_fixed_changes(form, allowed: set[str]) -> None:
    """Refuse a change to a field that identifies the row (a level's value, a cell's position)."""
    model_fields = {f.name for f in form._meta.model._meta.get_fields()}
    fixed = [name for name in form.changed_data if name in model_fields and name not in allowed]
    if fixed:
        labels = ", ".join(str(form.fields[name].label).lower() for name in fixed)
        raise ValidationError(f"The {labels} of an existing row cannot be changed; add a new one instead.")


def _write_catalogue(obj: RiskCatalogue, form, *, catalogue, add: bool) -> RiskCatalogue:
    if add:  # a new, empty draft: nothing is frozen yet
        obj.status = CatalogueStatus.DRAFT
        obj.full_clean()
        obj.save()
        return obj
    _refuse_fixed_changes(form, services.CATALOGUE_EDITABLE_FIELDS)
    fresh = RiskCatalogue.objects.get(pk=obj.pk)
    return services.catalogue_update(catalogue=fresh, **_values(form, services.CATALOGUE_EDITABLE_FIELDS))


def _write_category(obj: RiskCategory, form, *, catalogue, add: bool) -> RiskCategory:
    values = _values(form, services.CATEGORY_EDITABLE_FIELDS)
    if add:
        return services.category_create(catalogue=catalogue, **values)
    _refuse_fixed_changes(form, services.CATEGORY_EDITABLE_FIELDS)
    # A fresh copy: the service compares the stored weight with the new one.
    return services.category_update(category=RiskCategory.objects.get(pk=obj.pk), **values)


def _write_safeguard(obj: Safeguard, form, *, catalogue, add: bool) -> Safeguard:
    values = _values(form, services.SAFEGUARD_EDITABLE_FIELDS)
    categories = list(form.cleaned_data["categories"]) if "categories" in form.cleaned_data else None
    if add:
        return services.safeguard_create(catalogue=catalogue, categories=categories or (), **values)
    _refuse_fixed_changes(form, services.SAFEGUARD_EDITABLE_FIELDS | {"categories"})
    return services.safeguard_update(safeguard=Safeguard.objects.get(pk=obj.pk), categories=categories, **values)


def _write_scale_level(obj: ScaleLevel, form, *, catalogue, add: bool) -> ScaleLevel:
    if add:  # no service adds a level (a draft copied from a catalogue has all ten)
        _ensure_editable(catalogue)
        obj.catalogue = catalogue
        obj.full_clean()
        obj.save()
        return obj
    _refuse_fixed_changes(form, services.SCALE_LEVEL_EDITABLE_FIELDS)
    fresh = ScaleLevel.objects.get(pk=obj.pk)
    return services.scale_level_update(scale_level=fresh, **_values(form, services.SCALE_LEVEL_EDITABLE_FIELDS))


def _write_band(obj: Band, form, *, catalogue, add: bool) -> Band:
    _ensure_editable(catalogue)  # no service writes bands
    obj.catalogue = catalogue
    obj.full_clean()
    obj.save()
    return obj


def _write_matrix_cell(obj: MatrixCell, form, *, catalogue, add: bool) -> MatrixCell:
    if not add:
        _refuse_fixed_changes(form, {"band"})
    band = form.cleaned_data.get("band", obj.band)
    return services.matrix_cell_set(catalogue=catalogue, likelihood=obj.likelihood, impact=obj.impact, band=band)


WRITERS = {
    RiskCatalogue: _write_catalogue,
    RiskCategory: _write_category,
    Safeguard: _write_safeguard,
    ScaleLevel: _write_scale_level,
    Band: _write_band,
    MatrixCell: _write_matrix_cell,
}


def _saved_as(obj, saved) -> None:
    """Point the admin's instance at the row the service wrote (for its redirect and its log)."""
    obj.pk = saved.pk
    obj._state.adding = False


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
        _saved_as(obj, WRITERS[type(obj)](obj, form, catalogue=catalogue, add=not change))

    def save_related(self, request, form, formsets, change):
        # The services wrote the many-to-many links with the row; these pages have no inlines.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:  # the catalogue was published meanwhile
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def delete_model(self, request, obj):
        _ensure_editable(_catalogue_of(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            ids = queryset.values("pk") if queryset.model is RiskCatalogue else queryset.values("catalogue_id")
            try:
                for catalogue in RiskCatalogue.objects.filter(pk__in=ids):
                    _ensure_editable(catalogue)
            except ValidationError as error:
                raise PermissionDenied(" ".join(error.messages)) from error
            super().delete_queryset(request, queryset)


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

    def save_formset(self, request, form, formset, change):
        """Save an inline through the services: deletions, then changes, then additions."""
        catalogue, write = form.instance, WRITERS[formset.model]
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms if formset.can_delete else []
        for inline_form in formset.initial_forms:
            obj = inline_form.instance
            try:
                if inline_form in deleted:
                    _ensure_editable(catalogue)
                    obj.delete()
                    formset.deleted_objects.append(obj)
                elif inline_form.has_changed():
                    write(obj, inline_form, catalogue=catalogue, add=False)
                    formset.changed_objects.append((obj, inline_form.changed_data))
            except ValidationError as error:
                raise self._about(obj, error) from error
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed() or inline_form in deleted:
                continue
            obj = inline_form.instance
            try:
                _saved_as(obj, write(obj, inline_form, catalogue=catalogue, add=True))
            except ValidationError as error:
                raise self._about(obj, error) from error
            formset.new_objects.append(obj)

    @staticmethod
    def _about(obj, error: ValidationError) -> ValidationError:
        name = obj._meta.verbose_name
        if hasattr(error, "error_dict"):
            return ValidationError(
                [f"{name} {obj}: {field}: {m}" for field, errors in error.message_dict.items() for m in errors]
            )
        return ValidationError([f"{name} {obj}: {m}" for m in error.messages])

    def _run(self, request, queryset, service_name: str, done: str):
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
