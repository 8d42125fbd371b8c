"""What several assessment pages share: fetching in the user's scope, and ratings made readable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.shortcuts import get_object_or_404

from catalogue.choices import Scale
from catalogue.models import Band, RiskCategory, ScaleLevel
from riskboard.permissions import Action

from .. import rules, selectors
from ..choices import Confidence
from ..comparison import RATING_FIELDS, changed_fields, rating_state
from ..forms import FIELD_LABELS
from ..models import Agreement, Assessment, Rating


def agreement_in_scope(request, pk: int) -> Agreement:
    """The agreement if the user may see it; 404 otherwise (its existence is not revealed)."""
    return get_object_or_404(Agreement.objects.restrict(request.user, Action.VIEW).select_related("owner_team"), pk=pk)


def assessment_in_scope(request, pk: int) -> Assessment:
    return get_object_or_404(selectors.assessment_for_page(user=request.user), pk=pk)


def scale_of(name: str) -> str:
    return Scale.LIKELIHOOD if name.endswith("likelihood") else Scale.IMPACT


def level_text(levels: Mapping[str, Mapping[int, ScaleLevel]], name: str, value: int | None) -> str:
    if value is None:
        return "Not rated"
    level = levels.get(scale_of(name), {}).get(value)
    return f"{value} · {level.label}" if level else str(value)


@dataclass
class RatingView:
    """One category's rating made readable: display text per field and the two bands."""

    category: RiskCategory
    rating: Rating | None
    state: dict[str, object]
    display: dict[str, str]
    safeguard_names: list[str]
    inherent_band: Band | None
    residual_band: Band | None
    changed: list[str] = field(default_factory=list)
    previous: RatingView | None = None

    @property
    def complete(self) -> bool:
        return rules.is_complete(self.state)

    @property
    def fields(self):
        """(name, label, text, changed, previous text) in display order, for templates."""
        for name in RATING_FIELDS:
            previous = self.previous.display[name] if self.previous is not None else None
            yield name, FIELD_LABELS[name], self.display[name], name in self.changed, previous


def rating_views(
    *,
    categories: Iterable[RiskCategory],
    ratings: Iterable[Rating],
    levels: Mapping[str, Mapping[int, ScaleLevel]],
    matrix: selectors.BandMatrix,
) -> list[RatingView]:
    """One ``RatingView`` per category, in the categories' order; safeguards compared by code."""
    by_category = {r.category_id: r for r in ratings}
    views = []
    for category in categories:
        rating = by_category.get(category.pk)
        safeguards = sorted(rating.safeguards.all(), key=lambda s: s.name) if rating else []
        values = rules.levels_of(rating) if rating else dict.fromkeys(rules.LEVEL_FIELDS)
        state = rating_state(
            levels=values,
            safeguards=[s.code for s in safeguards],
            safeguards_other=rating.safeguards_other if rating else "",
            rationale=rating.rationale if rating else "",
            evidence=rating.evidence if rating else "",
            confidence=rating.confidence if rating else "",
        )
        confidence = Confidence(rating.confidence).label if rating and rating.confidence else "Not stated"
        display = {
            **{name: level_text(levels, name, values[name]) for name in rules.LEVEL_FIELDS},
            "safeguards": ", ".join(s.name for s in safeguards) or "None chosen",
            "safeguards_other": state["safeguards_other"] or "None",
            "rationale": state["rationale"] or "None given",
            "evidence": state["evidence"] or "None given",
            "confidence": confidence,
        }
        views.append(
            RatingView(
                category=category,
                rating=rating,
                state=state,
                display=display,
                safeguard_names=[s.name for s in safeguards],
                inherent_band=matrix.band(values["inherent_likelihood"], values["inherent_impact"]),
                residual_band=matrix.band(values["residual_likelihood"], values["residual_impact"]),
            )
        )
    return views


def assessment_rating_views(*, assessment: Assessment, catalogues: dict | None = None) -> list[RatingView]:
    """The assessment's ratings, one per category of its catalogue (five queries).

    ``catalogues`` memoises each catalogue's categories, levels and matrix across calls, so
    comparing two assessments of the same catalogue version reads it once.
    """
    catalogues = {} if catalogues is None else catalogues
    if assessment.catalogue_id not in catalogues:
        catalogues[assessment.catalogue_id] = {
            "categories": list(RiskCategory.objects.filter(catalogue_id=assessment.catalogue_id)),
            "levels": selectors.catalogue_levels(catalogue_id=assessment.catalogue_id),
            "matrix": selectors.catalogue_matrix(catalogue_id=assessment.catalogue_id),
        }
    return rating_views(ratings=selectors.assessment_ratings(assessment=assessment),
                        **catalogues[assessment.catalogue_id])


def compare_with_previous(current: list[RatingView], previous: list[RatingView]) -> int:
    """Mark on ``current`` what changed since ``previous`` (matched by category code); count changed."""
    by_code = {view.category.code: view for view in previous}
    count = 0
    for view in current:
        before = by_code.get(view.category.code)
        view.previous = before
        view.changed = changed_fields(before.state if before else None, view.state)
        if before is not None:
            # Bands are derived from the levels, but a reviewer reads them first.
            if _band_code(before.inherent_band) != _band_code(view.inherent_band):
                view.changed.append("inherent_band")
            if _band_code(before.residual_band) != _band_code(view.residual_band):
                view.changed.append("residual_band")
        count += bool(view.changed)
    return count


def _band_code(band: Band | None) -> str:
    return band.code if band else ""


def matrix_rows(
    *, levels: Mapping[str, Mapping[int, ScaleLevel]], matrix: selectors.BandMatrix
) -> list[tuple[ScaleLevel, list[Band | None]]]:
    """The risk matrix as table rows, most likely first: ``(likelihood level, [band per impact])``."""
    impacts = sorted(levels.get(Scale.IMPACT, {}))
    return [
        (level, [matrix.band(value, impact) for impact in impacts])
        for value, level in sorted(levels.get(Scale.LIKELIHOOD, {}).items(), reverse=True)
    ]


def matrix_json(matrix: selectors.BandMatrix) -> dict[str, dict[str, str]]:
    """The matrix for the live band on the form: ``{"L-I": {code, label, colour}}``."""
    return {
        f"{likelihood}-{impact}": {"code": band.code, "label": band.label, "colour": band.colour}
        for (likelihood, impact), band in matrix.cells.items()
    }
