"""Requests refused before any view runs."""

from __future__ import annotations

import logging

from django.http import JsonResponse, QueryDict
from django.shortcuts import render

logger = logging.getLogger(__name__)

NUL = "\x00"


def _nul_in(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def nul_location(request) -> str | None:
    """Where the request carries a NUL character, in words (``None`` when it carries none)."""
    if NUL in request.path_info or NUL in request.path:
        return "The address"
    if _nul_in(request.GET):
        return "The query string"
    if request.method == "POST" and _nul_in(request.POST):  # parsed once; the views reuse it
        return "The form data"
    if any(NUL in key or NUL in value for key, value in request.COOKIES.items()):
        return "A cookie"
    return None


class RejectNulMiddleware:
    """Answer 400 to a request with a NUL character in its path, query string, form data or cookies.

    No page of Riskboard takes one, and PostgreSQL cannot hold one in a text value: a NUL that
    reached a query (``/scores/categories/%00/``) failed there with a server error instead of a
    plain refusal. Checked here, once, rather than in every view; it goes before the session
    middleware, so a NUL in the session cookie never reaches the session table either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_location(request)
        if where is None:
            return self.get_response(request)
        logger.info("Refused a request: %s contains a NUL character (%r).", where.lower(), request.path[:200])
        if request.path_info.startswith("/api/"):  # the API answers every error in its one JSON shape
            from api.errors import error_body

            return JsonResponse(error_body(400, "invalid", f"{where} contains a NUL character: remove it."),
                                status=400)
        return render(request, "400_nul.html", {"where": where}, status=400)
