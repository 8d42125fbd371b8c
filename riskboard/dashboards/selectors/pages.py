"""Charts of one object: a partner's profile, an agreement's score over time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F

from assessments import scoring
from assessments.aggregation.catalogue_rules import BandInfo, catalogue_rules
from assessments.choices import AssessmentStatus
from assessments.models import Agreement, Assessment, Partner

from ..filtersets import DashboardFilters
from .portfolio import PartnerRow, assessment_result, partner_category_cells, partner_rows
from .scope import ScoringRules, current_ratings


@dataclass(frozen=True)
class CategoryProfile:
    code: str
    name: str
    tally: scoring.Tally  # the partner's ratings in this category
    median: Decimal | None  # the middle residual score of the category's ratings across the viewer's portfolio


@dataclass(frozen=True)
class PartnerProfile:
    row: PartnerRow | None  # the partner's score over the agreements counted; None if none is
    categories: list[CategoryProfile]

    @property
    def tally(self) -> scoring.Tally:
        return self.row.tally if self.row else scoring.Tally()


def median_of_counts(counts: dict[int, int]) -> Decimal | None:
    """The median of a multiset given as ``{value: how many}``; None when it is empty."""
    total = sum(counts.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        while len(found) < 2 and middle[len(found)] < seen + counts[value]:
            found.append(value)
        seen += counts[value]
    return (Decimal(found[0] + found[1]) / 2).quantize(Decimal("0.01"))


def category_medians(*, filters: DashboardFilters) -> dict[str, Decimal | None]:
    """Per category code, the median residual score (1..25) of the current ratings counted (one query)."""
    histogram: dict[str, dict[int, int]] = {}
    rows = (
        current_ratings(filters=filters).annotate(residual=F("residual_likelihood") * F("residual_impact"))
        .values("category__code", "residual").annotate(n=Count("pk")).order_by()
    )
    for row in rows:
        histogram.setdefault(row["category__code"], {})[row["residual"]] = row["n"]
    return {code: median_of_counts(counts) for code, counts in histogram.items()}


def partner_profile(*, filters: DashboardFilters, rules: ScoringRules, partner: Partner) -> PartnerProfile:
    """The partner's score and category profile over the agreements counted, against the median of
    each category across those agreements' portfolio (three queries)."""
    rows = partner_rows(filters=filters, partner_ids=[partner.pk])
    cells = partner_category_cells(filters=filters, rules=rules, partner_ids=[partner.pk])
    medians = category_medians(filters=filters)
    categories = [
        CategoryProfile(code, name, cells[(partner.pk, code)].tally, medians.get(code))
        for code, name in rules.categories if (partner.pk, code) in cells
    ]
    return PartnerProfile(row=rows[0] if rows else None, categories=categories)


@dataclass(frozen=True)
class ScorePoint:
    assessment: Assessment
    result: scoring.AgreementResult
    band: BandInfo | None  # the headline band, from the assessment's catalogue


def agreement_score_history(*, agreement: Agreement) -> list[ScorePoint]:
    """The score of each approved assessment of the agreement, oldest first, by its catalogue's rules
    as they are now (three queries)."""
    assessments = list(
        Assessment.objects.filter(agreement=agreement, status=AssessmentStatus.APPROVED)
        .order_by("approved_at", "pk")
        .prefetch_related("ratings")
    )
    rules = catalogue_rules(catalogue_ids={a.catalogue_id for a in assessments}) if assessments else {}
    points = []
    for assessment in assessments:
        result = assessment_result(assessment=assessment, rules=rules)
        if result is not None:
            points.append(ScorePoint(assessment, result, rules[assessment.catalogue_id].bands.get(result.band_rank)))
    return points
