"""Reads for the API's endpoints, in the shape its clients get: plain dicts, built in bulk.

Every function serves a page of rows in a fixed number of queries, whatever its length. Rows are
read with ``values()`` and assembled here rather than by DRF serializers, which cost several times
the query itself on a page of a hundred assessments with their ratings (``bench/api.py``); the
serializers in ``serializers.py`` document the same shape, and the schema tests hold the two together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from catalogue.models import RiskCategory
from riskboard.permissions import Action, visible_team_ids

from .. import scoring
from ..aggregation.catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels
from ..models import Agreement, Assessment, Partner, Rating
from ..rules import LEVEL_FIELDS
from ..selectors import partners_visible_to

# --- Partners ----------------------------------------------------------------------------------

PARTNER_FIELDS = ("id", "name", "kind", "country", "region", "notes", "created_at", "updated_at")


def partners_for_api(*, user) -> QuerySet[Partner]:
    """Every partner for those who see every team; otherwise the partners of the agreements they see."""
    if visible_team_ids(user, Action.VIEW) is None:
        return Partner.objects.all()
    return partners_visible_to(user=user)


def partner_rows(partners: Iterable[dict]) -> list[dict]:
    """Rows of ``partners_for_api(...).values(*PARTNER_FIELDS)``: already in shape (no query)."""
    return [{**row, "country": str(row["country"] or "")} for row in partners]


# --- Agreements --------------------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "id", "reference", "title", "kind", "classification", "status", "owner_team_id", "owner_team__slug",
    "owner_team__name", "start_date", "end_date", "notice_period_days", "description", "created_at", "updated_at",
)


def agreement_rows(agreements: Iterable[dict]) -> list[dict]:
    """Rows of ``agreements.values(*AGREEMENT_FIELDS)`` with their partners (one query)."""
    agreements = list(agreements)
    partners: dict[int, list[dict]] = defaultdict(list)
    if agreements:
        links = Agreement.partners.through.objects.filter(agreement_id__in=[a["id"] for a in agreements])
        for agreement_id, partner_id, name in links.order_by("partner__name").values_list(
            "agreement_id", "partner_id", "partner__name"
        ):
            partners[agreement_id].append({"id": partner_id, "name": name})
    return [
        {
            "id": a["id"],
            "reference": a["reference"],
            "title": a["title"],
            "kind": a["kind"],
            "classification": a["classification"],
            "status": a["status"],
            "owner_team": {"id": a["owner_team_id"], "slug": a["owner_team__slug"], "name": a["owner_team__name"]},
            "partners": partners[a["id"]],
            "start_date": a["start_date"],
            "end_date": a["end_date"],
            "notice_period_days": a["notice_period_days"],
            "description": a["description"],
            "created_at": a["created_at"],
            "updated_at": a["updated_at"],
        }
        for a in agreements
    ]


# --- Assessments -------------------------------------------------------------------------------

ASSESSMENT_FIELDS = (
    "id", "agreement_id", "agreement__reference", "agreement__owner_team_id", "catalogue_id", "status", "as_of",
    "version", "reviewer__username", "review_comment", "previous_id", "next_review_date", "created_at", "updated_at",
    "submitted_at", "approved_at",
)
RATING_FIELDS = (
    "id", "assessment_id", "category_id", *LEVEL_FIELDS, "confidence", "safeguards_other", "rationale", "evidence",
    "updated_at",
)


def assessments_for_api(*, user, action: Action = Action.VIEW) -> QuerySet[Assessment]:
    return Assessment.objects.restrict(user, action)


def _centi(value: int | None) -> str | None:
    return None if value is None else f"{scoring.centi_to_decimal(value):.2f}"


def _result(ratings: list[tuple[dict, str, int]], rules) -> dict | None:
    """The assessment's roll-up by its catalogue's rules, as the agreement's score would be if it
    were approved as it stands; None until every category is fully rated."""
    if len(ratings) != len(rules.categories) or not all(
        all(r[name] is not None for name in LEVEL_FIELDS) for r, _, _ in ratings
    ):
        return None
    inputs = [rating_levels([r[column] for column in RATING_COLUMNS], categories=rules.categories)
              for r, *_ in ratings]
    result = scoring.agreement_score(inputs, matrix=rules.matrix, rollup=rules.rollup, widening=confidence_widening())
    if result is None:
        return None

    def band(rank):
        info = rules.bands.get(rank)
        return info.code if info else None

    return {
        "score": _centi(result.score_c),
        "score_low": _centi(result.score_low_c),
        "score_high": _centi(result.score_high_c),
        "inherent_score": _centi(result.inherent_score_c),
        "band": band(result.band_rank),
        "band_low": band(result.band_rank_low),
        "band_high": band(result.band_rank_high),
        "worst_band": band(result.worst_rank),
    }


def assessment_rows(assessments: Iterable[dict]) -> list[dict]:
    """Rows of ``assessments.values(*ASSESSMENT_FIELDS)`` with their ratings, each rating's scores
    and bands, and the roll-up (four queries, and one for the catalogues' rules)."""
    assessments = list(assessments)
    ids = [a["id"] for a in assessments]
    if not ids:
        return []
    catalogue_ids = {a["catalogue_id"] for a in assessments}
    rules = catalogue_rules(catalogue_ids=catalogue_ids)
    display_order = {
        category_id: index
        for index, category_id in enumerate(
            RiskCategory.objects.filter(catalogue_id__in=catalogue_ids).order_by("display_order", "code")
            .values_list("id", flat=True)
        )
    }
    ratings: dict[int, list[dict]] = defaultdict(list)
    for row in Rating.objects.filter(assessment_id__in=ids).order_by().values(*RATING_FIELDS):
        ratings[row["assessment_id"]].append(row)
    safeguards: dict[int, list[str]] = defaultdict(list)
    for rating_id, code in Rating.safeguards.through.objects.filter(rating__assessment_id__in=ids).order_by(
        "safeguard__code"
    ).values_list("rating_id", "safeguard__code"):
        safeguards[rating_id].append(code)
    authors: dict[int, list[str]] = defaultdict(list)
    for assessment_id, username in Assessment.authors.through.objects.filter(assessment_id__in=ids).order_by(
        "user__username"
    ).values_list("assessment_id", "user__username"):
        authors[assessment_id].append(username)
    return [
        _assessment_row(a, ratings[a["id"]], safeguards, authors[a["id"]], rules[a["catalogue_id"]], display_order)
        for a in assessments
    ]


def _assessment_row(
    a: dict, ratings: list[dict], safeguards: dict[int, list[str]], authors: list[str], rules,
    display_order: dict[int, int],
) -> dict:
    matrix, bands = rules.matrix, rules.bands
    categories = dict(sorted(rules.categories.items(), key=lambda item: display_order[item[0]]))
    ratings = sorted(ratings, key=lambda r: display_order[r["category_id"]])
    out, scored = [], []
    for r in ratings:
        code, weight = categories[r["category_id"]]
        scored.append((r, code, weight))
        il, ii, rl, ri = (r[name] for name in LEVEL_FIELDS)
        inherent_rank = matrix.band(il, ii) if il is not None and ii is not None else None
        residual_rank = matrix.band(rl, ri) if rl is not None and ri is not None else None
        out.append({
            "category": code,
            "inherent_likelihood": il,
            "inherent_impact": ii,
            "residual_likelihood": rl,
            "residual_impact": ri,
            "inherent_score": il * ii if inherent_rank else None,
            "residual_score": rl * ri if residual_rank else None,
            "inherent_band": bands[inherent_rank].code if inherent_rank else None,
            "residual_band": bands[residual_rank].code if residual_rank else None,
            "confidence": r["confidence"],
            "safeguards": safeguards.get(r["id"], []),
            "safeguards_other": r["safeguards_other"],
            "rationale": r["rationale"],
            "evidence": r["evidence"],
            "updated_at": r["updated_at"],
        })
    rated = {r["category_id"] for r in ratings if all(r[name] is not None for name in LEVEL_FIELDS)}
    return {
        "id": a["id"],
        "agreement": {"id": a["agreement_id"], "reference": a["agreement__reference"]},
        "team_id": a["agreement__owner_team_id"],
        "catalogue": a["catalogue_id"],
        "status": a["status"],
        "as_of": a["as_of"],
        "version": a["version"],
        "authors": authors,
        "reviewer": a["reviewer__username"],
        "review_comment": a["review_comment"],
        "previous": a["previous_id"],
        "next_review_date": a["next_review_date"],
        "created_at": a["created_at"],
        "updated_at": a["updated_at"],
        "submitted_at": a["submitted_at"],
        "approved_at": a["approved_at"],
        "missing_categories": [code for category_id, (code, _) in categories.items() if category_id not in rated],
        "result": _result(scored, rules),
        "ratings": out,
    }
