"""Middleware of riskboard.security; their order is in settings.MIDDLEWARE."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from api.errors import error_body

from . import gate, sessions
from .logs import current_request, current_request_id, request_id_for, request_user_id

request_log = logging.getLogger("riskboard.request")
security_log = logging.getLogger("riskboard.security")


class RequestIdMiddleware:
    """Give the request an id (the client's ``X-Request-ID`` if well-formed), echo it in the
    response, and log one line per request with its status and duration. A 403 is also a
    security event."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        request_token = current_request.set(request)
        id_token = current_request_id.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            status = response.status_code
            level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
            request_log.log(level, "%s %s %s", request.method, request.path, status,
                            extra={"method": request.method, "status": status, "duration_ms": duration_ms,
                                   "user_id": request_user_id(request)})
            if status == 403:
                security_log.warning("Refused (403): %s %s", request.method, request.path,
                                     extra={"event": "forbidden", "method": request.method, "status": status,
                                            "user_id": request_user_id(request)})
            return response
        finally:
            current_request.reset(request_token)
            current_request_id.reset(id_token)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response but static files and the liveness check:
    assessments, scores, the audit trail, the dashboards and the API must not stay in a browser's
    or a proxy's cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.RISKBOARD_CACHEABLE_PREFIXES):
            response["Cache-Control"] = "no-store"
        return response


class SessionLifetimeMiddleware:
    """End a session idle for ``RISKBOARD_SESSION_IDLE_SECONDS`` or older than
    ``RISKBOARD_SESSION_ABSOLUTE_SECONDS``; the login page then says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Pages open to anyone (the login page, the health checks) leave the session alone: the
        # liveness check must not even read it.
        if not getattr(view_func, "login_required", True) or not hasattr(request, "session"):
            return None
        if not request.user.is_authenticated:
            return None
        reason = sessions.expired_reason(request.session)
        if reason is None:
            sessions.touch(request.session)
            return None
        user_id = request.user.pk
        logout(request)
        request.session[sessions.ENDED_KEY] = reason
        security_log.info("Session ended: %s", reason,
                          extra={"event": "session_ended", "reason": reason, "user_id": user_id})
        return None  # signed out now: the login-required middleware that follows sends them to sign in


class AccountGateMiddleware:
    """Before any other page: a password change the administrators asked for, then the second
    factor (to enrol, or to give) when it is required. The account pages, signing out and the
    health checks stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in gate.OPEN_VIEWS:
            return None
        if not hasattr(request, "session") or not request.user.is_authenticated:
            return None
        step = gate.next_step(request)
        if step is None:
            return None
        if request.path.startswith("/api/"):  # the API answers in its own JSON error shape
            return JsonResponse(error_body(403, "permission_denied", gate.API_MESSAGES[step]), status=403)
        return redirect(f"{reverse(gate.STEP_VIEWS[step])}?{urlencode({'next': request.get_full_path()})}")
