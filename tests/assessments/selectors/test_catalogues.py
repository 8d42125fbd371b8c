"""Catalogue reads of the assessment pages (``selectors.catalogues``): the risk matrix with its bands."""

import pytest

from assessments import selectors
from catalogue.models import MatrixCell
from tests.factories import CatalogueFactory, DraftCatalogueFactory, standard_band_code

pytestmark = pytest.mark.django_db

LEVELS = range(1, 6)


def test_the_matrix_gives_each_pair_of_levels_its_band_in_one_query(django_assert_num_queries):
    catalogue = CatalogueFactory()

    with django_assert_num_queries(2):  # the cells with their bands; is the version frozen (cacheable)?
        selectors.catalogue_matrix(catalogue_id=catalogue.pk)
    with django_assert_num_queries(0):  # a published version's matrix never changes: read from the cache
        matrix = selectors.catalogue_matrix(catalogue_id=catalogue.pk)

    assert {pair: band.code for pair, band in matrix.cells.items()} == {
        (lk, im): standard_band_code(lk, im) for lk in LEVELS for im in LEVELS
    }
    assert matrix.band(4, 3).code == "HIGH" and matrix.band(3, 4).label == "High"
    assert matrix.band(None, 3) is None and matrix.band(2, None) is None  # not rated yet
    assert matrix.band(6, 1) is None  # off the scale


def test_the_worst_band_of_pairs_ignores_those_not_rated_yet():
    matrix = selectors.catalogue_matrix(catalogue_id=CatalogueFactory().pk)

    assert matrix.worst_band([(1, 1), (None, 5), (2, 3), (1, 4)]).code == "MEDIUM"
    assert matrix.worst_band([(5, 4), (5, 5)]).code == "CRITICAL"
    assert matrix.worst_band([(None, None)]) is None
    assert matrix.worst_band([]) is None
    assert selectors.worst_band([None, matrix.band(2, 5), matrix.band(1, 1), None]).code == "HIGH"
    assert selectors.worst_band([None]) is None


def test_a_draft_matrix_with_missing_cells_gives_no_band():
    catalogue = DraftCatalogueFactory()
    MatrixCell.objects.filter(catalogue=catalogue, likelihood=5).delete()

    matrix = selectors.catalogue_matrix(catalogue_id=catalogue.pk)

    assert matrix.band(1, 1) is None and matrix.cells == {} and matrix.worst_band([(1, 1)]) is None
