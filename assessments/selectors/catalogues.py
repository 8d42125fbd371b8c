"""Reads of catalogue versions as assessment and score pages show them: the risk matrix with its
bands, the scales' levels, band and category names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalogue.cache import catalogue_cached, catalogue_version_cached
from catalogue.choices import CatalogueStatus
from catalogue.models import SCALE_MAX, SCALE_MIN, Band, MatrixCell, RiskCategory, ScaleLevel

from .. import scoring


@dataclass(frozen=True)
class BandMatrix:
    """A catalogue's risk matrix as its pages show it: the lookup is ``scoring.Matrix`` (what scores
    use), and the bands are the catalogue's, to display.

    ``matrix`` is None when the stored cells are not a matrix scoring can use (a draft's incomplete
    grid): no pair of levels then has a band. A published catalogue's matrix is complete.
    """

    matrix: scoring.Matrix | None
    bands: Mapping[int, Band]  # by rank

    def band(self, likelihood: int | None, impact: int | None) -> Band | None:
        """The band of a pair of levels; None while either is not rated yet."""
        return self.bands.get(self.matrix.band_if_rated(likelihood, impact)) if self.matrix else None

    def worst_band(self, pairs: Iterable[tuple[int | None, int | None]]) -> Band | None:
        """The worst band of pairs of levels (``scoring.worst_rank``); pairs not rated yet do not count."""
        if self.matrix is None:
            return None
        return self.bands.get(scoring.worst_rank(self.matrix.band_if_rated(lk, im) for lk, im in pairs))

    @property
    def cells(self) -> dict[tuple[int, int], Band]:
        """``{(likelihood, impact): band}`` over the whole matrix."""
        if self.matrix is None:
            return {}
        return {pair: self.bands[rank] for pair, rank in sorted(self.matrix.cells.items())}


def catalogue_matrix(*, catalogue_id: int) -> BandMatrix:
    """The catalogue's risk matrix with its bands (one query; none while a frozen version's is cached)."""
    return catalogue_version_cached("matrix", catalogue_id, lambda: _catalogue_matrix(catalogue_id))


def _catalogue_matrix(catalogue_id: int) -> BandMatrix:
    bands: dict[int, Band] = {}
    cells: dict[tuple[int, int], int] = {}
    for cell in MatrixCell.objects.filter(catalogue_id=catalogue_id).select_related("band"):
        bands[cell.band.rank] = cell.band
        cells[(cell.likelihood, cell.impact)] = cell.band.rank
    try:
        matrix = scoring.Matrix(cells, scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    except ValueError:
        matrix = None
    return BandMatrix(matrix, bands)


def worst_band(bands: Iterable[Band | None]) -> Band | None:
    """The most severe of ``bands`` (``scoring.worst_rank``); None stands for a rating not rated yet."""
    by_rank = {band.rank: band for band in bands if band is not None}
    return by_rank.get(scoring.worst_rank(by_rank))


def catalogue_levels(*, catalogue_id: int) -> dict[str, dict[int, ScaleLevel]]:
    """``{scale: {value: level}}`` for the catalogue's likelihood and impact scales (one query; none
    while a frozen version's are cached)."""
    return catalogue_version_cached("levels", catalogue_id, lambda: _catalogue_levels(catalogue_id))


def _catalogue_levels(catalogue_id: int) -> dict[str, dict[int, ScaleLevel]]:
    levels: dict[str, dict[int, ScaleLevel]] = {}
    for level in ScaleLevel.objects.filter(catalogue_id=catalogue_id).order_by("scale", "value"):
        levels.setdefault(level.scale, {})[level.value] = level
    return levels


@catalogue_cached("band_codes")
def band_codes() -> list[tuple[str, str]]:
    """``(code, label)`` of the bands of published catalogues, least severe first, without repeats."""
    seen: dict[str, str] = {}
    for code, label in Band.objects.filter(catalogue__status="published").order_by("rank", "code").values_list(
        "code", "label"
    ):
        seen.setdefault(code, label)
    return list(seen.items())


def category_names() -> dict[str, str]:
    """Category code -> name, from the newest catalogue version that has the code (one query)."""
    names: dict[str, str] = {}
    for code, name in RiskCategory.objects.order_by("code", "-catalogue__published_at", "-catalogue_id").values_list(
        "code", "name"
    ):
        names.setdefault(code, name)
    return names


def display_bands() -> dict[int, Band]:
    """Bands by rank for aggregates that span catalogue versions: the newest published catalogue's."""
    newest = (
        Band.objects.filter(catalogue__status=CatalogueStatus.PUBLISHED)
        .order_by("-catalogue__published_at", "-catalogue_id")
        .values_list("catalogue_id", flat=True)
        .first()
    )
    return {band.rank: band for band in Band.objects.filter(catalogue_id=newest)} if newest else {}
