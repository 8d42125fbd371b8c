"""What every admin page of Riskboard's own models shares: who may use it, read-only pages, and
service errors shown on the form.

Who may use the admin is decided by ``riskboard.permissions`` (the one place): the role must allow
``Action.ADMINISTER`` everywhere, which administrators and superusers have. Django's model
permissions still apply on top, so a staff account needs both.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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


def form_add_service_error(form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: on its field when the form has that field,
    else among the form's own errors, prefixed with the field's name."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        messages = [m for e in errors for m in ValidationError(e).messages]
        if name in form.fields:
            form.add_error(name, messages)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, messages)
        else:
            form.add_error(None, [f"{name}: {m}" for m in messages])


class ServiceErrorsAsFormErrorsMixin:
    """For ``ModelAdmin`` whose saves call services: a ``ValidationError`` raised while saving
    (by ``save_model``, ``save_related`` or ``save_formset``) shows on the form instead of a 500.

    Saving runs inside the admin's transaction, so the error rolls everything back; the view is
    then run again with the error attached to the form, which makes the form invalid and shows
    the user's input with the message.
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

