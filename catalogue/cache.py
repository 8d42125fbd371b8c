"""Reads that are the same for every user and change only when a catalogue version is published or
retired (the risk matrix, scales, bands, scoring rules), kept in Django's cache.

Every key carries a *generation*, a random token stored in the cache itself; publishing or retiring
a version replaces it once the transaction commits (``catalogue_cache_invalidate``), so every
process reads the new catalogue on its next request. A published or retired version's contents
are frozen (``catalogue.services``), so a read of one version by id needs no invalidation at all;
a draft's reads are never cached.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

from .choices import CatalogueStatus
from .models import RiskCatalogue

T = TypeVar("T")

GENERATION_KEY = "riskboard:catalogue:generation"
# A day: the generation, not the timeout, keeps reads current; the timeout only frees memory.
TIMEOUT_S = 24 * 3600
_MISSING = object()


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # First use, or evicted: start a new generation (every older key becomes unreachable).
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _key(name: str, generation: str) -> str:
    return f"riskboard:catalogue:{generation}:{name}"


def catalogue_cache_clear() -> None:
    """Start a new generation now: every cached catalogue read is read again."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def catalogue_cache_invalidate() -> None:
    """Start a new generation now (this transaction's own reads see the change) and again once it
    commits (a read by another process in between cached what was committed before)."""
    catalogue_cache_clear()
    transaction.on_commit(catalogue_cache_clear)


def catalogue_cached(name: str) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Cache a read without arguments whose result depends only on published and retired catalogue
    versions. The undecorated function stays available as ``.uncached``."""

    def decorate(read: Callable[[], T]) -> Callable[[], T]:
        @functools.wraps(read)
        def cached() -> T:
            key = _key(name, _generation())
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = read()
                cache.set(key, value, TIMEOUT_S)
            return value

        cached.uncached = read
        return cached

    return decorate


def catalogue_version_cached(name: str, catalogue_id: int, read: Callable[[], T]) -> T:
    """``read()`` of one catalogue version, cached when that version is frozen (published or retired)."""
    key = _key(f"{name}:{int(catalogue_id)}", _generation())
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = read()
        if RiskCatalogue.objects.filter(pk=catalogue_id).exclude(status=CatalogueStatus.DRAFT).exists():
            cache.set(key, value, TIMEOUT_S)
    return value
