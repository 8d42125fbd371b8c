"""The client's address: the peer, or the address a trusted proxy in front of us saw."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address the request came from.

    With ``RISKBOARD_TRUSTED_PROXY_COUNT`` = n > 0, the n-th address from the right of
    ``X-Forwarded-For`` (each trusted proxy appends the address it saw): anything further left
    was written by the client and could be forged, so it is never used. Lockouts count failures
    per (username, this address): a forged address would let a guesser escape the count, or
    lock someone else out.
    """
    peer = _valid(request.META.get("REMOTE_ADDR", "") or "")
    proxies = settings.RISKBOARD_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return peer
    return _valid(forwarded[-proxies]) or peer
