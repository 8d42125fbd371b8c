"""The assessment workflow services: start with pre-fill, save, submit, review, approve."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import services
from assessments.choices import AssessmentStatus, TransitionAction
from assessments.models import Assessment, Rating
from assessments.services import AssessmentConflict, RatingInput
from riskboard.roles import Role
from tests.factories import AgreementFactory, CatalogueFactory, MembershipFactory, TeamFactory, rating_inputs

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory()


@pytest.fixture
def analyst(team):
    return MembershipFactory(team=team, role=Role.ANALYST).user


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role=Role.MANAGER).user


@pytest.fixture
def agreement(team, catalogue):
    return AgreementFactory(owner_team=team)


def full_inputs(catalogue, **levels):
    return rating_inputs(catalogue.categories.all(), **levels)


def approved_assessment(agreement, analyst, manager, catalogue, **kwargs):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    services.assessment_save_ratings(
        assessment=assessment, actor=analyst, expected_version=assessment.version,
        ratings=full_inputs(catalogue, **kwargs),
    )
    services.assessment_submit(assessment=assessment, actor=analyst)
    return services.assessment_approve(assessment=assessment, actor=manager)


def test_start_creates_a_draft_on_the_published_catalogue(agreement, analyst, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst, as_of=dt.date(2026, 1, 5))
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.catalogue == catalogue
    assert list(assessment.authors.all()) == [analyst]
    assert assessment.transitions.get().action == TransitionAction.CREATE


def test_a_second_open_assessment_is_refused(agreement, analyst):
    services.assessment_start(agreement=agreement, actor=analyst)
    with pytest.raises(ValidationError, match="already has an open assessment"):
        services.assessment_start(agreement=agreement, actor=analyst)
    assert agreement.assessments.count() == 1


def test_reassessment_is_prefilled_from_the_last_approved_one(agreement, analyst, manager, catalogue):
    first = approved_assessment(agreement, analyst, manager, catalogue, inherent=(5, 4), residual=(3, 2))
    second = services.assessment_start(agreement=agreement, actor=analyst)
    assert second.previous == first
    assert second.pk != first.pk
    copied = {r.category.code: r for r in second.ratings.all()}
    assert len(copied) == catalogue.categories.count()
    for rating in copied.values():
        assert (rating.inherent_likelihood, rating.inherent_impact) == (5, 4)
        assert (rating.residual_likelihood, rating.residual_impact) == (3, 2)
        assert rating.rationale.startswith("Rationale for")
        assert rating.safeguards.count() == 1
    # Editing the new draft leaves the approved assessment untouched.
    category = catalogue.categories.first()
    services.assessment_save_ratings(
        assessment=second, actor=analyst, expected_version=second.version,
        ratings=[RatingInput(category_id=category.id, inherent_likelihood=1, inherent_impact=1,
                             residual_likelihood=1, residual_impact=1)],
    )
    assert first.ratings.get(category=category).inherent_likelihood == 5


def test_reassessment_on_a_newer_catalogue_version_copies_by_category_code(agreement, analyst, manager, catalogue):
    approved_assessment(agreement, analyst, manager, catalogue)
    newer = CatalogueFactory(name=catalogue.name, version=2, contents__categories=4)
    second = services.assessment_start(agreement=agreement, actor=analyst, catalogue=newer)
    assert second.catalogue == newer
    assert sorted(second.ratings.values_list("category__code", flat=True)) == ["CAT_1", "CAT_2", "CAT_3"]
    assert all(r.category.catalogue_id == newer.id for r in second.ratings.all())


def test_an_assessment_date_in_the_future_is_refused_on_its_field(agreement, analyst):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        services.assessment_start(agreement=agreement, actor=analyst, as_of=tomorrow)

    assert excinfo.value.message_dict == {"as_of": ["The assessment date cannot be in the future."]}
    assert not Assessment.objects.filter(agreement=agreement).exists()
    assert services.assessment_start(agreement=agreement, actor=analyst, as_of=timezone.localdate()).as_of == (
        timezone.localdate()
    )


@pytest.mark.parametrize("field", ["rationale", "evidence", "safeguards_other"])
def test_a_rating_text_longer_than_the_limit_is_refused_on_its_field(agreement, analyst, catalogue, field):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    category = catalogue.categories.first()

    with pytest.raises(services.RatingsInvalid) as excinfo:
        services.assessment_save_ratings(
            assessment=assessment, actor=analyst, expected_version=assessment.version,
            ratings=[RatingInput(category_id=category.id, **{field: "x" * 10_001})],
        )

    assert excinfo.value.by_category[category.id] == {field: ["Write at most 10,000 characters (this has 10,001)."]}
    assert not Rating.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize("decision", ["assessment_approve", "assessment_return"])
def test_a_review_comment_longer_than_the_limit_is_refused(agreement, analyst, manager, catalogue, decision):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                     ratings=full_inputs(catalogue))
    services.assessment_submit(assessment=assessment, actor=analyst)

    with pytest.raises(ValidationError) as excinfo:
        getattr(services, decision)(assessment=assessment, actor=manager, comment="x" * 10_001)

    assert list(excinfo.value.message_dict) == ["comment"]
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SUBMITTED


def test_partial_ratings_can_be_saved_but_not_submitted(agreement, analyst, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    first = catalogue.categories.first()
    services.assessment_save_ratings(
        assessment=assessment, actor=analyst, expected_version=assessment.version,
        ratings=[RatingInput(category_id=first.id, inherent_likelihood=3)],
    )
    assert Rating.objects.get(assessment=assessment).inherent_likelihood == 3
    with pytest.raises(ValidationError, match="3 categories are not fully rated"):
        services.assessment_submit(assessment=assessment, actor=analyst)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_residual_above_inherent_needs_a_rationale(agreement, analyst, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    category = catalogue.categories.first()
    with pytest.raises(services.RatingsInvalid) as excinfo:
        services.assessment_save_ratings(
            assessment=assessment, actor=analyst, expected_version=assessment.version,
            ratings=[RatingInput(category_id=category.id, inherent_likelihood=2, inherent_impact=2,
                                 residual_likelihood=3, residual_impact=2)],
        )
    assert "explain why" in excinfo.value.by_category[category.id]["rationale"][0]
    assert list(excinfo.value.message_dict) == [f"{category.id}-rationale"]
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_a_save_quoting_an_old_version_is_refused_and_changes_nothing(agreement, analyst, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    category = catalogue.categories.first()
    loaded_version = assessment.version
    services.assessment_save_ratings(
        assessment=assessment, actor=analyst, expected_version=loaded_version,
        ratings=[RatingInput(category_id=category.id, inherent_likelihood=4)],
    )
    with pytest.raises(AssessmentConflict) as excinfo:
        services.assessment_save_ratings(
            assessment=assessment, actor=analyst, expected_version=loaded_version,
            ratings=[RatingInput(category_id=category.id, inherent_likelihood=1)],
        )
    assert excinfo.value.assessment.version == loaded_version + 1
    assert Rating.objects.get(assessment=assessment).inherent_likelihood == 4


def test_four_eyes_an_author_cannot_approve(agreement, analyst, catalogue, team):
    author_manager = MembershipFactory(team=team, role=Role.MANAGER).user
    assessment = services.assessment_start(agreement=agreement, actor=author_manager)
    services.assessment_save_ratings(assessment=assessment, actor=author_manager,
                                     expected_version=assessment.version, ratings=full_inputs(catalogue))
    services.assessment_submit(assessment=assessment, actor=author_manager)
    with pytest.raises(PermissionDenied, match="four eyes"):
        services.assessment_approve(assessment=assessment, actor=author_manager)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_analysts_cannot_approve_and_outsiders_cannot_edit(agreement, analyst, manager, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                     ratings=full_inputs(catalogue))
    services.assessment_submit(assessment=assessment, actor=analyst)
    other_analyst = MembershipFactory(role=Role.ANALYST).user
    with pytest.raises(PermissionDenied):
        services.assessment_approve(assessment=assessment, actor=MembershipFactory(
            team=agreement.owner_team, role=Role.ANALYST).user)
    with pytest.raises(PermissionDenied):
        services.assessment_start(agreement=AgreementFactory(owner_team=agreement.owner_team), actor=other_analyst)
    auditor = MembershipFactory(team=None, role=Role.AUDITOR).user
    with pytest.raises(PermissionDenied):
        services.assessment_approve(assessment=assessment, actor=auditor)


def test_return_needs_a_comment_and_resubmission_works(agreement, analyst, manager, catalogue):
    assessment = services.assessment_start(agreement=agreement, actor=analyst)
    services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                     ratings=full_inputs(catalogue))
    services.assessment_submit(assessment=assessment, actor=analyst)
    with pytest.raises(ValidationError, match="comment is required"):
        services.assessment_return(assessment=assessment, actor=manager, comment="  ")
    services.assessment_return(assessment=assessment, actor=manager, comment="Evidence for CAT_2 is thin.")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.RETURNED
    assert assessment.review_comment == "Evidence for CAT_2 is thin."
    services.assessment_submit(assessment=assessment, actor=analyst)
    services.assessment_approve(assessment=assessment, actor=manager, comment="Fine now.")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED
    assert list(assessment.transitions.values_list("action", "actor__username")) == [
        (TransitionAction.CREATE, analyst.username),
        (TransitionAction.SUBMIT, analyst.username),
        (TransitionAction.RETURN, manager.username),
        (TransitionAction.SUBMIT, analyst.username),
        (TransitionAction.APPROVE, manager.username),
    ]


def test_approved_assessments_are_immutable(agreement, analyst, manager, catalogue):
    assessment = approved_assessment(agreement, analyst, manager, catalogue)
    category = catalogue.categories.first()
    with pytest.raises(ValidationError, match="approved"):
        services.assessment_save_ratings(
            assessment=assessment, actor=analyst, expected_version=assessment.version,
            ratings=[RatingInput(category_id=category.id, inherent_likelihood=1)],
        )
    with pytest.raises(ValidationError):
        services.assessment_submit(assessment=assessment, actor=analyst)
    with pytest.raises(ValidationError):
        services.assessment_return(assessment=assessment, actor=manager, comment="Reopen")
    assert assessment.ratings.get(category=category).inherent_likelihood == 4


@pytest.mark.parametrize(
    ("residual", "months"),
    [((5, 4), 3), ((4, 3), 6), ((3, 2), 12), ((1, 2), 24)],
)
def test_next_review_date_follows_the_worst_residual_band(agreement, analyst, manager, catalogue, residual, months,
                                                          monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 1, 31))
    assessment = approved_assessment(agreement, analyst, manager, catalogue, inherent=(5, 5), residual=residual)
    from assessments.scheduling import add_months

    assert assessment.next_review_date == add_months(dt.date(2026, 1, 31), months)


def test_next_review_date_is_capped_by_agreement_end_minus_notice(analyst, manager, catalogue, team, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 1, 1))
    agreement = AgreementFactory(owner_team=team, end_date=dt.date(2026, 9, 30), notice_period_days=30)
    assessment = approved_assessment(agreement, analyst, manager, catalogue, inherent=(1, 1), residual=(1, 1))
    assert assessment.next_review_date == dt.date(2026, 8, 31)


# --- Saving in bulk ------------------------------------------------------------------------------


def _form_inputs(catalogue, *, level: int, safeguards) -> list[RatingInput]:
    """One input per category, as the form sends them; ``safeguards(category)`` picks its safeguards."""
    return [
        RatingInput(category_id=c.id, inherent_likelihood=level, inherent_impact=level, residual_likelihood=level,
                    residual_impact=level, safeguard_ids=safeguards(c), rationale=f"Level {level}")
        for c in catalogue.categories.prefetch_related("safeguards")
    ]


def _as_loaded_by_the_form(assessment):
    return Assessment.objects.select_related("agreement", "catalogue").get(pk=assessment.pk)


def _save_queries(assessment, analyst, inputs) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assessment = _as_loaded_by_the_form(assessment)
    with CaptureQueriesContext(connection) as captured:
        services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                         ratings=inputs)
    return len(captured)


def test_saving_a_ten_category_form_costs_a_fixed_number_of_queries(team, analyst, django_assert_max_num_queries):
    ten = CatalogueFactory(name="Ten", contents__categories=10)
    extra = ten.safeguards.create(code="SG_ALL", name="Shared safeguard")
    extra.categories.set(ten.categories.all())
    assessment = services.assessment_start(agreement=AgreementFactory(owner_team=team), actor=analyst, catalogue=ten)

    created = _form_inputs(ten, level=2, safeguards=lambda c: [s.id for s in c.safeguards.all()])
    assessment = _as_loaded_by_the_form(assessment)
    # Savepoint and release included; 40 when each category was saved on its own.
    with django_assert_max_num_queries(11):
        services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                         ratings=created)
    kept_links = set(Rating.safeguards.through.objects.filter(safeguard=extra).values_list("pk", flat=True))
    assert len(kept_links) == 10

    # Every category changed: levels, and the shared safeguard kept while the other is dropped.
    updated = _form_inputs(ten, level=1, safeguards=lambda c: [extra.id])
    assessment = _as_loaded_by_the_form(assessment)
    with django_assert_max_num_queries(11):  # 42 before
        services.assessment_save_ratings(assessment=assessment, actor=analyst, expected_version=assessment.version,
                                         ratings=updated)
    ratings = list(assessment.ratings.prefetch_related("safeguards"))
    assert len(ratings) == 10
    assert {(r.inherent_likelihood, r.residual_impact, r.rationale) for r in ratings} == {(1, 1, "Level 1")}
    assert all([s.code for s in r.safeguards.all()] == ["SG_ALL"] for r in ratings)
    # Links that stay are left alone (the audit trail records only what changed).
    assert set(Rating.safeguards.through.objects.values_list("pk", flat=True)) == kept_links

    # The cost does not grow with the number of categories: one category costs the same as ten.
    one = _form_inputs(ten, level=3, safeguards=lambda c: [])
    assert _save_queries(assessment, analyst, one[:1]) == _save_queries(assessment, analyst, one)
