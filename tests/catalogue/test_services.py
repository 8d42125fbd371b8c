"""Catalogue services: freezing of published versions, publishing, retiring, drafting, import and export."""

import copy
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import services as assessment_services
from assessments.models import DirtyAgreement
from catalogue import services
from catalogue.choices import CatalogueStatus
from catalogue.models import MatrixCell, RiskCatalogue, RiskCategory, ScaleLevel
from riskboard.roles import Role
from tests.factories import CatalogueFactory, DraftCatalogueFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return MembershipFactory(team=None, role=Role.ADMINISTRATOR).user


def _without_version(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in ("version", "status")}


# --- Freezing ---------------------------------------------------------------------------------

EDITS = {
    "catalogue_update": lambda c, actor: services.catalogue_update(catalogue=c, actor=actor, description="Changed."),
    "category_create": lambda c, actor: services.category_create(
        catalogue=c, actor=actor, code="NEW", name="New", description="A new category."
    ),
    "category_update": lambda c, actor: services.category_update(
        category=c.categories.first(), actor=actor, weight=Decimal("2.00")
    ),
    "safeguard_create": lambda c, actor: services.safeguard_create(
        catalogue=c, actor=actor, code="SG_NEW", name="New safeguard", categories=list(c.categories.all())
    ),
    "safeguard_update": lambda c, actor: services.safeguard_update(
        safeguard=c.safeguards.first(), actor=actor, name="Renamed"
    ),
    "safeguard_update_links": lambda c, actor: services.safeguard_update(
        safeguard=c.safeguards.first(), actor=actor, categories=[]
    ),
    "scale_level_update": lambda c, actor: services.scale_level_update(
        scale_level=c.scale_levels.first(), actor=actor, label="Changed"
    ),
    "matrix_cell_set": lambda c, actor: services.matrix_cell_set(
        catalogue=c, actor=actor, likelihood=1, impact=1, band=c.bands.get(code="CRITICAL")
    ),
    "category_delete": lambda c, actor: services.category_delete(category=c.categories.first(), actor=actor),
    "safeguard_delete": lambda c, actor: services.safeguard_delete(safeguard=c.safeguards.first(), actor=actor),
    "scale_level_delete": lambda c, actor: services.scale_level_delete(
        scale_level=c.scale_levels.first(), actor=actor
    ),
    "band_create": lambda c, actor: services.band_create(
        catalogue=c, actor=actor, code="EXTREME", label="Extreme", rank=9, colour="#000000"
    ),
    "band_update": lambda c, actor: services.band_update(band=c.bands.first(), actor=actor, label="Renamed"),
    "matrix_cell_delete": lambda c, actor: services.matrix_cell_delete(cell=c.matrix_cells.first(), actor=actor),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_every_edit_changes_a_draft(edit, administrator):
    catalogue = DraftCatalogueFactory()
    before = services.catalogue_export(catalogue=catalogue)

    edit(catalogue, administrator)

    assert services.catalogue_export(catalogue=catalogue) != before


@pytest.mark.parametrize("status", [CatalogueStatus.PUBLISHED, CatalogueStatus.RETIRED])
@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_every_edit_refuses_a_frozen_catalogue_and_leaves_it_unchanged(edit, status, administrator):
    catalogue = CatalogueFactory(name="Frozen", version=2, status=status)
    before = services.catalogue_export(catalogue=catalogue)
    updated_at = catalogue.updated_at

    with pytest.raises(ValidationError) as excinfo:
        edit(catalogue, administrator)

    assert excinfo.value.messages == [
        f"Catalogue Frozen v2 is {status.label.lower()} and frozen; create a new draft version to change it."
    ]
    fresh = RiskCatalogue.objects.get(pk=catalogue.pk)
    assert services.catalogue_export(catalogue=fresh) == before
    assert fresh.updated_at == updated_at


ALL_WRITES = {
    **EDITS,
    "catalogue_create": lambda c, actor: services.catalogue_create(actor=actor, name="Sneaky"),
    "catalogue_delete": lambda c, actor: services.catalogue_delete(catalogue=c, actor=actor),
    "catalogue_publish": lambda c, actor: services.catalogue_publish(catalogue=c, actor=actor),
    "catalogue_retire": lambda c, actor: services.catalogue_retire(catalogue=c, actor=actor),
    "catalogue_draft_from": lambda c, actor: services.catalogue_draft_from(catalogue=c, actor=actor),
    "catalogue_import": lambda c, actor: services.catalogue_import(
        data=services.catalogue_export(catalogue=c), actor=actor
    ),
    "scale_level_create": lambda c, actor: services.scale_level_create(
        catalogue=c, actor=actor, scale="likelihood", value=5, label="L5", description="Five."
    ),
    "band_delete": lambda c, actor: services.band_delete(band=c.bands.first(), actor=actor),
}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.AUDITOR])
@pytest.mark.parametrize("write", ALL_WRITES.values(), ids=ALL_WRITES.keys())
def test_only_administrators_may_write_a_catalogue(write, role):
    catalogue = DraftCatalogueFactory()
    before = services.catalogue_export(catalogue=catalogue)
    count = RiskCatalogue.objects.count()
    actor = MembershipFactory(role=role, team=None if role == Role.AUDITOR else TeamFactory()).user

    with pytest.raises(PermissionDenied):
        write(catalogue, actor)

    assert services.catalogue_export(catalogue=RiskCatalogue.objects.get(pk=catalogue.pk)) == before
    assert RiskCatalogue.objects.count() == count


def test_the_system_actor_of_commands_may_do_nothing_elsewhere(world):
    with pytest.raises(PermissionDenied):
        assessment_services.assessment_start(agreement=world.agreement(), actor=services.SYSTEM)


def test_catalogue_create_starts_an_empty_draft_at_the_next_free_version(administrator):
    DraftCatalogueFactory(name="Maritime")

    catalogue = services.catalogue_create(actor=administrator, name="Maritime", description="Sea lanes.")

    assert (catalogue.version, catalogue.status, catalogue.rollup_params) == (2, CatalogueStatus.DRAFT, {})
    assert not catalogue.categories.exists()
    with pytest.raises(ValidationError, match="already exists"):
        services.catalogue_create(actor=administrator, name="Maritime", version=2)


def test_a_draft_is_deleted_with_its_contents_and_a_published_catalogue_is_not(administrator):
    draft, published = DraftCatalogueFactory(), CatalogueFactory()

    services.catalogue_delete(catalogue=draft, actor=administrator)
    with pytest.raises(ValidationError, match="is published and frozen"):
        services.catalogue_delete(catalogue=published, actor=administrator)

    assert not RiskCatalogue.objects.filter(pk=draft.pk).exists()
    assert not MatrixCell.objects.filter(catalogue_id=draft.pk).exists()
    assert RiskCatalogue.objects.filter(pk=published.pk).exists()


def test_a_scale_level_is_added_where_the_scale_has_room(administrator):
    catalogue = DraftCatalogueFactory()
    catalogue.scale_levels.filter(scale="impact", value=3).delete()

    level = services.scale_level_create(
        catalogue=catalogue, actor=administrator, scale="impact", value=3, label="Moderate", description="Some."
    )
    with pytest.raises(ValidationError):
        services.scale_level_create(
            catalogue=catalogue, actor=administrator, scale="impact", value=6, label="Beyond", description="Off."
        )

    assert level.label == "Moderate"
    assert catalogue.scale_levels.filter(scale="impact").count() == 5


def test_a_band_that_cells_give_is_not_deleted_and_an_unused_one_is(administrator):
    catalogue = DraftCatalogueFactory()
    unused = services.band_create(
        catalogue=catalogue, actor=administrator, code="EXTREME", label="Extreme", rank=9, colour="#000000"
    )
    critical = catalogue.bands.get(code="CRITICAL")
    cells = critical.cells.count()

    with pytest.raises(ValidationError) as excinfo:
        services.band_delete(band=critical, actor=administrator)
    services.band_delete(band=unused, actor=administrator)

    assert excinfo.value.messages == [f"Band Critical is given by {cells} matrix cells; give them another band first."]
    assert set(catalogue.bands.values_list("code", flat=True)) == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}


def test_no_weight_changes_under_an_assessment_so_no_score_awaits_a_recompute(world, administrator):
    """Why the catalogue services need nothing from ``assessments``: only a draft's weights (or
    categories, or matrix) change, and no assessment is ever made with a draft, nor does a
    catalogue that has assessments ever become a draft again."""
    draft = DraftCatalogueFactory(name="Draft")
    with pytest.raises(ValidationError, match="published catalogue"):
        assessment_services.assessment_start(agreement=world.agreement(), actor=world.analyst, catalogue=draft)

    assessed = world.approved().catalogue
    category = assessed.categories.first()
    with pytest.raises(ValidationError, match="frozen"):
        services.catalogue_update(catalogue=assessed, actor=administrator, status=CatalogueStatus.DRAFT)
    services.catalogue_retire(catalogue=assessed, actor=administrator)
    for status_now in (CatalogueStatus.PUBLISHED, CatalogueStatus.RETIRED):
        RiskCatalogue.objects.filter(pk=assessed.pk).update(status=status_now)
        for edit in EDITS.values():
            with pytest.raises(ValidationError, match="frozen"):
                edit(assessed, administrator)

    assert RiskCategory.objects.get(pk=category.pk).weight == category.weight
    assert not DirtyAgreement.objects.exclude(reason="approval").exists()


def test_an_edit_through_a_stale_copy_is_refused_once_the_catalogue_is_published(administrator):
    catalogue = DraftCatalogueFactory()
    stale = RiskCatalogue.objects.get(pk=catalogue.pk)
    services.catalogue_publish(actor=administrator, catalogue=catalogue)

    with pytest.raises(ValidationError, match="is published and frozen"):
        services.catalogue_update(actor=administrator, catalogue=stale, description="Sneaked in.")

    assert RiskCatalogue.objects.get(pk=catalogue.pk).description == ""


def test_an_edit_service_refuses_a_field_it_does_not_own(administrator):
    catalogue = DraftCatalogueFactory()

    with pytest.raises(TypeError, match="status"):
        services.catalogue_update(actor=administrator, catalogue=catalogue, status=CatalogueStatus.PUBLISHED)

    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"weight": Decimal("0")}, "weight", "Must be a positive number."),
        ({"weight": Decimal("-1.5")}, "weight", "Must be a positive number."),
        ({"guidance": "Not a list"}, "guidance", "Must be a list of questions (non-empty text)."),
        ({"code": "lower case"}, "code", "Use upper-case letters, digits and underscores, starting with a letter."),
        ({"code": "CAT_2"}, "__all__", "Risk category with this Catalogue and Code already exists."),
    ],
)
def test_category_update_refuses_invalid_values(fields, field, message, administrator):
    catalogue = DraftCatalogueFactory()
    category = catalogue.categories.get(code="CAT_1")

    with pytest.raises(ValidationError) as excinfo:
        services.category_update(actor=administrator, category=category, **fields)

    assert message in excinfo.value.message_dict[field]
    stored = RiskCategory.objects.get(pk=category.pk)
    assert (stored.code, stored.weight, stored.guidance) == ("CAT_1", Decimal("1.00"), ["Question 1?"])


def test_safeguard_refuses_a_category_of_another_catalogue(administrator):
    catalogue = DraftCatalogueFactory()
    other = DraftCatalogueFactory().categories.first()

    with pytest.raises(ValidationError, match="Not categories of"):
        services.safeguard_create(actor=administrator, catalogue=catalogue, code="SG_X", name="X", categories=[other])

    assert not catalogue.safeguards.filter(code="SG_X").exists()


def test_matrix_cell_set_refuses_a_band_of_another_catalogue_and_a_level_out_of_range(administrator):
    catalogue = DraftCatalogueFactory()
    foreign_band = DraftCatalogueFactory().bands.get(code="LOW")

    with pytest.raises(ValidationError, match="is not a band of"):
        services.matrix_cell_set(actor=administrator, catalogue=catalogue, likelihood=5, impact=5, band=foreign_band)
    with pytest.raises(ValidationError) as excinfo:
        services.matrix_cell_set(
            actor=administrator, catalogue=catalogue, likelihood=6, impact=1, band=catalogue.bands.get(code="LOW")
        )

    assert "likelihood" in excinfo.value.message_dict
    assert catalogue.matrix_cells.get(likelihood=5, impact=5).band.code == "CRITICAL"
    assert catalogue.matrix_cells.count() == 25


# --- Publishing and retiring ------------------------------------------------------------------


def test_publish_freezes_a_complete_draft(administrator):
    catalogue = DraftCatalogueFactory()

    services.catalogue_publish(actor=administrator, catalogue=catalogue)

    stored = RiskCatalogue.objects.get(pk=catalogue.pk)
    assert stored.status == CatalogueStatus.PUBLISHED
    assert stored.published_at is not None
    assert not stored.is_editable


def _drop_cell(c):
    c.matrix_cells.get(likelihood=4, impact=2).delete()


def _drop_level(c):
    c.scale_levels.get(scale="impact", value=5).delete()


def _drop_categories(c):
    c.categories.all().delete()


def _drop_bands(c):
    c.matrix_cells.all().delete()
    c.bands.all().delete()


@pytest.mark.parametrize(
    ("damage", "gap"),
    [
        (_drop_cell, "The risk matrix is missing 1 of 25 cells: likelihood=4 impact=2."),
        (_drop_level, "The impact scale needs exactly the levels 1 to 5 (it has 1, 2, 3, 4)."),
        (_drop_categories, "Add at least one category."),
        (_drop_bands, "Add at least one band."),
    ],
    ids=["missing cell", "missing level", "no category", "no band"],
)
def test_publish_refuses_an_incomplete_draft(damage, gap, administrator):
    catalogue = DraftCatalogueFactory(name="Half done")
    damage(catalogue)

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_publish(actor=administrator, catalogue=catalogue)

    assert excinfo.value.messages[0] == "Catalogue Half done v1 cannot be published until it is complete."
    assert gap in excinfo.value.messages
    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


def test_publish_refuses_a_matrix_cell_pointing_at_another_catalogues_band(administrator):
    catalogue = DraftCatalogueFactory()
    foreign_band = DraftCatalogueFactory().bands.get(code="LOW")
    MatrixCell.objects.filter(catalogue=catalogue, likelihood=5, impact=5).update(band=foreign_band)

    with pytest.raises(ValidationError, match="likelihood=5 impact=5"):
        services.catalogue_publish(actor=administrator, catalogue=catalogue)

    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


def test_publish_refuses_a_catalogue_that_is_not_a_draft(administrator):
    catalogue = CatalogueFactory(name="Old", status=CatalogueStatus.RETIRED)

    with pytest.raises(ValidationError, match="Only a draft can be published; Catalogue Old v1 is retired"):
        services.catalogue_publish(actor=administrator, catalogue=catalogue)

    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.RETIRED


def test_retire_moves_a_published_catalogue_to_retired(administrator):
    catalogue = CatalogueFactory()

    services.catalogue_retire(actor=administrator, catalogue=catalogue)

    stored = RiskCatalogue.objects.get(pk=catalogue.pk)
    assert stored.status == CatalogueStatus.RETIRED
    assert stored.retired_at is not None


def test_retire_refuses_a_draft(administrator):
    catalogue = DraftCatalogueFactory()

    with pytest.raises(ValidationError, match="Only a published catalogue can be retired"):
        services.catalogue_retire(actor=administrator, catalogue=catalogue)

    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


# --- New draft versions -----------------------------------------------------------------------


def test_draft_from_copies_every_part_into_the_next_version(administrator):
    source = CatalogueFactory(name="Copied", version=1, contents__categories=4)
    CatalogueFactory(name="Copied", version=3)
    source_doc = services.catalogue_export(catalogue=source)

    draft = services.catalogue_draft_from(actor=administrator, catalogue=source)

    assert (draft.name, draft.version, draft.status) == ("Copied", 4, CatalogueStatus.DRAFT)
    assert _without_version(services.catalogue_export(catalogue=draft)) == _without_version(source_doc)
    # The copy stands on its own: its links point at its own rows, not the source's.
    assert {c.catalogue_id for s in draft.safeguards.all() for c in s.categories.all()} == {draft.pk}
    assert {cell.band.catalogue_id for cell in draft.matrix_cells.select_related("band")} == {draft.pk}


def test_draft_from_gives_an_editable_copy_and_leaves_the_source_frozen(administrator):
    source = CatalogueFactory()
    draft = services.catalogue_draft_from(actor=administrator, catalogue=source)

    services.category_update(actor=administrator, category=draft.categories.get(code="CAT_1"), name="Renamed")

    assert draft.categories.get(code="CAT_1").name == "Renamed"
    assert source.categories.get(code="CAT_1").name == "Category 1"


def test_draft_from_with_an_explicit_version(administrator):
    source = CatalogueFactory(name="Explicit")

    draft = services.catalogue_draft_from(actor=administrator, catalogue=source, version=7)

    assert draft.version == 7


def test_draft_from_refuses_a_version_that_exists(row_counts, administrator):
    source = CatalogueFactory(name="Taken")
    before = row_counts()

    with pytest.raises(ValidationError, match="Catalogue Taken v1 already exists"):
        services.catalogue_draft_from(actor=administrator, catalogue=source, version=1)

    assert row_counts() == before


# --- Export -----------------------------------------------------------------------------------


def test_export_document_shape():
    catalogue = CatalogueFactory(name="Shape", version=3)
    category = catalogue.categories.get(code="CAT_2")
    RiskCategory.objects.filter(pk=category.pk).update(weight=Decimal("1.5"))

    document = services.catalogue_export(catalogue=catalogue)

    assert document["format"] == "riskboard-catalogue"
    assert document["format_version"] == 1
    assert (document["name"], document["version"], document["status"]) == ("Shape", 3, "published")
    assert [level["value"] for level in document["scales"]["likelihood"]] == [1, 2, 3, 4, 5]
    assert [band["code"] for band in document["bands"]] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    assert document["matrix"][0] == ["LOW", "LOW", "LOW", "LOW", "MEDIUM"]  # likelihood 1, impact 1..5
    assert [row[4] for row in document["matrix"]] == ["MEDIUM", "HIGH", "HIGH", "CRITICAL", "CRITICAL"]
    assert document["categories"][1] == {
        "code": "CAT_2", "name": "Category 2", "description": "Description of category 2.",
        "guidance": ["Question 2?"], "weight": "1.50", "display_order": 2,
    }
    assert document["safeguards"][0] == {
        "code": "SG_1", "name": "Safeguard 1", "description": "", "categories": ["CAT_1"],
    }


def test_export_of_an_unfinished_draft_shows_the_missing_cell_as_empty():
    catalogue = DraftCatalogueFactory()
    catalogue.matrix_cells.get(likelihood=2, impact=3).delete()

    assert services.catalogue_export(catalogue=catalogue)["matrix"][1][2] is None


def test_export_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    catalogue = CatalogueFactory(contents__categories=12)

    with django_assert_max_num_queries(6):
        services.catalogue_export(catalogue=catalogue)


# --- Import -----------------------------------------------------------------------------------


def test_import_round_trip_is_lossless(document, administrator):
    document = {**document, "version": 99, "status": "published"}

    imported = services.catalogue_import(actor=administrator, data=document)

    assert (imported.name, imported.version, imported.status) == ("Source", 2, CatalogueStatus.DRAFT)
    assert _without_version(services.catalogue_export(catalogue=imported)) == _without_version(document)


def test_import_of_a_new_name_starts_at_version_1(document, administrator):
    imported = services.catalogue_import(actor=administrator, data={**document, "name": "Brand new"})

    assert imported.version == 1


def test_import_accepts_numbers_for_weights_and_omitted_optional_keys(document, administrator):
    document = copy.deepcopy(document)
    for key in ("version", "status", "description", "rollup_method", "rollup_params"):
        del document[key]
    document["categories"][0]["weight"] = 1.25
    document["categories"][1]["weight"] = 2
    del document["categories"][2]["guidance"]

    imported = services.catalogue_import(actor=administrator, data=document)

    weights = list(imported.categories.order_by("display_order").values_list("weight", flat=True))
    assert weights == [Decimal("1.25"), Decimal("2.00"), Decimal("1.00")]
    assert imported.categories.get(code="CAT_3").guidance == []
    assert imported.rollup_method == "weighted_mean"


def _set(path, value):
    """A change to a document: set the value at ``path`` (keys and indexes)."""

    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


MALFORMED = {
    "missing key": (_delete(["categories", 1, "name"]), "categories[1].name: missing required key"),
    "missing top-level key": (_delete(["bands"]), "bands: missing required key"),
    "unknown key": (_set(["bands", 0, "color"], "#000000"), "bands[0].color: unknown key"),
    "wrong type": (_set(["categories", 0, "guidance"], "Ask questions."), "categories[0].guidance: must be a list"),
    "wrong type of document part": (_set(["scales"], [1, 2]), "scales: must be a mapping, not a list"),
    "non-positive weight": (_set(["categories", 2, "weight"], "0"), "categories[2].weight: must be a positive number"),
    "weight with three decimals": (
        _set(["categories", 0, "weight"], "1.125"),
        "categories[0].weight: ensure that there are no more than 2 decimal places",
    ),
    "level out of range": (
        _set(["scales", "impact", 4, "value"], 6), "scales.impact[4].value: must be an integer from 1 to 5, not 6"
    ),
    "level as text": (
        _set(["scales", "likelihood", 0, "value"], "1"), "scales.likelihood[0].value: must be an integer from 1 to 5"
    ),
    "duplicate level": (_set(["scales", "likelihood", 1, "value"], 1), "scales.likelihood[1].value: duplicate level 1"),
    "unknown category in safeguard": (
        _set(["safeguards", 1, "categories", 0], "FOO"), "safeguards[1].categories[0]: unknown category code 'FOO'"
    ),
    "incomplete matrix": (_set(["matrix", 3], ["LOW"]), "matrix: missing cell likelihood=4 impact=2"),
    "missing matrix row": (_delete(["matrix", 4]), "matrix: missing cell likelihood=5 impact=1"),
    "unknown band in matrix": (
        _set(["matrix", 0, 0], "PURPLE"), "matrix[0][0]: unknown band code 'PURPLE' (likelihood=1 impact=1)"
    ),
    "duplicate category code": (
        _set(["categories", 2, "code"], "CAT_1"),
        "categories[2].code: duplicate category code 'CAT_1' (also categories[0])",
    ),
    "duplicate band rank": (_set(["bands", 1, "rank"], 1), "bands[1].rank: duplicate rank 1 (also bands[0])"),
    "bad band colour": (_set(["bands", 2, "colour"], "orange"), "bands[2].colour: use a colour like #1A2B3C"),
    "bad code": (_set(["safeguards", 0, "code"], "sg-1"), "safeguards[0].code: use upper-case letters"),
    "no categories": (_set(["categories"], []), "categories: must list at least 1 categories"),
    "empty name": (_set(["name"], "  "), "name: must not be empty"),
    "name too long": (_set(["name"], "N" * 201), "name: ensure this value has at most 200 characters (it has 201)"),
    "unknown roll-up method": (_set(["rollup_method"], "median"), "rollup_method: must be one of"),
    "wrong format": (_set(["format"], "other-tool"), "format: must be 'riskboard-catalogue'"),
    "newer format version": (_set(["format_version"], 2), "format_version: this Riskboard reads version 1, not 2"),
}


@pytest.mark.parametrize(("change", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_import_refuses_a_malformed_document_naming_the_place_and_writes_nothing(
    document, row_counts, change, message, administrator
):
    document = copy.deepcopy(document)
    change(document)
    before = row_counts()

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_import(actor=administrator, data=document)

    assert any(m.startswith(message) for m in excinfo.value.messages), excinfo.value.messages
    assert row_counts() == before


def test_import_reports_every_problem_at_once(document, administrator):
    document = copy.deepcopy(document)
    document["categories"][0]["weight"] = -1
    document["safeguards"][2]["categories"] = ["NOPE"]
    document["matrix"][4] = ["LOW"] * 4

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_import(actor=administrator, data=document)

    assert excinfo.value.messages == [
        "matrix: missing cell likelihood=5 impact=5",
        "categories[0].weight: must be a positive number, not -1",
        "safeguards[2].categories[0]: unknown category code 'NOPE'",
    ]


def test_import_refuses_a_document_that_is_not_a_mapping(row_counts, administrator):
    before = row_counts()

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_import(actor=administrator, data=["not", "a", "catalogue"])

    assert excinfo.value.messages == ["document: must be a mapping, not a list"]
    assert row_counts() == before


def test_imported_catalogue_can_be_published(document, administrator):
    imported = services.catalogue_import(actor=administrator, data=document)

    services.catalogue_publish(actor=administrator, catalogue=imported)

    assert RiskCatalogue.objects.get(pk=imported.pk).status == CatalogueStatus.PUBLISHED
    assert ScaleLevel.objects.filter(catalogue=imported).count() == 10


# --- A roll-up rule the scores cannot use (issue 8, defect 4) ----------------------------------

TWO_RULES_ONE_TYPO = {"rules": [
    {"escalate_band": "MEDIUM", "min_count": 4, "to_band": "HIGH"},
    {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRTICAL"},
]}
BANDS_NAMED = "use one of LOW, MEDIUM, HIGH, CRITICAL"
UNUSABLE_ROLLUPS = {
    "unknown band in the second rule": (
        "count_rule", TWO_RULES_ONE_TYPO, [f'rollup_params.rules[1].to_band: unknown band "CRTICAL"; {BANDS_NAMED}'],
    ),
    "single rule, two problems": (
        "count_rule", {"escalate_band": "SEVERE", "min_count": 0, "to_band": "CRITICAL"},
        [f'rollup_params.escalate_band: unknown band "SEVERE"; {BANDS_NAMED}',
         "rollup_params.min_count: must be at least 1, not 0"],
    ),
    "rules not a list": (
        "count_rule", {"rules": "HIGH"}, ['rollup_params.rules: must be a list of count rules, not "HIGH"'],
    ),
    "weighted mean: unknown band in a floor": (
        "weighted_mean", TWO_RULES_ONE_TYPO,
        [f'rollup_params.rules[1].to_band: unknown band "CRTICAL"; {BANDS_NAMED}'],
    ),
    "weighted mean: a floor without the rules list": (
        "weighted_mean", {"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
        [f'rollup_params.{key}: a weighted mean reads only "rules" (its floors), such as {{"rules": '
         '[{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]}' for key in
         ("escalate_band", "min_count", "to_band")],
    ),
}


@pytest.mark.parametrize(("method", "params", "problems"), UNUSABLE_ROLLUPS.values(), ids=UNUSABLE_ROLLUPS.keys())
def test_publish_refuses_a_rollup_rule_the_scores_cannot_use(method, params, problems):
    """Reported: a bad count rule could be published, and every full recompute then failed."""
    catalogue = DraftCatalogueFactory(name="Typo", rollup_method=method, rollup_params=params)

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_publish(actor=services.SYSTEM, catalogue=catalogue)

    assert excinfo.value.messages == ["Catalogue Typo v1 cannot be published: the scores could not use it.", *problems]
    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


def test_publish_refuses_a_band_rank_the_scores_cannot_hold():
    catalogue = DraftCatalogueFactory(name="Ranks")
    catalogue.bands.filter(code="CRITICAL").update(rank=7)

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_publish(actor=services.SYSTEM, catalogue=catalogue)

    assert "matrix: band ranks must be 1 to 6; the matrix uses [7]" in excinfo.value.messages
    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.DRAFT


@pytest.mark.parametrize(("method", "params"), [
    ("weighted_mean", {}),
    ("weighted_mean", {"rules": []}),
    ("weighted_mean", {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]}),
    ("worst_case", {"ignored": True}),
    ("count_rule", {}),
    ("count_rule", {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}),
    ("count_rule", {**TWO_RULES_ONE_TYPO, "rules": [*TWO_RULES_ONE_TYPO["rules"][:1]]}),
])
def test_publish_accepts_every_usable_rollup_rule(method, params):
    catalogue = DraftCatalogueFactory(rollup_method=method, rollup_params=params)

    services.catalogue_publish(actor=services.SYSTEM, catalogue=catalogue)

    assert RiskCatalogue.objects.get(pk=catalogue.pk).status == CatalogueStatus.PUBLISHED


def test_a_drafts_rollup_rule_is_checked_against_its_bands_when_it_changes():
    catalogue = DraftCatalogueFactory(name="Edited")

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_update(
            actor=services.SYSTEM, catalogue=catalogue, rollup_method="count_rule", rollup_params=TWO_RULES_ONE_TYPO
        )

    assert excinfo.value.message_dict == {
        "rollup_params": [f'rollup_params.rules[1].to_band: unknown band "CRTICAL"; {BANDS_NAMED}'],
    }
    stored = RiskCatalogue.objects.get(pk=catalogue.pk)
    assert (stored.rollup_method, stored.rollup_params) == ("weighted_mean", {})
    services.catalogue_update(actor=services.SYSTEM, catalogue=stored, rollup_method="count_rule", rollup_params={})
    assert RiskCatalogue.objects.get(pk=catalogue.pk).rollup_method == "count_rule"


def test_a_drafts_floors_are_checked_when_they_change():
    catalogue = DraftCatalogueFactory(name="Floors")

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_update(actor=services.SYSTEM, catalogue=catalogue,
                                  rollup_params={"rules": [{"escalate_band": "CRITICAL", "min_count": "one",
                                                            "to_band": "HIGH"}]})

    assert excinfo.value.message_dict == {"rollup_params": ['rollup_params.rules[0].min_count: must be a whole number, '
                                                            'not "one"']}
    assert RiskCatalogue.objects.get(pk=catalogue.pk).rollup_params == {}


def test_a_draft_whose_bands_no_longer_fit_its_rule_can_still_be_renamed():
    """Only a change of the rule is checked on edit; publishing checks the whole catalogue."""
    catalogue = DraftCatalogueFactory(rollup_method="count_rule", rollup_params={
        "escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"})
    catalogue.matrix_cells.filter(band__code="CRITICAL").update(band=catalogue.bands.get(code="HIGH"))
    catalogue.bands.filter(code="CRITICAL").delete()

    services.catalogue_update(actor=services.SYSTEM, catalogue=catalogue, name="Renamed")

    assert RiskCatalogue.objects.get(pk=catalogue.pk).name == "Renamed"
    with pytest.raises(ValidationError, match=re.escape('rollup_params.to_band: unknown band "CRITICAL"')):
        services.catalogue_publish(actor=services.SYSTEM, catalogue=catalogue)


@pytest.mark.parametrize(("method", "params", "problems"), UNUSABLE_ROLLUPS.values(), ids=UNUSABLE_ROLLUPS.keys())
def test_import_refuses_a_rollup_rule_the_scores_cannot_use(document, row_counts, method, params, problems):
    before = row_counts()

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_import(
            actor=services.SYSTEM, data={**document, "rollup_method": method, "rollup_params": params}
        )

    assert excinfo.value.messages == problems
    assert row_counts() == before


def test_import_reports_a_rollup_problem_with_the_documents_other_problems(document):
    document = copy.deepcopy(document)
    document["categories"][0]["weight"] = -1
    document["rollup_method"], document["rollup_params"] = "count_rule", TWO_RULES_ONE_TYPO

    with pytest.raises(ValidationError) as excinfo:
        services.catalogue_import(actor=services.SYSTEM, data=document)

    assert excinfo.value.messages == [
        "categories[0].weight: must be a positive number, not -1",
        f'rollup_params.rules[1].to_band: unknown band "CRTICAL"; {BANDS_NAMED}',
    ]
