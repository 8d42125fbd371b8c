"""Throttling per token (or per signed-in user): 429 with Retry-After once a client exceeds its rate.

Rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``: ``api`` for every request, ``api_heavy``
for expensive reads (CSV exports; views set ``throttle_scope = "api_heavy"`` for others: the heatmap).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

HEAVY = "api_heavy"


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api"

    def allow_request(self, request, view):
        heavy = getattr(view, "throttle_scope", None) == HEAVY or (getattr(request, "accepted_renderer", None) and (
            request.accepted_renderer.format == "csv"
        ))
        self.scope = HEAVY if heavy else "api"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        # Read when asked, not when the class was defined, so that a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        token = getattr(request.user, "api_token", None)
        if token is not None:
            ident = f"token:{token.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
