"""Catalogue selectors: which version is current, and reads that stay at a fixed number of queries."""

import pytest

from catalogue.choices import CatalogueStatus
from catalogue.selectors import (
    catalogue_gaps_list,
    catalogue_get_current_published,
    catalogue_name_default,
    catalogue_version_next,
)
from catalogue.serialization import DEFAULT_CATALOGUE_NAME
from tests.factories import CatalogueFactory, DraftCatalogueFactory

pytestmark = pytest.mark.django_db


def test_current_published_is_the_newest_published_version():
    CatalogueFactory(name="Risks", version=1)
    newest = CatalogueFactory(name="Risks", version=2)
    DraftCatalogueFactory(name="Risks", version=3)
    CatalogueFactory(name="Risks", version=4, status=CatalogueStatus.RETIRED)
    CatalogueFactory(name="Other", version=9)

    assert catalogue_get_current_published(name="Risks") == newest


def test_current_published_is_none_without_a_published_version():
    DraftCatalogueFactory(name="Unpublished")

    assert catalogue_get_current_published(name="Unpublished") is None
    assert catalogue_get_current_published(name="Unknown") is None


def test_default_name_is_the_only_name_else_the_default_catalogue():
    assert catalogue_name_default() == DEFAULT_CATALOGUE_NAME
    only = CatalogueFactory(name="Only one")
    assert catalogue_name_default() == "Only one"
    assert catalogue_get_current_published() == only
    CatalogueFactory(name="Second")
    assert catalogue_name_default() == DEFAULT_CATALOGUE_NAME


def test_next_version_follows_the_highest_existing_version():
    CatalogueFactory(name="Gaps", version=1)
    CatalogueFactory(name="Gaps", version=5)

    assert catalogue_version_next(name="Gaps") == 6
    assert catalogue_version_next(name="New") == 1


def test_a_complete_catalogue_has_no_gaps():
    assert catalogue_gaps_list(catalogue=DraftCatalogueFactory()) == []


def test_an_empty_catalogue_lists_every_gap():
    gaps = catalogue_gaps_list(catalogue=DraftCatalogueFactory(contents=False))

    assert gaps[:2] == [
        "The likelihood scale needs exactly the levels 1 to 5 (it has none).",
        "The impact scale needs exactly the levels 1 to 5 (it has none).",
    ]
    assert "Add at least one band." in gaps
    assert any(g.startswith("The risk matrix is missing 25 of 25 cells") for g in gaps)
    assert gaps[-1] == "Add at least one category."
