"""What every form showing a service's refusal shares (views and the admin alike)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


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
