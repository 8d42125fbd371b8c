import pytest


@pytest.fixture
def catalogue(db):
    from tests.factories import CatalogueFactory

    return CatalogueFactory()
