"""What every dashboard read starts from: the agreements a user may see, and the scoring rules.

The *filtered path*: the current-state charts (heatmap, matrix, distribution, top agreements)
are summed in SQL, on the fly, from the stored score of each agreement the viewer may see
(``AgreementScore``) and the ratings of the assessment that score names. They are scoped by
construction (everything starts from ``Agreement.objects.restrict(user)``), honour every filter,
and add up with the same integer rules as the stored aggregates (``scoring.Tally``), so that a
stored per-team aggregate for the same teams must equal them (tests/dashboards check this).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Greatest, Least, Substr
from django.db.models.lookups import Exact

from assessments import scoring
from assessments.aggregation.catalogue_rules import BandInfo, CatalogueRules, catalogue_rules, confidence_widening
from assessments.models import AgreementScore, Rating
from assessments.models.querysets import COMPLETE_RATING
from catalogue.cache import catalogue_cached
from catalogue.choices import CatalogueStatus
from catalogue.models import SCALE_MAX, SCALE_MIN, RiskCategory

from ..filtersets import DashboardFilters

RANKS = range(1, scoring.MAX_BAND_RANK + 1)


@dataclass(frozen=True)
class DisplayScale:
    """How an aggregate that spans catalogue versions is shown: the newest published catalogue's
    bands (labels, colours) and its matrix, whose thresholds band a mean score."""

    bands: Mapping[int, BandInfo]
    matrix: scoring.Matrix | None

    def band(self, rank: int | None) -> BandInfo | None:
        return self.bands.get(rank) if rank else None

    def band_of_mean(self, tally: scoring.Tally) -> BandInfo | None:
        """The band of a tally's mean score as shown (rounded to hundredths): 10.00 is High on the
        standard matrix even when the exact mean is 9.996, so the colour agrees with the number."""
        centi = scoring.mean_centi(tally.score_sum_c, tally.n)
        if centi is None or self.matrix is None:
            return None
        return self.bands.get(self.matrix.band_for_mean(centi, 100))

    @property
    def ordered(self) -> list[BandInfo]:
        """The bands, least severe first."""
        return [self.bands[rank] for rank in sorted(self.bands)]


@dataclass(frozen=True)
class ScoringRules:
    """The rules of every catalogue version assessments may use, read once per request (two queries)."""

    by_catalogue: Mapping[int, CatalogueRules]
    scale: DisplayScale
    categories: tuple[tuple[str, str], ...]  # (code, name): the newest catalogue's in display order, then older codes

    @property
    def category_names(self) -> dict[str, str]:
        return dict(self.categories)


@catalogue_cached("scoring_rules")  # the same for everyone, read by every dashboard request
def scoring_rules() -> ScoringRules:
    """Rules of the published (and retired) catalogue versions, and the display scale (two queries)."""
    rows = list(
        RiskCategory.objects.exclude(catalogue__status=CatalogueStatus.DRAFT)
        .order_by(F("catalogue__published_at").desc(nulls_last=True), "-catalogue_id", "display_order", "code")
        .values_list("catalogue_id", "code", "name")
    )
    ids = list(dict.fromkeys(row[0] for row in rows))
    rules = catalogue_rules(catalogue_ids=ids) if ids else {}
    newest = rules.get(ids[0]) if ids else None
    names: dict[str, str] = {}
    for _, code, name in rows:
        names.setdefault(code, name)
    return ScoringRules(
        by_catalogue=rules,
        scale=DisplayScale(bands=dict(newest.bands) if newest else {}, matrix=newest.matrix if newest else None),
        categories=tuple(names.items()),
    )


def scored_agreements(*, filters: DashboardFilters) -> QuerySet[AgreementScore]:
    """The stored scores of the agreements the dashboard counts (visible to the user, filtered)."""
    return AgreementScore.objects.filter(agreement_id__in=filters.agreements.values("pk"))


def current_ratings(*, filters: DashboardFilters) -> QuerySet[Rating]:
    """The complete ratings of the assessments those scores were computed from."""
    return Rating.objects.filter(COMPLETE_RATING, assessment_id__in=scored_agreements(filters=filters).values(
        "assessment_id"
    ))


# --- Tallies in SQL, as scoring.Tally adds them ------------------------------------------------


def agreement_tally_aggregates() -> dict:
    """Aggregates over ``AgreementScore`` rows giving ``scoring.Tally`` fields (each agreement once,
    by its headline band ``band_rank``): what partner and portfolio tallies count."""
    return {
        "n": Count("pk"),
        "score_sum_c": Sum("score_c"),
        "score_low_sum_c": Sum("score_low_c"),
        "score_high_sum_c": Sum("score_high_c"),
        "inherent_sum_c": Sum("inherent_score_c"),
        **{f"band_{k}": Sum(Case(When(band_rank=k, then=Value(1)), default=Value(0))) for k in RANKS},
    }


def _widening() -> Case:
    cases = [When(confidence=conf, then=Value(int(levels))) for conf, levels in sorted(confidence_widening().items())]
    return Case(*cases, default=Value(0), output_field=IntegerField())


def rating_tally_aggregates(rules: Mapping[int, CatalogueRules], *, assessment: str = "assessment") -> dict:
    """Aggregates over ``Rating`` rows giving ``scoring.Tally`` fields (each rating once), as
    ``scoring.rating_score`` scores a rating: its confidence range clamped to the scale, its band
    read from its own catalogue's matrix (the grid, as the full recompute reads it)."""
    rl, ri = F("residual_likelihood"), F("residual_impact")
    w = _widening()
    low_l, low_i = Greatest(rl - w, Value(SCALE_MIN)), Greatest(ri - w, Value(SCALE_MIN))
    high_l, high_i = Least(rl + w, Value(SCALE_MAX)), Least(ri + w, Value(SCALE_MAX))
    grid = Case(
        *[When(**{f"{assessment}__catalogue_id": cid}, then=Value(r.matrix.grid()))
          for cid, r in sorted(rules.items())],
        default=Value(""), output_field=CharField(),
    )
    size = SCALE_MAX - SCALE_MIN + 1
    rank = Cast(Substr(grid, (rl - SCALE_MIN) * size + ri - SCALE_MIN + 1, 1), IntegerField())
    return {
        "n": Count("pk"),
        "score_sum_c": Sum(100 * rl * ri),
        "score_low_sum_c": Sum(100 * low_l * low_i),
        "score_high_sum_c": Sum(100 * high_l * high_i),
        "inherent_sum_c": Sum(100 * F("inherent_likelihood") * F("inherent_impact")),
        **{f"band_{k}": Sum(Case(When(Exact(rank, k), then=Value(1)), default=Value(0))) for k in RANKS},
    }


def tally_from(row: Mapping) -> scoring.Tally:
    """A ``scoring.Tally`` from a row of those aggregates (no fingerprint: pages do not show it)."""
    if not row.get("n"):
        return scoring.Tally()
    return scoring.Tally(
        n=row["n"],
        score_sum_c=int(row["score_sum_c"]),
        score_low_sum_c=int(row["score_low_sum_c"]),
        score_high_sum_c=int(row["score_high_sum_c"]),
        inherent_sum_c=int(row["inherent_sum_c"]),
        band_counts=tuple(int(row[f"band_{k}"] or 0) for k in RANKS),
    )


def worst_category_rank() -> Case:
    """``AgreementScore.worst_band_rank`` in SQL: the most severe band among its categories."""
    return Case(*(When(**{f"band_{k}__gt": 0}, then=Value(k)) for k in reversed(RANKS)), default=Value(0))
