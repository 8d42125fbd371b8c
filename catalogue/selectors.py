"""Reads of risk catalogues, each shaped for the page, endpoint or service that needs it.

Every function runs a fixed number of queries, whatever the size of the catalogue.
"""

from django.db.models import Prefetch

from .choices import CatalogueStatus, Scale
from .models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel
from .serialization import (
    DEFAULT_CATALOGUE_NAME,
    LEVELS,
    BandSpec,
    CatalogueSpec,
    CategorySpec,
    LevelSpec,
    SafeguardSpec,
)


def catalogue_get(*, name: str, version: int) -> RiskCatalogue | None:
    """The catalogue ``name`` at ``version`` whatever its status, or ``None``."""
    return RiskCatalogue.objects.filter(name=name, version=version).first()


def catalogue_name_default() -> str:
    """The catalogue name to use when none is given: the only one in the database, else the default."""
    names = list(RiskCatalogue.objects.order_by().values_list("name", flat=True).distinct()[:2])
    return names[0] if len(names) == 1 else DEFAULT_CATALOGUE_NAME


def catalogue_get_current_published(*, name: str | None = None) -> RiskCatalogue | None:
    """The newest published version of ``name`` (by default ``catalogue_name_default()``), or ``None``."""
    return (
        RiskCatalogue.objects.filter(name=name or catalogue_name_default(), status=CatalogueStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )


def catalogue_version_next(*, name: str) -> int:
    """The first version number after every existing version of ``name`` (1 for a new name)."""
    latest = RiskCatalogue.objects.filter(name=name).order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


def safeguard_names_by_code(*, catalogue_id: int) -> dict[str, str]:
    """``{code: name}`` of the catalogue's safeguards, in one query."""
    return dict(Safeguard.objects.filter(catalogue_id=catalogue_id).values_list("code", "name"))


def catalogue_matrix_codes(*, catalogue: RiskCatalogue) -> dict[tuple[int, int], str]:
    """The stored matrix as ``{(likelihood, impact): band code}``, in one query: what the export
    writes and what publishing checks with ``scoring``. (Pages read the matrix with its bands
    through ``assessments.selectors.catalogue_matrix``.)"""
    cells = MatrixCell.objects.filter(catalogue=catalogue).values_list("likelihood", "impact", "band__code")
    return {(likelihood, impact): code for likelihood, impact, code in cells}


def catalogue_gaps_list(*, catalogue: RiskCatalogue) -> list[str]:
    """What stops ``catalogue`` from being published, one sentence each; empty when it is complete.

    Complete means: both scales have exactly the levels 1 to 5, every one of the 25 matrix cells is
    set to a band of this catalogue, and there is at least one band and one category.
    """
    gaps = []
    levels = list(
        ScaleLevel.objects.filter(catalogue=catalogue).order_by("scale", "value").values_list("scale", "value")
    )
    for scale in Scale:
        values = [value for s, value in levels if s == scale]
        if values != list(LEVELS):
            found = ", ".join(map(str, values)) or "none"
            gaps.append(f"The {scale.label.lower()} scale needs exactly the levels 1 to 5 (it has {found}).")
    if not Band.objects.filter(catalogue=catalogue).exists():
        gaps.append("Add at least one band.")
    cells = list(
        MatrixCell.objects.filter(catalogue=catalogue).values_list("likelihood", "impact", "band__catalogue_id")
    )
    present = {(lk, im) for lk, im, _ in cells}
    missing = [f"likelihood={lk} impact={im}" for lk in LEVELS for im in LEVELS if (lk, im) not in present]
    if missing:
        gaps.append(f"The risk matrix is missing {len(missing)} of 25 cells: {', '.join(missing)}.")
    foreign = [f"likelihood={lk} impact={im}" for lk, im, owner in cells if owner != catalogue.pk]
    if foreign:
        gaps.append(f"Matrix cells use a band of another catalogue: {', '.join(foreign)}.")
    if not RiskCategory.objects.filter(catalogue=catalogue).exists():
        gaps.append("Add at least one category.")
    return gaps


def catalogue_spec_get(*, catalogue: RiskCatalogue) -> CatalogueSpec:
    """Everything ``catalogue`` holds, as plain values in a stable order (six queries)."""
    levels = list(ScaleLevel.objects.filter(catalogue=catalogue).order_by("scale", "value"))
    bands = Band.objects.filter(catalogue=catalogue).order_by("rank")
    categories = RiskCategory.objects.filter(catalogue=catalogue).order_by("display_order", "code")
    safeguards = (
        Safeguard.objects.filter(catalogue=catalogue)
        .order_by("name", "code")
        .prefetch_related(Prefetch("categories", queryset=RiskCategory.objects.order_by("display_order", "code")))
    )
    return CatalogueSpec(
        name=catalogue.name,
        version=catalogue.version,
        status=catalogue.status,
        description=catalogue.description,
        rollup_method=catalogue.rollup_method,
        rollup_params=catalogue.rollup_params,
        scales={
            scale.value: tuple(
                LevelSpec(value=lv.value, label=lv.label, description=lv.description)
                for lv in levels
                if lv.scale == scale
            )
            for scale in Scale
        },
        bands=tuple(
            BandSpec(code=b.code, label=b.label, rank=b.rank, colour=b.colour, description=b.description)
            for b in bands
        ),
        matrix=catalogue_matrix_codes(catalogue=catalogue),
        categories=tuple(
            CategorySpec(
                code=c.code, name=c.name, description=c.description, guidance=tuple(c.guidance),
                weight=c.weight, display_order=c.display_order,
            )
            for c in categories
        ),
        safeguards=tuple(
            SafeguardSpec(
                code=s.code, name=s.name, description=s.description,
                categories=tuple(c.code for c in s.categories.all()),
            )
            for s in safeguards
        ),
    )
