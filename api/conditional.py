"""ETags and conditional requests.

- Every object and list page answers with an ``ETag``; ``If-None-Match`` with it answers 304.
  Assessments' ETags come from their ``version`` (``"v7"``); other responses' are a hash of the body.
- Updates need ``If-Match`` with the ETag the client read: 428 without it, 412 when stale. The
  service's optimistic lock (one conditional UPDATE) decides in the end, so two clients sending the
  same ``If-Match`` at once get one 200 and one 412.
"""

from __future__ import annotations

import hashlib
import re

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags

from .errors import PreconditionFailed, PreconditionRequired

_VERSION_ETAG = re.compile(r'^(?:W/)?"v(\d{1,18})"$')


def version_etag(version: int) -> str:
    return f'"v{version}"'


def body_etag(content: bytes) -> str:
    return f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def not_modified(request, etag: str) -> HttpResponseNotModified | None:
    """A 304 when the client's ``If-None-Match`` names ``etag`` (compared weakly, as RFC 9110 says)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header or request.method not in ("GET", "HEAD"):
        return None
    tags = parse_etags(header)
    if "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    return None


def required_version(request, current_version: int) -> int:
    """The version the client read, from ``If-Match``: 428 when absent, 412 when it is not current.

    A proxy may have weakened the ETag (``W/"v7"``): it still names version 7, so it is accepted.
    ``*`` is refused: an update must say which version it was decided on.
    """
    header = request.META.get("HTTP_IF_MATCH", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    versions = set()
    for tag in (part.strip() for part in header.split(",")):
        match = _VERSION_ETAG.match(tag)
        if match is None:
            raise PreconditionFailed(
                f"If-Match must be the ETag of this object as you read it, such as {version_etag(current_version)}."
            )
        versions.add(int(match.group(1)))
    if current_version not in versions:
        raise PreconditionFailed()
    return current_version
