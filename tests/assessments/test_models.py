"""The database itself refuses ratings and assessments that break the model's rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments.choices import AssessmentStatus
from assessments.models import Agreement, Assessment, Rating
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


# --- An agreement's dates and notice period (issue 8, defect 3) --------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("notice_period_days", 3651, "Choose a notice period from 0 to 3650 days (ten years)."),
    ("notice_period_days", 2_147_483_647, "Choose a notice period from 0 to 3650 days (ten years)."),
    ("start_date", dt.date(1899, 12, 31), "Choose a date from 1 January 1900 to 31 December 2200."),
    ("end_date", dt.date(2201, 1, 1), "Choose a date from 1 January 1900 to 31 December 2200."),
    ("end_date", dt.date(9999, 12, 31), "Choose a date from 1 January 1900 to 31 December 2200."),
])
def test_an_agreement_out_of_range_is_refused_by_validation_and_by_the_database(field, value, message):
    agreement = AgreementFactory(start_date=dt.date(1900, 1, 1), end_date=dt.date(2200, 12, 31),
                                 notice_period_days=3650)  # the bounds themselves are fine
    agreement.full_clean()
    setattr(agreement, field, value)
    with pytest.raises(ValidationError) as refused:
        agreement.full_clean()
    assert refused.value.message_dict[field] == [message]
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(**{field: value})
