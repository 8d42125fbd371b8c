"""The default catalogue shipped in catalogue/data/default_catalogue.yaml, as an assessor meets it."""

import dataclasses
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from catalogue.choices import CatalogueStatus, Scale
from catalogue.models import RiskCatalogue
from catalogue.selectors import catalogue_spec_get
from catalogue.serialization import DEFAULT_CATALOGUE_NAME
from catalogue.services import (
    SYSTEM,
    _catalogue_create,
    _shipped_spec,
    catalogue_default_ensure,
    catalogue_default_load,
    catalogue_draft_from,
    catalogue_publish,
    catalogue_retire,
    catalogue_update,
    category_update,
)
from tests.factories import DraftCatalogueFactory, standard_band_code

pytestmark = pytest.mark.django_db

# The ten risks named by the source document, in its order.
SEED_CATEGORIES = [
    ("INFO_LEAKAGE", "Information Leakage"),
    ("TECH_TRANSFER", "Technology Transfer"),
    ("GEOPOLITICAL_ALIGNMENT", "Geopolitical Alignment"),
    ("ECONOMIC_DEPENDENCE", "Economic Dependence"),
    ("LACK_OF_RECIPROCITY", "Lack of Reciprocity"),
    ("HUMAN_RIGHTS", "Human Rights Concerns"),
    ("ECONOMIC_ESPIONAGE", "Economic Espionage"),
    ("POLITICAL_INFLUENCE", "Political Influence"),
    ("DATA_SECURITY", "Data Security"),
    ("LEGAL_REGULATORY", "Legal and Regulatory Challenges"),
]


FLOORS = {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
                    {"escalate_band": "CRITICAL", "min_count": 2, "to_band": "CRITICAL"}]}


@pytest.fixture
def default():
    return catalogue_default_ensure()


def test_default_catalogue_is_published_version_1(default):
    stored = RiskCatalogue.objects.get(pk=default.pk)

    assert (stored.name, stored.version, stored.status) == (DEFAULT_CATALOGUE_NAME, 1, CatalogueStatus.PUBLISHED)
    assert stored.published_at is not None
    assert stored.rollup_method == "weighted_mean"
    assert stored.rollup_params == FLOORS


def test_the_default_rollup_raises_an_agreement_with_a_critical_category():
    """The shipped roll-up, as the scores read it: one Critical category makes at least High, two Critical."""
    from assessments import scoring

    rollup = scoring.Rollup.from_params("weighted_mean", FLOORS, ranks_by_code={"LOW": 1, "MEDIUM": 2, "HIGH": 3,
                                                                                 "CRITICAL": 4})
    assert rollup.rules == (scoring.CountRule(4, 1, 3), scoring.CountRule(4, 2, 4))


def test_default_catalogue_holds_exactly_the_ten_seed_categories_in_order(default):
    categories = catalogue_spec_get(catalogue=default).categories

    assert [(c.code, c.name) for c in categories] == SEED_CATEGORIES
    assert [c.display_order for c in categories] == list(range(1, 11))


def test_every_category_gives_an_assessor_a_description_and_questions(default):
    for category in default.categories.all():
        sentences = re.findall(r"[^.!?]+[.!?]", category.description)
        assert 2 <= len(sentences) <= 4, category.code
        assert 3 <= len(category.guidance) <= 5, category.code
        assert all(q.endswith("?") for q in category.guidance), category.code


def test_the_default_catalogue_is_written_for_any_partner(default):
    texts = [default.description]
    for category in default.categories.all():
        texts += [category.name, category.description, *category.guidance]
    texts += [s.description for s in default.safeguards.all()]

    assert not [t for t in texts if "China" in t or "Chinese" in t]


def test_leakage_and_data_security_weigh_most(default):
    weights = dict(default.categories.values_list("code", "weight"))

    assert all(Decimal("1.00") <= w <= Decimal("1.50") for w in weights.values())
    heaviest = max(weights.values())
    assert {code for code, w in weights.items() if w == heaviest} == {"INFO_LEAKAGE", "DATA_SECURITY"}


def test_scales_use_the_agreed_labels(default):
    labels = {
        scale: list(default.scale_levels.filter(scale=scale).order_by("value").values_list("value", "label"))
        for scale in Scale
    }

    assert labels[Scale.LIKELIHOOD] == [(1, "Rare"), (2, "Unlikely"), (3, "Possible"), (4, "Likely"),
                                        (5, "Almost certain")]
    assert labels[Scale.IMPACT] == [(1, "Negligible"), (2, "Minor"), (3, "Moderate"), (4, "Major"), (5, "Severe")]
    assert all(level.description.strip() for level in default.scale_levels.all())


def test_matrix_is_complete_and_follows_the_standard_rule(default):
    assert catalogue_spec_get(catalogue=default).matrix == {
        (lk, im): standard_band_code(lk, im) for lk in range(1, 6) for im in range(1, 6)
    }


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_bands_are_ranked_and_readable(default):
    bands = list(default.bands.order_by("rank"))

    assert [(b.code, b.rank) for b in bands] == [("LOW", 1), ("MEDIUM", 2), ("HIGH", 3), ("CRITICAL", 4)]
    for band in bands:
        best = max(_contrast(_luminance(band.colour), 0.0), _contrast(_luminance(band.colour), 1.0))
        assert best >= 4.5, f"{band.code} {band.colour}: neither black nor white text reaches 4.5:1"
        text = "white" if _contrast(_luminance(band.colour), 1.0) >= 4.5 else "black"
        assert f"Shown with {text} text." in band.description


def test_safeguards_cover_every_category(default):
    safeguards = list(default.safeguards.prefetch_related("categories"))
    covered = {c.code for s in safeguards for c in s.categories.all()}

    assert 15 <= len(safeguards) <= 20
    assert all(1 <= len(s.categories.all()) <= 4 for s in safeguards)
    assert covered == {code for code, _ in SEED_CATEGORIES}
    assert {"NEED_TO_KNOW", "DATA_HANDLING_AGREEMENT", "EXPORT_CONTROL_REVIEW", "RECIPROCITY_CLAUSE",
            "HUMAN_RIGHTS_DUE_DILIGENCE", "LEGAL_REVIEW", "SECURE_CHANNELS", "AUDIT_RIGHTS", "SUNSET_CLAUSE",
            "TECHNOLOGY_CONTROL_PLAN", "LIAISON_VETTING", "RELEASE_APPROVAL_BOARD"} <= {s.code for s in safeguards}


def test_loading_twice_creates_it_once(default):
    again = catalogue_default_ensure()

    assert again.pk == default.pk
    assert RiskCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).count() == 1
    assert again.categories.count() == 10


def test_an_existing_draft_version_1_is_left_as_it_is_and_the_file_is_published_after_it():
    existing = DraftCatalogueFactory(name=DEFAULT_CATALOGUE_NAME, version=1)

    loaded = catalogue_default_load()

    stored = RiskCatalogue.objects.get(pk=existing.pk)
    assert stored.status == CatalogueStatus.DRAFT
    assert stored.categories.count() == 3
    assert (loaded.catalogue.version, loaded.catalogue.status, loaded.created) == (2, CatalogueStatus.PUBLISHED, True)
    assert loaded.retired == ()


def _load_an_older_release():
    """Version 1 as an earlier release shipped it: the same file but a plain weighted mean."""
    spec = dataclasses.replace(_shipped_spec(), rollup_params={})
    with transaction.atomic():
        return catalogue_publish(catalogue=_catalogue_create(spec=spec), actor=SYSTEM)


def test_a_changed_file_is_published_as_the_next_version_and_the_older_one_retired():
    old = _load_an_older_release()

    loaded = catalogue_default_load()

    assert loaded.created and loaded.catalogue.version == 2 and loaded.catalogue.status == CatalogueStatus.PUBLISHED
    assert loaded.catalogue.rollup_params == FLOORS
    old.refresh_from_db()
    assert old.status == CatalogueStatus.RETIRED and old.rollup_params == {}  # frozen: never rewritten
    assert [c.pk for c in loaded.retired] == [old.pk]
    assert catalogue_spec_get(catalogue=loaded.catalogue).categories == catalogue_spec_get(catalogue=old).categories
    # Idempotent: the file's definition is now held by v2.
    again = catalogue_default_load()
    assert (again.catalogue.pk, again.created) == (loaded.catalogue.pk, False)
    assert RiskCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).count() == 2


def test_an_administrators_later_version_or_retirement_is_left_as_it_is(default):
    custom = catalogue_draft_from(catalogue=default, actor=SYSTEM)
    catalogue_update(catalogue=custom, actor=SYSTEM, rollup_params={})
    catalogue_publish(catalogue=custom, actor=SYSTEM)
    catalogue_retire(catalogue=default, actor=SYSTEM)

    loaded = catalogue_default_load()

    assert (loaded.catalogue.pk, loaded.created) == (custom.pk, False)  # the newest published version
    assert RiskCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).count() == 2


def test_default_catalogue_is_frozen(default):
    category = default.categories.get(code="INFO_LEAKAGE")

    with pytest.raises(ValidationError, match="is published and frozen"):
        category_update(category=category, actor=SYSTEM, weight=Decimal("3.00"))

    assert default.categories.get(code="INFO_LEAKAGE").weight == Decimal("1.50")
