"""The exchange document as text: parsing with useful syntax errors, and writing JSON and YAML."""

import json

import pytest
import yaml

from catalogue.serialization import DocumentSyntaxError, document_dump, document_parse

YAML_TEXT = "format: riskboard-catalogue\nname: Risks\nmatrix:\n- [LOW, HIGH]\n"


def test_parse_yaml_and_json():
    assert document_parse(text=YAML_TEXT, fmt="yaml")["matrix"] == [["LOW", "HIGH"]]
    assert document_parse(text='{"name": "Risks"}', fmt="json") == {"name": "Risks"}


def test_parse_without_a_format_tries_json_then_yaml():
    assert document_parse(text='{"name": "Risks"}') == {"name": "Risks"}
    assert document_parse(text=YAML_TEXT)["name"] == "Risks"


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("name: Risks\nbands: [LOW\nmatrix: x\n", "yaml", "invalid YAML at line 3, column 7"),
        ("name: Risks\n  bad: indent\n", "yaml", "invalid YAML at line 2, column 6"),
        ('{\n  "name": "Risks",\n  "bands": ]\n}', "json", "invalid JSON at line 3, column 12"),
        ("name: Risks\n  bad: indent\n", None, "invalid YAML at line 2, column 6"),
    ],
)
def test_syntax_errors_name_line_and_column(text, fmt, message):
    with pytest.raises(DocumentSyntaxError, match=message):
        document_parse(text=text, fmt=fmt)


def test_a_key_given_twice_is_a_syntax_error_not_a_silent_overwrite():
    with pytest.raises(DocumentSyntaxError, match=r"line 3, column 1: .*duplicate key 'name'"):
        document_parse(text="name: A\nformat: x\nname: B\n", fmt="yaml")
    with pytest.raises(DocumentSyntaxError, match="duplicate key 'name'"):
        document_parse(text='{"name": "A", "name": "B"}', fmt="json")


def test_yaml_never_builds_python_objects():
    with pytest.raises(DocumentSyntaxError):
        document_parse(text="name: !!python/object/apply:os.system ['true']", fmt="yaml")


def test_dump_json_and_yaml_read_back_identically():
    document = {"name": "Risks", "matrix": [["LOW", "HIGH"], ["HIGH", "CRITICAL"]], "weight": "1.50"}

    as_json = document_dump(document=document, fmt="json")
    as_yaml = document_dump(document=document, fmt="yaml")

    assert json.loads(as_json) == document
    assert yaml.safe_load(as_yaml) == document
    assert "- [LOW, HIGH]\n" in as_yaml  # a matrix row reads as a row
    assert list(yaml.safe_load(as_yaml)) == ["name", "matrix", "weight"]  # document order kept
