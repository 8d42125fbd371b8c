"""Management commands: load_default_catalogue, export_catalogue and import_catalogue."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from catalogue.choices import CatalogueStatus
from catalogue.models import RiskCatalogue
from catalogue.serialization import DEFAULT_CATALOGUE_NAME
from tests.factories import CatalogueFactory, DraftCatalogueFactory

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def _without_version(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in ("version", "status")}


# --- load_default_catalogue -------------------------------------------------------------------


def test_load_default_catalogue_creates_it_once_and_says_so():
    first = run("load_default_catalogue")
    second = run("load_default_catalogue")

    assert first.startswith(f"Created {DEFAULT_CATALOGUE_NAME} v1 (Published)")
    assert second.startswith(f"Found {DEFAULT_CATALOGUE_NAME} v1 (Published); nothing to load.")
    assert RiskCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).count() == 1


def test_load_default_catalogue_publishes_a_changed_file_and_says_what_it_retired():
    run("load_default_catalogue")
    RiskCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).update(rollup_params={})  # as an older release shipped

    out = run("load_default_catalogue")

    assert out.startswith(f"Published {DEFAULT_CATALOGUE_NAME} v2 (Published): the default catalogue file changed")
    assert (f"Retired {DEFAULT_CATALOGUE_NAME} v1: its approved assessments keep its rules; new assessments and "
            "reassessments use v2.") in out
    assert run("load_default_catalogue").startswith(f"Found {DEFAULT_CATALOGUE_NAME} v2 (Published); nothing to load.")


# --- export_catalogue -------------------------------------------------------------------------


def test_export_defaults_to_the_newest_published_default_catalogue():
    run("load_default_catalogue")
    CatalogueFactory(name=DEFAULT_CATALOGUE_NAME, version=2, contents__categories=2)
    DraftCatalogueFactory(name=DEFAULT_CATALOGUE_NAME, version=3)
    CatalogueFactory(name="Another catalogue")

    document = json.loads(run("export_catalogue"))

    assert (document["name"], document["version"], document["status"]) == (DEFAULT_CATALOGUE_NAME, 2, "published")
    assert len(document["categories"]) == 2


def test_export_defaults_to_the_only_catalogue_name():
    CatalogueFactory(name="Sole catalogue", version=1)

    assert json.loads(run("export_catalogue"))["name"] == "Sole catalogue"


def test_export_a_named_draft_version_as_yaml():
    DraftCatalogueFactory(name="Work", version=4)
    CatalogueFactory(name="Other")

    document = yaml.safe_load(run("export_catalogue", "--name", "Work", "--version", "4", "--format", "yaml"))

    assert (document["name"], document["version"], document["status"]) == ("Work", 4, "draft")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], f"No published version of catalogue '{DEFAULT_CATALOGUE_NAME}'"),
        (["--name", "Nothing"], "No published version of catalogue 'Nothing'"),
        (["--name", "Work", "--version", "9"], "No catalogue 'Work' version 9."),
    ],
)
def test_export_names_what_it_could_not_find(args, message):
    DraftCatalogueFactory(name="Work")
    CatalogueFactory(name="Other")

    with pytest.raises(CommandError, match=message):
        run("export_catalogue", *args)


# --- import_catalogue -------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "suffix"), [("json", ".json"), ("yaml", ".yaml"), ("yaml", ".yml")])
def test_export_then_import_round_trip_is_lossless(tmp_path, fmt, suffix):
    CatalogueFactory(name="Trip", version=1, contents__categories=5)
    exported = run("export_catalogue", "--name", "Trip", "--format", fmt)
    path = tmp_path / f"trip{suffix}"
    path.write_text(exported, encoding="utf-8")

    message = run("import_catalogue", str(path))

    assert message.strip() == "Imported Trip as draft version 2"
    reexported = run("export_catalogue", "--name", "Trip", "--version", "2", "--format", fmt)
    original, copy = (json.loads(t) if fmt == "json" else yaml.safe_load(t) for t in (exported, reexported))
    assert (copy["version"], copy["status"]) == (2, "draft")
    assert _without_version(copy) == _without_version(original)


def test_import_reads_yaml_from_a_file_without_a_known_extension(tmp_path):
    CatalogueFactory(name="Plain")
    path = tmp_path / "catalogue.txt"
    path.write_text(run("export_catalogue", "--format", "yaml"), encoding="utf-8")

    assert "Imported Plain as draft version 2" in run("import_catalogue", str(path))


SYNTAX_ERRORS = {
    "yaml": ("bad.yaml", "format: riskboard-catalogue\nname: [Risks\nbands: x\n", "invalid YAML at line 3, column 6"),
    "json": ("bad.json", '{"format": "riskboard-catalogue",\n "name": }', "invalid JSON at line 2, column 10"),
    "duplicate key": ("dup.yaml", "name: A\nname: B\n", "line 2, column 1: .*duplicate key 'name'"),
}


@pytest.mark.parametrize(("name", "text", "message"), SYNTAX_ERRORS.values(), ids=SYNTAX_ERRORS.keys())
def test_import_refuses_a_syntax_error_naming_line_and_column(tmp_path, row_counts, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError, match=message):
        run("import_catalogue", str(path))

    assert row_counts() == before


def test_import_lists_every_problem_with_its_place_and_writes_nothing(tmp_path, row_counts):
    CatalogueFactory(name="Broken")
    document = yaml.safe_load(run("export_catalogue", "--format", "yaml"))
    del document["categories"][0]["description"]  # missing key
    document["categories"][1]["guidance"] = "text"  # wrong type
    document["scales"]["likelihood"][2]["value"] = 0  # out-of-range level
    document["safeguards"][0]["categories"] = ["FOO"]  # unknown category
    document["matrix"][1] = document["matrix"][1][:3]  # incomplete matrix
    document["categories"][2]["code"] = "CAT_2"  # duplicate code
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError) as excinfo:
        run("import_catalogue", str(path))

    message = str(excinfo.value)
    assert message.startswith(f"{path} was not imported; it has 9 problems:\n")
    for problem in [
        "  - categories[0].description: missing required key",
        "  - categories[1].guidance: must be a list of questions, not a string",
        "  - scales.likelihood[2].value: must be an integer from 1 to 5, not 0",
        "  - scales.likelihood: missing level 3",
        "  - safeguards[0].categories[0]: unknown category code 'FOO'",
        "  - matrix: missing cell likelihood=2 impact=4",
        "  - matrix: missing cell likelihood=2 impact=5",
        "  - categories[2].code: duplicate category code 'CAT_2' (also categories[1])",
    ]:
        assert problem in message.splitlines()
    assert row_counts() == before


def test_import_of_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*nowhere\.yaml"):
        run("import_catalogue", str(tmp_path / "nowhere.yaml"))


def test_imported_draft_does_not_replace_the_published_version(tmp_path):
    CatalogueFactory(name="Stable")
    path = tmp_path / "stable.json"
    path.write_text(run("export_catalogue"), encoding="utf-8")

    run("import_catalogue", str(path))

    statuses = dict(RiskCatalogue.objects.filter(name="Stable").values_list("version", "status"))
    assert statuses == {1: CatalogueStatus.PUBLISHED, 2: CatalogueStatus.DRAFT}
    assert json.loads(run("export_catalogue"))["version"] == 1


def test_import_refuses_a_weighted_mean_floor_naming_its_place(tmp_path, row_counts):
    CatalogueFactory(name="Floors")
    document = yaml.safe_load(run("export_catalogue", "--format", "yaml"))
    document["rollup_params"] = {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
                                           {"escalate_band": "SEVERE", "min_count": 2, "to_band": "CRITICAL"}]}
    path = tmp_path / "floors.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError) as excinfo:
        run("import_catalogue", str(path))

    assert str(excinfo.value).splitlines() == [
        f"{path} was not imported; it has 1 problem:",
        '  - rollup_params.rules[1].escalate_band: unknown band "SEVERE"; use one of LOW, MEDIUM, HIGH, CRITICAL',
    ]
    assert row_counts() == before


def test_import_refuses_a_rollup_rule_the_scores_cannot_use_naming_its_place(tmp_path, row_counts):
    CatalogueFactory(name="Rules")
    document = yaml.safe_load(run("export_catalogue", "--format", "yaml"))
    document["rollup_method"] = "count_rule"
    document["rollup_params"] = {"rules": [
        {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"},
        {"escalate_band": "HIGH", "min_count": 3, "to_band": "CRTICAL"},
    ]}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError) as excinfo:
        run("import_catalogue", str(path))

    assert str(excinfo.value).splitlines() == [
        f"{path} was not imported; it has 1 problem:",
        '  - rollup_params.rules[1].to_band: unknown band "CRTICAL"; use one of LOW, MEDIUM, HIGH, CRITICAL',
    ]
    assert row_counts() == before
