"""Every write to a risk catalogue.

A catalogue version is edited only while it is a draft. Publishing freezes it, so that every
assessment made against it keeps its meaning; to change a published catalogue, copy it into a new
draft version (``catalogue_draft_from``), edit that and publish it.

Each service runs in one transaction and validates with ``full_clean()``. Services that change a
catalogue lock its row first (``_lock``), so an edit and a publication of the same catalogue cannot
interleave; the status read under that lock is the one that counts, not the caller's copy.

No score depends on a draft: assessments are made only with published catalogues, and a
published catalogue never becomes a draft again. So no edit here (a category's weight, say) has a
score to recompute, and this app needs nothing from ``assessments``.

Every write is for administrators (``Action.ADMINISTER`` in ``riskboard.permissions``): each
service takes the ``actor`` and checks it. Management commands, run by whoever holds the database,
pass ``SYSTEM``; ``catalogue_default_load`` (the shipped catalogue, loaded at deployment) takes
no actor.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from riskboard.permissions import Action, require

from .cache import catalogue_cache_invalidate
from .choices import CatalogueStatus, RollupMethod
from .models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel
from .selectors import (
    catalogue_gaps_list,
    catalogue_get,
    catalogue_matrix_codes,
    catalogue_spec_get,
    catalogue_version_next,
)
from .serialization import (
    DEFAULT_CATALOGUE_FILE,
    DEFAULT_CATALOGUE_NAME,
    CatalogueSpec,
    document_from_spec,
    document_parse,
)
from .validation import document_validate, scoring_problems

CATALOGUE_EDITABLE_FIELDS = {"name", "description", "rollup_method", "rollup_params"}
CATEGORY_EDITABLE_FIELDS = {"code", "name", "description", "guidance", "weight", "display_order"}
SAFEGUARD_EDITABLE_FIELDS = {"code", "name", "description"}
SCALE_LEVEL_EDITABLE_FIELDS = {"label", "description"}  # the value is fixed: a scale always runs 1..5
BAND_EDITABLE_FIELDS = {"code", "label", "rank", "colour", "description"}


class _System:
    """The actor of management commands: whoever runs ``manage.py`` already holds the database.

    Only these services accept it; anywhere else (``riskboard.permissions``) it may do nothing.
    """

    is_authenticated = False
    is_active = False
    is_superuser = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


# --- Helpers ----------------------------------------------------------------------------------


def _require_administrator(actor) -> None:
    if actor is not SYSTEM:
        require(actor, Action.ADMINISTER, None)


def _label(catalogue: RiskCatalogue) -> str:
    return f"Catalogue {catalogue.name} v{catalogue.version}"


def _lock(catalogue: RiskCatalogue) -> str:
    """Lock the catalogue's row until the transaction ends and return its stored status."""
    status = RiskCatalogue.objects.select_for_update().filter(pk=catalogue.pk).values_list("status", flat=True).first()
    if status is None:
        raise ValidationError(f"{_label(catalogue)} no longer exists.")
    return status


def _ensure_editable(catalogue: RiskCatalogue) -> None:
    """Refuse any change to a catalogue that is not a draft (call inside ``transaction.atomic``)."""
    status = _lock(catalogue)
    if status != CatalogueStatus.DRAFT:
        raise ValidationError(
            f"{_label(catalogue)} is {CatalogueStatus(status).label.lower()} and frozen; "
            "create a new draft version to change it.",
            code="frozen",
        )


def _assign(instance: Any, fields: dict[str, Any], allowed: set[str]) -> None:
    """Set ``fields`` on ``instance``; a field outside ``allowed`` is a programming error."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} fields that cannot be changed here: {', '.join(unknown)}")
    for name, value in fields.items():
        setattr(instance, name, value)


def _category_clean(category: RiskCategory) -> None:
    """``full_clean()`` with plain messages for the two rules the model states only as constraints."""
    errors = {}
    try:
        if Decimal(str(category.weight)) <= 0:
            errors["weight"] = "Must be a positive number."
    except ArithmeticError:
        errors["weight"] = "Must be a positive number."
    guidance = category.guidance
    if not isinstance(guidance, list) or not all(isinstance(q, str) and q.strip() for q in guidance):
        errors["guidance"] = "Must be a list of questions (non-empty text)."
    if errors:
        raise ValidationError(errors)
    category.full_clean()


def _scoring_check(catalogue: RiskCatalogue, *, with_matrix: bool) -> list[str]:
    """What stops the scores from using the catalogue's roll-up rule (and matrix) as stored now."""
    ranks_by_code = dict(Band.objects.filter(catalogue=catalogue).values_list("code", "rank"))
    matrix = catalogue_matrix_codes(catalogue=catalogue) if with_matrix else None
    return scoring_problems(
        method=catalogue.rollup_method, params=catalogue.rollup_params, ranks_by_code=ranks_by_code, matrix=matrix
    )


def _safeguard_categories_check(catalogue: RiskCatalogue, categories: list[RiskCategory]) -> None:
    foreign = [c.code for c in categories if c.catalogue_id != catalogue.pk]
    if foreign:
        raise ValidationError({"categories": f"Not categories of {_label(catalogue)}: {', '.join(foreign)}."})


def _catalogue_create(*, spec: CatalogueSpec, version: int | None = None) -> RiskCatalogue:
    """Write ``spec`` as a new draft (``version`` defaults to the next free one). Call inside ``atomic``."""
    version = version or catalogue_version_next(name=spec.name)
    if catalogue_get(name=spec.name, version=version) is not None:
        raise ValidationError(f"Catalogue {spec.name} v{version} already exists.")
    catalogue = RiskCatalogue(
        name=spec.name, version=version, status=CatalogueStatus.DRAFT, description=spec.description,
        rollup_method=spec.rollup_method, rollup_params=spec.rollup_params,
    )
    catalogue.full_clean()
    catalogue.save()
    ScaleLevel.objects.bulk_create(
        ScaleLevel(catalogue=catalogue, scale=scale, value=lv.value, label=lv.label, description=lv.description)
        for scale, levels in spec.scales.items()
        for lv in levels
    )
    bands = {
        band.code: band
        for band in Band.objects.bulk_create(
            Band(
                catalogue=catalogue, code=b.code, label=b.label, rank=b.rank, colour=b.colour,
                description=b.description,
            )
            for b in spec.bands
        )
    }
    MatrixCell.objects.bulk_create(
        MatrixCell(catalogue=catalogue, likelihood=lk, impact=im, band=bands[code])
        for (lk, im), code in spec.matrix.items()
    )
    categories = {
        category.code: category
        for category in RiskCategory.objects.bulk_create(
            RiskCategory(
                catalogue=catalogue, code=c.code, name=c.name, description=c.description, guidance=list(c.guidance),
                weight=c.weight, display_order=c.display_order,
            )
            for c in spec.categories
        )
    }
    safeguards = Safeguard.objects.bulk_create(
        Safeguard(catalogue=catalogue, code=s.code, name=s.name, description=s.description) for s in spec.safeguards
    )
    links = Safeguard.categories.through
    links.objects.bulk_create(
        links(safeguard_id=safeguard.pk, riskcategory_id=categories[code].pk)
        for safeguard, s in zip(safeguards, spec.safeguards, strict=True)
        for code in s.categories
    )
    return catalogue


# --- Catalogue versions -----------------------------------------------------------------------


@transaction.atomic
def catalogue_publish(*, catalogue: RiskCatalogue, actor) -> RiskCatalogue:
    """Publish a complete draft (see ``catalogue_gaps_list``) and freeze it; sets ``published_at``."""
    _require_administrator(actor)
    status = _lock(catalogue)
    if status != CatalogueStatus.DRAFT:
        raise ValidationError(f"Only a draft can be published; {_label(catalogue)} is {status}.", code="not_draft")
    gaps = catalogue_gaps_list(catalogue=catalogue)
    if gaps:
        raise ValidationError([f"{_label(catalogue)} cannot be published until it is complete.", *gaps])
    catalogue.refresh_from_db(fields=["rollup_method", "rollup_params"])  # as stored, under the lock
    unusable = _scoring_check(catalogue, with_matrix=True)
    if unusable:
        raise ValidationError(
            [f"{_label(catalogue)} cannot be published: the scores could not use it.", *unusable], code="unusable"
        )
    catalogue.status = CatalogueStatus.PUBLISHED
    catalogue.published_at = timezone.now()
    catalogue.save(update_fields=["status", "published_at", "updated_at"])
    catalogue_cache_invalidate()  # every page shows the new version's matrix and bands at once
    return catalogue


@transaction.atomic
def catalogue_retire(*, catalogue: RiskCatalogue, actor) -> RiskCatalogue:
    """Retire a published catalogue: it stays frozen and readable, for the assessments made with it."""
    _require_administrator(actor)
    status = _lock(catalogue)
    if status != CatalogueStatus.PUBLISHED:
        raise ValidationError(f"Only a published catalogue can be retired; {_label(catalogue)} is {status}.")
    catalogue.status = CatalogueStatus.RETIRED
    catalogue.retired_at = timezone.now()
    catalogue.save(update_fields=["status", "retired_at", "updated_at"])
    catalogue_cache_invalidate()  # the band filter offers published catalogues' bands only
    return catalogue


@transaction.atomic
def catalogue_draft_from(*, catalogue: RiskCatalogue, actor, version: int | None = None) -> RiskCatalogue:
    """Copy ``catalogue`` with all its contents into a new draft of the same name.

    ``version`` defaults to the next free version number of that name; a taken one is refused.
    """
    _require_administrator(actor)
    return _catalogue_create(spec=catalogue_spec_get(catalogue=catalogue), version=version)


@transaction.atomic
def catalogue_create(
    *,
    actor,
    name: str,
    version: int | None = None,
    description: str = "",
    rollup_method: str = RollupMethod.WEIGHTED_MEAN,
    rollup_params: dict | None = None,
) -> RiskCatalogue:
    """Create an empty draft, to fill before publishing it. ``version`` defaults to the next free
    version number of ``name``; a taken one is refused."""
    _require_administrator(actor)
    catalogue = RiskCatalogue(
        name=name, version=version or catalogue_version_next(name=name), status=CatalogueStatus.DRAFT,
        description=description, rollup_method=rollup_method,
        rollup_params={} if rollup_params is None else rollup_params,
    )
    catalogue.full_clean()
    catalogue.save()
    return catalogue


@transaction.atomic
def catalogue_update(*, catalogue: RiskCatalogue, actor, **fields: Any) -> RiskCatalogue:
    """Change a draft's ``name``, ``description``, ``rollup_method`` or ``rollup_params``.

    A changed roll-up rule must be one the scores can use with the draft's bands as they are
    (``assessments.scoring.Rollup.from_params``); publishing checks it again.
    """
    _require_administrator(actor)
    _ensure_editable(catalogue)
    before = RiskCatalogue.objects.filter(pk=catalogue.pk).values_list("rollup_method", "rollup_params").get()
    _assign(catalogue, fields, CATALOGUE_EDITABLE_FIELDS)
    catalogue.full_clean()
    if (catalogue.rollup_method, catalogue.rollup_params) != before:
        errors: dict[str, list[str]] = {}
        for problem in _scoring_check(catalogue, with_matrix=False):
            errors.setdefault("rollup_method" if problem.startswith("rollup_method") else "rollup_params", []).append(
                problem
            )
        if errors:
            raise ValidationError(errors)
    catalogue.save()
    return catalogue


@transaction.atomic
def catalogue_delete(*, catalogue: RiskCatalogue, actor) -> None:
    """Delete a draft with all its contents. A published or retired catalogue stays: assessments
    were (or may have been) made with it."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    catalogue.matrix_cells.all().delete()  # first: a cell protects its band
    catalogue.delete()


# --- Contents of a draft ----------------------------------------------------------------------


@transaction.atomic
def category_create(
    *,
    catalogue: RiskCatalogue,
    actor,
    code: str,
    name: str,
    description: str,
    guidance: list[str] | None = None,
    weight: Decimal = Decimal("1.00"),
    display_order: int = 0,
) -> RiskCategory:
    """Add a category to a draft. ``weight`` > 0 (two decimals) scales it in the weighted mean."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    category = RiskCategory(
        catalogue=catalogue, code=code, name=name, description=description, guidance=guidance or [],
        weight=weight, display_order=display_order,
    )
    _category_clean(category)
    category.save()
    return category


@transaction.atomic
def category_update(*, category: RiskCategory, actor, **fields: Any) -> RiskCategory:
    """Change a draft's category: ``code``, ``name``, ``description``, ``guidance``, ``weight``, ``display_order``."""
    _require_administrator(actor)
    _ensure_editable(category.catalogue)
    _assign(category, fields, CATEGORY_EDITABLE_FIELDS)
    _category_clean(category)
    category.save()
    return category


@transaction.atomic
def category_delete(*, category: RiskCategory, actor) -> None:
    """Remove a category from a draft (its safeguards stay, without the link)."""
    _require_administrator(actor)
    _ensure_editable(category.catalogue)
    category.delete()


@transaction.atomic
def safeguard_create(
    *,
    catalogue: RiskCatalogue,
    actor,
    code: str,
    name: str,
    description: str = "",
    categories: list[RiskCategory] | tuple[RiskCategory, ...] = (),
) -> Safeguard:
    """Add a safeguard to a draft, linked to ``categories`` of the same catalogue."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    safeguard = Safeguard(catalogue=catalogue, code=code, name=name, description=description)
    safeguard.full_clean()
    _safeguard_categories_check(catalogue, list(categories))
    safeguard.save()
    safeguard.categories.set(categories)
    return safeguard


@transaction.atomic
def safeguard_update(
    *, safeguard: Safeguard, actor, categories: list[RiskCategory] | None = None, **fields: Any
) -> Safeguard:
    """Change a draft's safeguard (``code``, ``name``, ``description``); ``categories`` replaces its links."""
    _require_administrator(actor)
    catalogue = safeguard.catalogue
    _ensure_editable(catalogue)
    _assign(safeguard, fields, SAFEGUARD_EDITABLE_FIELDS)
    safeguard.full_clean()
    if categories is not None:
        _safeguard_categories_check(catalogue, list(categories))
    safeguard.save()
    if categories is not None:
        safeguard.categories.set(categories)
    return safeguard


@transaction.atomic
def safeguard_delete(*, safeguard: Safeguard, actor) -> None:
    """Remove a safeguard from a draft's library."""
    _require_administrator(actor)
    _ensure_editable(safeguard.catalogue)
    safeguard.delete()


@transaction.atomic
def scale_level_create(
    *, catalogue: RiskCatalogue, actor, scale: str, value: int, label: str, description: str
) -> ScaleLevel:
    """Add level ``value`` (1..5) to a draft's likelihood or impact ``scale``: a catalogue is
    published only once both scales have all five."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    scale_level = ScaleLevel(catalogue=catalogue, scale=scale, value=value, label=label, description=description)
    scale_level.full_clean()
    scale_level.save()
    return scale_level


@transaction.atomic
def scale_level_update(*, scale_level: ScaleLevel, actor, **fields: Any) -> ScaleLevel:
    """Change the ``label`` or ``description`` of a draft's scale level (its value is fixed)."""
    _require_administrator(actor)
    _ensure_editable(scale_level.catalogue)
    _assign(scale_level, fields, SCALE_LEVEL_EDITABLE_FIELDS)
    scale_level.full_clean()
    scale_level.save()
    return scale_level


@transaction.atomic
def scale_level_delete(*, scale_level: ScaleLevel, actor) -> None:
    """Remove a level from a draft's scale (add it again before publishing)."""
    _require_administrator(actor)
    _ensure_editable(scale_level.catalogue)
    scale_level.delete()


@transaction.atomic
def band_create(
    *, catalogue: RiskCatalogue, actor, code: str, label: str, rank: int, colour: str, description: str = ""
) -> Band:
    """Add a band to a draft. ``rank`` orders the bands, 1 = least severe; ``colour`` is ``#RRGGBB``."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    band = Band(catalogue=catalogue, code=code, label=label, rank=rank, colour=colour, description=description)
    band.full_clean()
    band.save()
    return band


@transaction.atomic
def band_update(*, band: Band, actor, **fields: Any) -> Band:
    """Change a draft's band: ``code``, ``label``, ``rank``, ``colour``, ``description``."""
    _require_administrator(actor)
    _ensure_editable(band.catalogue)
    _assign(band, fields, BAND_EDITABLE_FIELDS)
    band.full_clean()
    band.save()
    return band


@transaction.atomic
def band_delete(*, band: Band, actor) -> None:
    """Remove a band from a draft; refused while matrix cells give it."""
    _require_administrator(actor)
    _ensure_editable(band.catalogue)
    cells = band.cells.count()
    if cells:
        raise ValidationError(
            f"Band {band.label} is given by {cells} matrix cell{'s' if cells != 1 else ''}; "
            "give them another band first.",
            code="protected",
        )
    band.delete()


@transaction.atomic
def matrix_cell_set(
    *, catalogue: RiskCatalogue, actor, likelihood: int, impact: int, band: Band
) -> MatrixCell:
    """Set the band of matrix cell (``likelihood``, ``impact``), each 1..5, creating the cell if needed."""
    _require_administrator(actor)
    _ensure_editable(catalogue)
    if band.catalogue_id != catalogue.pk:
        raise ValidationError({"band": f"Band {band.code} is not a band of {_label(catalogue)}."})
    cell = MatrixCell.objects.filter(catalogue=catalogue, likelihood=likelihood, impact=impact).first()
    cell = cell or MatrixCell(catalogue=catalogue, likelihood=likelihood, impact=impact)
    cell.band = band
    cell.full_clean()
    cell.save()
    return cell


@transaction.atomic
def matrix_cell_delete(*, cell: MatrixCell, actor) -> None:
    """Remove a cell from a draft's matrix (set it again before publishing)."""
    _require_administrator(actor)
    _ensure_editable(cell.catalogue)
    cell.delete()


# --- Import and export ------------------------------------------------------------------------


def catalogue_export(*, catalogue: RiskCatalogue) -> dict:
    """The export document of ``catalogue`` (format ``riskboard-catalogue`` 1; see ``document_from_spec``)."""
    return document_from_spec(spec=catalogue_spec_get(catalogue=catalogue))


@transaction.atomic
def catalogue_import(*, data: dict, actor) -> RiskCatalogue:
    """Create a new draft from an export document, as the next free version of its name.

    The whole document is validated before anything is written; a ``ValidationError`` lists every
    problem with its place (``categories[3].weight: must be a positive number``). The document's
    own ``version`` and ``status`` are ignored.
    """
    _require_administrator(actor)
    return _catalogue_create(spec=document_validate(data=data))


@dataclass(frozen=True)
class DefaultLoad:
    """What ``catalogue_default_load`` did: ``catalogue`` is the published version holding the
    shipped definition (or, when an administrator retired it, the newest published version of the
    name); ``created`` says it was published just now; ``retired`` lists the versions it replaced."""

    catalogue: RiskCatalogue
    created: bool = False
    retired: tuple[RiskCatalogue, ...] = ()


def _comparable(spec: CatalogueSpec) -> dict:
    """A catalogue's definition with its version, status and the order of its lists left out, so that
    the shipped file and a stored version compare equal exactly when they define the same catalogue."""
    document = document_from_spec(spec=spec)
    for key in ("version", "status"):
        document.pop(key)
    for key in ("bands", "categories", "safeguards"):
        document[key] = sorted(document[key], key=lambda item: item["code"])
    for safeguard in document["safeguards"]:
        safeguard["categories"] = sorted(safeguard["categories"])
    return document


def _shipped_spec() -> CatalogueSpec:
    data = document_parse(text=DEFAULT_CATALOGUE_FILE.read_text(encoding="utf-8"), fmt="yaml")
    spec = document_validate(data=data)
    if spec.name != DEFAULT_CATALOGUE_NAME:
        raise ImproperlyConfigured(f"{DEFAULT_CATALOGUE_FILE} names {spec.name!r}, not {DEFAULT_CATALOGUE_NAME!r}.")
    return spec


def _shipped_found(shipped: dict) -> DefaultLoad | None:
    """When a published or retired version of the default name already holds the shipped definition,
    what to use (``None`` when none does). Drafts do not count: nothing was loaded into them."""
    versions = list(
        RiskCatalogue.objects.filter(
            name=DEFAULT_CATALOGUE_NAME, status__in=[CatalogueStatus.PUBLISHED, CatalogueStatus.RETIRED]
        ).order_by("-version")
    )
    holder = next((c for c in versions if _comparable(catalogue_spec_get(catalogue=c)) == shipped), None)
    if holder is None:
        return None
    if holder.status == CatalogueStatus.PUBLISHED:
        return DefaultLoad(holder)
    newest_published = next((c for c in versions if c.status == CatalogueStatus.PUBLISHED), None)
    return DefaultLoad(newest_published or holder)


def catalogue_default_load() -> DefaultLoad:
    """Make sure the shipped default catalogue's current definition is published.

    - On a new installation it is loaded as version 1, published.
    - When a published or retired version of that name already holds exactly the shipped
      definition, nothing changes (idempotent, and an administrator's later version made from it,
      or their retiring it, is left as it is).
    - Otherwise the file changed since it was loaded (a release changed the default roll-up, say):
      it is published as the next version, and the older published versions of the name are
      retired, so that new assessments and reassessments use it. A published version is never
      changed: every approved assessment keeps the rules it was decided with, and an agreement's
      scores follow the new rules from its next approved assessment on.
    """
    spec = _shipped_spec()
    shipped = _comparable(spec)
    found = _shipped_found(shipped)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            older = list(
                RiskCatalogue.objects.select_for_update()
                .filter(name=DEFAULT_CATALOGUE_NAME, status=CatalogueStatus.PUBLISHED).order_by("version")
            )
            catalogue = catalogue_publish(catalogue=_catalogue_create(spec=spec), actor=SYSTEM)
            retired = tuple(catalogue_retire(catalogue=c, actor=SYSTEM) for c in older)
            return DefaultLoad(catalogue, created=True, retired=retired)
    except (IntegrityError, ValidationError):
        # Another process may have loaded it since the check above; if not, the error is real.
        found = _shipped_found(shipped)
        if found is None:
            raise
        return found


def catalogue_default_ensure() -> RiskCatalogue:
    """The published default catalogue, loaded or brought up to the shipped file first
    (``catalogue_default_load``)."""
    return catalogue_default_load().catalogue
