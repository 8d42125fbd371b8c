"""One JSON shape for every error the API returns, with field-level messages.

    {"status": 400, "code": "invalid", "detail": "2 fields are not valid.",
     "fields": {"ratings[0].residual_impact": ["Choose a level from 1 to 5."]}}

``code`` is stable and meant for programs; ``detail`` and the messages are meant for people.
Services raise Django's ``ValidationError`` and ``PermissionDenied``: they become 400 and 403 here.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag you read: updates need it, so that nobody overwrites a newer version."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "This object changed since you read it: read it again (GET), then retry with its new ETag."
    default_code = "precondition_failed"


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """``{"ratings": [{"x": ["m"]}]}`` -> ``{"ratings[0].x": ["m"]}``; lists of messages stay lists."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            # DRF reports errors of a list of objects by index: ratings[0].field
            name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            out.update(_flatten(value, name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {path or NON_FIELD: [str(item) for item in detail]} if detail else {}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{path}[{index}]"))
        return out
    return {path or NON_FIELD: [str(detail)]}


def error_body(status_code: int, code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "fields": fields or {}}


def _translate(exc):
    """Django's and the services' exceptions as DRF's, keeping their messages."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found, or not yours to see.")
    return exc


def exception_handler(exc, context):
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:  # not an API error: a 500, logged as usual
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop(NON_FIELD, [])
        count = len(fields)
        detail = " ".join(general) or (
            f"{count} field{'s are' if count != 1 else ' is'} not valid." if count else "The request is not valid."
        )
        body = error_body(response.status_code, "invalid", detail, fields)
    elif isinstance(exc, exceptions.NotAuthenticated):
        body = error_body(response.status_code, exc.default_code,
                          "Authentication required: send your API token as 'Authorization: Token <key>'.")
    else:
        message = exc.detail if isinstance(exc.detail, str) else " ".join(_flatten(exc.detail).get(NON_FIELD, []))
        body = error_body(response.status_code, exc.default_code, str(message) or str(exc.default_detail))
    kept = {name: response[name] for name in ("WWW-Authenticate", "Retry-After", "Allow") if response.has_header(name)}
    return Response(body, status=response.status_code, headers=kept)
