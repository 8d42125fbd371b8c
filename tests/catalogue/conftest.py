import pytest

from catalogue.models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel
from catalogue.services import catalogue_export
from tests.factories import CatalogueFactory


@pytest.fixture
def document(db) -> dict:
    """A valid export document (a complete published catalogue named "Source", version 1)."""
    return catalogue_export(catalogue=CatalogueFactory(name="Source"))


@pytest.fixture
def row_counts(db):
    """A function returning the number of rows of every catalogue table, to prove nothing was written."""

    def counts() -> dict[str, int]:
        models = (RiskCatalogue, ScaleLevel, Band, MatrixCell, RiskCategory, Safeguard, Safeguard.categories.through)
        return {model.__name__: model.objects.count() for model in models}

    return counts
