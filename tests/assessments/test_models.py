"""The database itself refuses ratings and assessments that break the model's rules."""

import pytest
from django.db import IntegrityError, transaction

from assessments.choices import AssessmentStatus
from assessments.models import Assessment, Rating
from tests.factories import AgreementFactory, AssessmentFactory, RatingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field", ["inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"]
)
@pytest.mark.parametrize("value", [0, 6])
def test_out_of_range_level_is_refused_by_the_database(field, value):
    rating = RatingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        # A queryset update bypasses model validation: only the database stands in the way.
        Rating.objects.filter(pk=rating.pk).update(**{field: value})
    rating.refresh_from_db()
    assert 1 <= getattr(rating, field) <= 5


def test_second_rating_for_the_same_category_is_refused_by_the_database():
    rating = RatingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(assessment=rating.assessment, category=rating.category)
    assert Rating.objects.filter(assessment=rating.assessment).count() == 1


def test_residual_above_inherent_without_rationale_is_refused_by_the_database():
    rating = RatingFactory(inherent_impact=2, residual_impact=2, rationale="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(residual_impact=4)
    Rating.objects.filter(pk=rating.pk).update(residual_impact=4, rationale="The safeguard lapsed in March.")
    rating.refresh_from_db()
    assert rating.residual_impact == 4


def test_an_agreement_has_at_most_one_open_assessment_in_the_database():
    first = AssessmentFactory(status=AssessmentStatus.SUBMITTED)
    for status in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED):
        with pytest.raises(IntegrityError), transaction.atomic():
            AssessmentFactory(agreement=first.agreement, catalogue=first.catalogue, status=status)
    assert Assessment.objects.filter(agreement=first.agreement).count() == 1


def test_approved_assessments_do_not_count_as_open():
    agreement = AgreementFactory()
    old = AssessmentFactory(agreement=agreement, status=AssessmentStatus.DRAFT)
    Assessment.objects.filter(pk=old.pk).update(status=AssessmentStatus.APPROVED, approved_at="2025-01-01T00:00Z")
    AssessmentFactory(agreement=agreement, catalogue=old.catalogue, status=AssessmentStatus.DRAFT)
    assert agreement.assessments.count() == 2
