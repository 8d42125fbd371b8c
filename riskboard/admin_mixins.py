"""What every admin page of Riskboard's own models shares: who may use it, read-only pages, and
writes through the services, whose refusals show on the page.

Who may use the admin is decided by ``riskboard.permissions`` (the one place): the role must allow
``Action.ADMINISTER`` everywhere, which administrators and superusers have. Django's model
permissions still apply on top, so a staff account needs both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from .forms import form_add_service_error
from .permissions import Action, can

# Set on the request when a service refused a save; the retried view shows it on the form.
_SERVICE_ERROR_ATTR = "_riskboard_admin_service_error"


def may_administer(request) -> bool:
    """May the user behind ``request`` use the admin of Riskboard's models?"""
    return can(request.user, Action.ADMINISTER, None)


class AdministerRequiredMixin:
    """For ``ModelAdmin`` and inlines: nothing is listed, shown or written without ADMINISTER."""

    def has_module_permission(self, request):
        return may_administer(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return may_administer(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):  # inlines also receive the parent object
        return may_administer(request) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return may_administer(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_administer(request) and super().has_delete_permission(request, obj)


class ReadOnlyAdminMixin:
    """For ``ModelAdmin`` and inlines: view only, no add, change or delete (put it first in the bases)."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def service_call(service: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Call a write service for the admin. Its refusal of the actor (``PermissionDenied``) is
    reported like its other refusals (a ``ValidationError``), on the page: the admin's own
    permission checks still answer 403."""
    try:
        return service(**kwargs)
    except PermissionDenied as error:
        raise ValidationError(str(error) or "Your role does not allow this change.", code="permission") from error


def saved_as(obj, saved) -> None:
    """Point the admin's instance at the row a service wrote (for its redirect and its log)."""
    obj.pk = saved.pk
    obj._state.adding = False


def _about(obj, error: ValidationError) -> ValidationError:
    """``error`` with every message prefixed by the row it is about (an inline row)."""
    name = obj._meta.verbose_name
    if hasattr(error, "error_dict"):
        return ValidationError(
            [f"{name} {obj}: {field}: {m}" for field, errors in error.message_dict.items() for m in errors]
        )
    return ValidationError([f"{name} {obj}: {m}" for m in error.messages])


def formset_save_through(
    formset,
    *,
    create: Callable[[Any], Any],
    update: Callable[[Any, Any], Any],
    delete: Callable[[Any], None],
) -> None:
    """Save an inline formset one service call per row: deletions, then changes, then additions.

    ``create(form)`` returns the new row, ``update(obj, form)`` changes ``obj``, ``delete(obj)``
    deletes it. A refusal names its row; the admin's transaction then rolls every row back. The
    formset's ``new_objects``, ``changed_objects`` and ``deleted_objects`` are set for the admin's
    change message.
    """
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        obj = form.instance
        try:
            if form in deleted:
                delete(obj)
                formset.deleted_objects.append(obj)
            elif form.has_changed():
                update(obj, form)
                formset.changed_objects.append((obj, form.changed_data))
        except ValidationError as error:
            raise _about(obj, error) from error
    for form in formset.extra_forms:
        if not form.has_changed() or form in deleted:
            continue
        obj = form.instance
        try:
            saved_as(obj, create(form))
        except ValidationError as error:
            raise _about(obj, error) from error
        formset.new_objects.append(obj)


class ServiceErrorsAsFormErrorsMixin:
    """For ``ModelAdmin`` whose writes call services: what a service refuses shows on the page,
    never as a server error, and changes nothing.

    - Saving (``save_model``, ``save_related``, ``save_formset``) runs inside the admin's
      transaction, so a ``ValidationError`` rolls everything back; the view is then run again with
      the error attached to the form, which makes the form invalid and shows the user's input with
      the message.
    - Deleting one object (``delete_model``) or several (an action such as "delete selected", run
      here in one transaction): the refusal shows as an error message, and nothing is deleted.

    Call services through ``service_call`` so that their ``PermissionDenied`` is shown the same way.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, _SERVICE_ERROR_ATTR):
                raise
            setattr(request, _SERVICE_ERROR_ATTR, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, _SERVICE_ERROR_ATTR, None)
        if error is None:
            return form_class

        class FormWithServiceError(form_class):
            def clean(self):
                cleaned = super().clean()
                form_add_service_error(self, error)
                return cleaned

        FormWithServiceError.__name__ = form_class.__name__
        return FormWithServiceError

    def _refused(self, request, error: ValidationError, url: str) -> HttpResponseRedirect:
        self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(url)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:  # the admin's transaction is rolled back
            opts = self.opts
            return self._refused(request, error, reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id], current_app=self.admin_site.name
            ))

    def response_action(self, request, queryset):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except ValidationError as error:  # nothing of the action stays, its log entries included
            return self._refused(request, error, request.get_full_path())

    def delete_queryset(self, request, queryset):
        """One ``delete_model`` per object, so that each deletion goes through its service."""
        for obj in queryset:
            self.delete_model(request, obj)
