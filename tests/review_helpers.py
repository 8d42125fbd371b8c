"""Following the review page's decision links as a manager does: they carry what the page showed."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse


def decision_link(client, name: str, assessment) -> str | None:
    """The review page's link to ``name`` ("assessment-approve" or "assessment-return"), as the
    client's signed-in user would follow it; ``None`` when the page offers no decision."""
    response = client.get(reverse("assessments:assessment-review", args=[assessment.pk]))
    if response.status_code != 200:
        return None
    target = reverse(f"assessments:{name}", args=[assessment.pk])
    found = re.search(rf'href="({re.escape(target)}\?[^"]+)"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def reviewed_token(link: str | None) -> str:
    """What a decision link carries of the review page: the snapshot the decision form posts back."""
    return parse_qs(urlsplit(link).query)["reviewed"][0] if link else ""
