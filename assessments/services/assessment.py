"""The assessment workflow: start, save ratings, submit, approve, return.

Every function validates, checks the actor's rights through ``riskboard.permissions``, runs in a
transaction and records each transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalogue.choices import CatalogueStatus
from catalogue.models import SCALE_MAX, SCALE_MIN, RiskCatalogue
from riskboard.permissions import Action, can, require

from .. import hooks, rules
from ..choices import EDITABLE_STATUSES, AssessmentStatus, Confidence, TransitionAction
from ..models import Agreement, Assessment, AssessmentTransition, Rating
from ..selectors import agreement_current_assessments, assessment_missing_categories, assessment_next_review_date

# The longest free text a person may write in one field (rationale, evidence, other safeguards, a
# review comment), in characters.
TEXT_MAX_LENGTH = 10_000


def _text_errors(values: dict[str, str]) -> dict[str, list[str]]:
    """A field error for each text in ``values`` longer than ``TEXT_MAX_LENGTH``."""
    return {
        name: [f"Write at most {TEXT_MAX_LENGTH:,} characters (this has {len(value):,})."]
        for name, value in values.items()
        if len(value) > TEXT_MAX_LENGTH
    }


class AssessmentConflict(Exception):
    """The assessment changed since the user loaded it; their write was refused, nothing saved."""

    def __init__(self, assessment: Assessment, expected_version: int):
        self.assessment = assessment
        self.expected_version = expected_version
        super().__init__(
            f"This assessment was changed by someone else (version {assessment.version}, "
            f"you edited version {expected_version})."
        )


class RatingsInvalid(ValidationError):
    """Invalid rating input. ``by_category`` maps category id -> field name -> messages.

    As a ``ValidationError`` its ``message_dict`` uses flat keys ``"<category_id>-<field>"``.
    """

    def __init__(self, by_category: dict[int, dict[str, list[str]]]):
        self.by_category = by_category
        super().__init__(
            {f"{category_id}-{name}": messages for category_id, fields in by_category.items()
             for name, messages in fields.items()}
        )


@dataclass
class RatingInput:
    """The shape of one category's input; values are validated by ``assessment_save_ratings``."""

    category_id: int
    inherent_likelihood: int | None = None
    inherent_impact: int | None = None
    residual_likelihood: int | None = None
    residual_impact: int | None = None
    safeguard_ids: Sequence[int] = field(default_factory=list)
    safeguards_other: str = ""
    rationale: str = ""
    evidence: str = ""
    confidence: str = Confidence.MEDIUM


def _record(assessment: Assessment, *, action: str, from_status: str, actor, comment: str = "") -> None:
    AssessmentTransition.objects.create(
        assessment=assessment,
        action=action,
        from_status=from_status,
        to_status=assessment.status,
        actor=actor,
        comment=comment,
    )


def _bump_version(assessment: Assessment, *, expected_version: int | None, statuses: Iterable[str]) -> None:
    """Claim the assessment for this write, or raise ``AssessmentConflict``.

    A single conditional UPDATE: it succeeds only if the row still has the version the user
    loaded (and is in one of ``statuses``), so two concurrent writers cannot both win.
    """
    rows = Assessment.objects.filter(pk=assessment.pk, status__in=list(statuses))
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if rows.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        current = Assessment.objects.get(pk=assessment.pk)
        if current.status not in statuses:
            raise ValidationError(
                f"This assessment is {current.get_status_display().lower()} and can no longer be changed this way."
            )
        raise AssessmentConflict(current, expected_version if expected_version is not None else assessment.version)
    assessment.refresh_from_db()


@transaction.atomic
def assessment_start(
    *, agreement: Agreement, actor, as_of: dt.date | None = None, catalogue: RiskCatalogue | None = None
) -> Assessment:
    """Start a draft assessment of ``agreement``, pre-filled from its last approved assessment.

    ``as_of``, the date the assessment describes, defaults to today and cannot be later (a
    ``ValidationError`` on ``as_of``). The catalogue is the given published version, else the one
    the last approved assessment used if still published, else the newest published catalogue.
    Pre-filled ratings are copied by category code, so a reassessment on a newer catalogue version
    keeps what still applies.
    """
    require(actor, Action.EDIT, agreement.owner_team_id)
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise ValidationError({"as_of": ["The assessment date cannot be in the future."]}, code="future")
    previous, open_assessment = agreement_current_assessments(agreement=agreement)
    if open_assessment is not None:
        raise ValidationError("This agreement already has an open assessment; finish or review that one first.")
    if catalogue is None:
        if previous is not None and previous.catalogue.status == CatalogueStatus.PUBLISHED:
            catalogue = previous.catalogue
        else:
            catalogue = (
                RiskCatalogue.objects.filter(status=CatalogueStatus.PUBLISHED).order_by("-published_at", "-id").first()
            )
    if catalogue is None or catalogue.status != CatalogueStatus.PUBLISHED:
        raise ValidationError("Assessments use a published catalogue; none is available.")

    assessment = Assessment(
        agreement=agreement,
        catalogue=catalogue,
        as_of=as_of,
        previous=previous,
    )
    assessment.full_clean(exclude=["previous"])
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:  # a concurrent start won the race for the one open slot
        raise ValidationError("This agreement already has an open assessment.") from exc
    assessment.authors.add(actor)
    if previous is not None:
        _copy_ratings(source=previous, target=assessment)
    _record(assessment, action=TransitionAction.CREATE, from_status="", actor=actor)
    return assessment


# What a RatingInput sets on its Rating, besides the safeguards.
_RATING_VALUES = (*rules.LEVEL_FIELDS, "safeguards_other", "rationale", "evidence", "confidence")


def _ratings_set_safeguards(*, wanted: dict[int, set[int]], existing_ids: list[int]) -> None:
    """Make each rating's safeguards exactly ``wanted[rating_id]``, in three statements at most.

    Only ``existing_ids`` can have links already; rows that stay are left alone (as ``set()`` does),
    so the audit trail records only what changed.
    """
    through = Rating.safeguards.through
    kept: dict[int, set[int]] = {rating_id: set() for rating_id in wanted}
    stale = []
    if existing_ids:
        links = through.objects.filter(rating_id__in=existing_ids).values_list("pk", "rating_id", "safeguard_id")
        for pk, rating_id, safeguard_id in links:
            if safeguard_id in wanted[rating_id]:
                kept[rating_id].add(safeguard_id)
            else:
                stale.append(pk)
    if stale:
        through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(
        through(rating_id=rating_id, safeguard_id=safeguard_id)
        for rating_id, safeguard_ids in wanted.items()
        for safeguard_id in sorted(safeguard_ids - kept[rating_id])
    )


def _copy_ratings(*, source: Assessment, target: Assessment) -> None:
    """Copy ``source``'s ratings into ``target`` by category code (and safeguard code)."""
    categories = {c.code: c for c in target.catalogue.categories.all()}
    safeguards = {s.code: s for s in target.catalogue.safeguards.all()}
    copies: list[tuple[Rating, set[int]]] = []
    for old in source.ratings.select_related("category").prefetch_related("safeguards"):
        category = categories.get(old.category.code)
        if category is None:
            continue
        rating = Rating(assessment=target, category=category, **{name: getattr(old, name) for name in _RATING_VALUES})
        copies.append((rating, {safeguards[s.code].pk for s in old.safeguards.all() if s.code in safeguards}))
    Rating.objects.bulk_create([rating for rating, _ in copies])
    _ratings_set_safeguards(wanted={rating.pk: wanted for rating, wanted in copies}, existing_ids=[])


def rating_input_errors(*, item: RatingInput, allowed_safeguard_ids: set[int]) -> dict[str, list[str]]:
    """Field errors for one category's input (empty when valid).

    Levels are ``SCALE_MIN`` to ``SCALE_MAX`` (1 to 5) or empty; texts at most ``TEXT_MAX_LENGTH``
    characters.
    """
    errors: dict[str, list[str]] = _text_errors(
        {name: getattr(item, name) for name in ("safeguards_other", "rationale", "evidence")}
    )
    levels = rules.levels_of(item)
    for name, value in levels.items():
        if value is not None and not (SCALE_MIN <= value <= SCALE_MAX):
            errors.setdefault(name, []).append(f"Choose a level from {SCALE_MIN} to {SCALE_MAX}.")
    if item.confidence not in Confidence.values:
        errors.setdefault("confidence", []).append("Choose low, medium or high.")
    unknown = set(item.safeguard_ids) - allowed_safeguard_ids
    if unknown:
        errors.setdefault("safeguards", []).append("Choose safeguards from this category's library.")
    if rules.residual_exceeds_inherent(levels) and not item.rationale.strip():
        errors.setdefault("rationale", []).append(
            "The residual rating is above the inherent rating: explain why in the rationale."
        )
    return errors


@transaction.atomic
def assessment_save_ratings(
    *, assessment: Assessment, actor, expected_version: int, ratings: Sequence[RatingInput]
) -> Assessment:
    """Save (create or update) ratings of a draft or returned assessment.

    Partial ratings are allowed. ``expected_version`` is the version the user loaded; when the
    assessment has moved on since, nothing is written and ``AssessmentConflict`` is raised.
    Invalid input raises ``RatingsInvalid`` (a ``ValidationError``) with every field error.
    """
    require(actor, Action.EDIT, assessment.agreement.owner_team_id)
    categories = {c.id: c for c in assessment.catalogue.categories.prefetch_related("safeguards")}
    all_errors: dict[int, dict[str, list[str]]] = {}
    for item in ratings:
        category = categories.get(item.category_id)
        if category is None:
            all_errors[item.category_id] = {"category": ["This category is not part of the catalogue."]}
            continue
        errors = rating_input_errors(item=item, allowed_safeguard_ids={s.id for s in category.safeguards.all()})
        if errors:
            all_errors[item.category_id] = errors
    if all_errors:
        raise RatingsInvalid(all_errors)

    _bump_version(assessment, expected_version=expected_version, statuses=EDITABLE_STATUSES)
    # In bulk, so that saving a whole form costs the same few statements whatever its size.
    existing = {r.category_id: r for r in Rating.objects.filter(assessment=assessment)}
    now = timezone.now()
    saved: list[tuple[Rating, RatingInput]] = []
    for item in ratings:
        rating = existing.get(item.category_id) or Rating(assessment=assessment, category_id=item.category_id)
        for name in _RATING_VALUES:
            setattr(rating, name, getattr(item, name))
        rating.updated_at = now  # bulk_update does not apply auto_now
        saved.append((rating, item))
    updated = [rating for rating, _ in saved if rating.pk is not None]
    # bulk_create sets the new rows' primary keys (PostgreSQL; SQLite 3.35+).
    Rating.objects.bulk_create([rating for rating, _ in saved if rating.pk is None])
    Rating.objects.bulk_update(updated, [*_RATING_VALUES, "updated_at"])
    _ratings_set_safeguards(
        wanted={rating.pk: set(item.safeguard_ids) for rating, item in saved},
        existing_ids=[rating.pk for rating in updated],
    )
    assessment.authors.add(actor)
    return assessment


@transaction.atomic
def assessment_submit(*, assessment: Assessment, actor, expected_version: int | None = None) -> Assessment:
    """Draft or returned -> submitted. Every category must be fully rated."""
    require(actor, Action.EDIT, assessment.agreement.owner_team_id)
    missing = assessment_missing_categories(assessment=assessment)
    if missing:
        names = ", ".join(c.name for c in missing)
        raise ValidationError(f"{len(missing)} categories are not fully rated: {names}.", code="incomplete")
    from_status = assessment.status
    _bump_version(assessment, expected_version=expected_version, statuses=EDITABLE_STATUSES)
    Assessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now())
    assessment.refresh_from_db()
    assessment.authors.add(actor)
    _record(assessment, action=TransitionAction.SUBMIT, from_status=from_status, actor=actor)
    return assessment


FOUR_EYES_REFUSAL = "You worked on this assessment; another manager must review it (four eyes)."


def assessment_is_author(*, assessment: Assessment, user) -> bool:
    """Whether ``user`` worked on ``assessment``: from its authors if the caller prefetched them,
    else one query."""
    return any(author.pk == user.pk for author in assessment.authors.all())


def assessment_can_review(*, assessment: Assessment, user) -> bool:
    """Whether ``user`` may approve or return ``assessment``: a manager of its team who is not one
    of its authors (four eyes). Its status is not checked here."""
    return can(user, Action.REVIEW, assessment.agreement.owner_team_id) and not assessment_is_author(
        assessment=assessment, user=user
    )


def assessment_require_reviewer(*, assessment: Assessment, user) -> None:
    """``assessment_can_review``, raising ``PermissionDenied`` (a 403) with the reason when not."""
    require(user, Action.REVIEW, assessment.agreement.owner_team_id)
    if assessment_is_author(assessment=assessment, user=user):
        raise PermissionDenied(FOUR_EYES_REFUSAL)


@transaction.atomic
def assessment_approve(
    *, assessment: Assessment, actor, comment: str = "", expected_version: int | None = None
) -> Assessment:
    """Submitted -> approved, by a manager of the team who is not an author (four eyes).

    Sets the next review date from the worst residual band and settings.RISKBOARD_REVIEW_MONTHS,
    capped by the agreement's end date minus its notice period. Approved is final. The optional
    ``comment`` is at most ``TEXT_MAX_LENGTH`` characters.
    """
    errors = _text_errors({"comment": comment})
    if errors:
        raise ValidationError(errors)
    assessment_require_reviewer(assessment=assessment, user=actor)
    _bump_version(assessment, expected_version=expected_version, statuses=[AssessmentStatus.SUBMITTED])
    now = timezone.now()
    Assessment.objects.filter(pk=assessment.pk).update(
        status=AssessmentStatus.APPROVED,
        approved_at=now,
        reviewer=actor,
        review_comment=comment,
        next_review_date=assessment_next_review_date(assessment=assessment, approved_on=timezone.localdate(now)),
    )
    assessment.refresh_from_db()
    _record(assessment, action=TransitionAction.APPROVE, from_status=AssessmentStatus.SUBMITTED, actor=actor,
            comment=comment)
    hooks.assessment_approved(assessment_id=assessment.pk)
    return assessment


@transaction.atomic
def assessment_return(
    *, assessment: Assessment, actor, comment: str, expected_version: int | None = None
) -> Assessment:
    """Submitted -> returned to draft, with the reviewer's comment (required, at most
    ``TEXT_MAX_LENGTH`` characters)."""
    if not comment or not comment.strip():
        raise ValidationError({"comment": ["Say what needs to change: a comment is required to return."]})
    errors = _text_errors({"comment": comment.strip()})
    if errors:
        raise ValidationError(errors)
    assessment_require_reviewer(assessment=assessment, user=actor)
    _bump_version(assessment, expected_version=expected_version, statuses=[AssessmentStatus.SUBMITTED])
    Assessment.objects.filter(pk=assessment.pk).update(
        status=AssessmentStatus.RETURNED, reviewer=actor, review_comment=comment.strip()
    )
    assessment.refresh_from_db()
    _record(assessment, action=TransitionAction.RETURN, from_status=AssessmentStatus.SUBMITTED, actor=actor,
            comment=comment.strip())
    return assessment
