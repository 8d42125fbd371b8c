"""Reads of catalogue versions for the API, in the shape its clients get (plain dicts).

A page of catalogues costs seven queries whatever its length: the page, then one each for the
scale levels, bands, matrix cells, categories, safeguards and their links.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from riskboard.permissions import has_any_grant

from ..choices import CatalogueStatus, Scale
from ..models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel

# Drafts are work in progress, curated in the admin: clients see what assessments can use or used.
API_STATUSES = (CatalogueStatus.PUBLISHED, CatalogueStatus.RETIRED)


def catalogues_for_api(*, user) -> QuerySet[RiskCatalogue]:
    """Published and retired catalogue versions, for anyone with a role (none without one)."""
    if not has_any_grant(user):
        return RiskCatalogue.objects.none()
    return RiskCatalogue.objects.filter(status__in=API_STATUSES)


def catalogue_rows(catalogues) -> list[dict]:
    """The API representation of ``catalogues`` (six queries, none when there are none)."""
    catalogues = list(catalogues)
    ids = [c.pk for c in catalogues]
    if not ids:
        return []
    levels: dict[int, dict[str, list]] = defaultdict(lambda: {scale.value: [] for scale in Scale})
    for row in ScaleLevel.objects.filter(catalogue_id__in=ids).order_by("scale", "value").values(
        "catalogue_id", "scale", "value", "label", "description"
    ):
        levels[row.pop("catalogue_id")][row.pop("scale")].append(row)
    bands: dict[int, list] = defaultdict(list)
    for row in Band.objects.filter(catalogue_id__in=ids).order_by("rank").values(
        "catalogue_id", "code", "label", "rank", "colour", "description"
    ):
        bands[row.pop("catalogue_id")].append(row)
    matrix: dict[int, list] = defaultdict(list)
    for catalogue_id, likelihood, impact, band in MatrixCell.objects.filter(catalogue_id__in=ids).order_by(
        "likelihood", "impact"
    ).values_list("catalogue_id", "likelihood", "impact", "band__code"):
        matrix[catalogue_id].append({"likelihood": likelihood, "impact": impact, "band": band})
    links = list(Safeguard.categories.through.objects.filter(safeguard__catalogue_id__in=ids).values_list(
        "safeguard_id", "riskcategory_id"
    ))
    categories: dict[int, list] = defaultdict(list)
    category_codes: dict[int, str] = {}
    for row in RiskCategory.objects.filter(catalogue_id__in=ids).order_by("display_order", "code").values(
        "id", "catalogue_id", "code", "name", "description", "guidance", "weight", "display_order"
    ):
        category_codes[row["id"]] = row["code"]
        categories[row.pop("catalogue_id")].append(row)
    safeguards: dict[int, list] = defaultdict(list)
    safeguard_codes: dict[int, str] = {}
    for row in Safeguard.objects.filter(catalogue_id__in=ids).order_by("name", "code").values(
        "id", "catalogue_id", "code", "name", "description"
    ):
        safeguard_codes[row["id"]] = row["code"]
        row["categories"] = []
        safeguards[row.pop("catalogue_id")].append(row)
    by_safeguard = {row["id"]: row for rows in safeguards.values() for row in rows}
    by_category = {row["id"]: row for rows in categories.values() for row in rows}
    for row in by_category.values():
        row["weight"] = f"{row['weight']:.2f}"
        row["safeguards"] = []
    for safeguard_id, category_id in sorted(links):
        by_safeguard[safeguard_id]["categories"].append(category_codes[category_id])
        by_category[category_id]["safeguards"].append(safeguard_codes[safeguard_id])
    return [
        {
            "id": c.pk,
            "name": c.name,
            "version": c.version,
            "status": c.status,
            "description": c.description,
            "rollup_method": c.rollup_method,
            "rollup_params": c.rollup_params,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "published_at": c.published_at,
            "retired_at": c.retired_at,
            "scales": levels[c.pk],
            "bands": bands[c.pk],
            "matrix": matrix[c.pk],
            "categories": categories[c.pk],
            "safeguards": safeguards[c.pk],
        }
        for c in catalogues
    ]
