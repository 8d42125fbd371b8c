"""Scores computed in Python straight from the ratings, and the stored scores read back, to compare.

``scores_compute_in_python`` is the straightforward way: stream the ratings of approved
assessments through the ORM and call ``assessments.scoring`` on each agreement. It is the
reference the set-based SQL is tested against, and the baseline of the benchmark.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .. import scoring
from ..choices import AgreementStatus, AssessmentStatus
from ..models import (
    Agreement,
    AgreementScore,
    Assessment,
    CategoryScore,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
    Rating,
)
from ..models.querysets import LATEST_APPROVED_FIRST
from .catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels


@dataclass(frozen=True)
class StoredAgreement:
    """What an ``AgreementScore`` row holds, without its timestamp."""

    assessment_id: int
    catalogue_id: int
    is_active: bool
    result: scoring.AgreementResult
    team_id: int | None = None  # the owner team it was counted for


@dataclass
class Scores:
    """Every score of a portfolio: agreements by id, tallies by ``scoring`` key (with the team)."""

    agreements: dict[int, StoredAgreement] = field(default_factory=dict)
    tallies: dict[tuple, scoring.Tally] = field(default_factory=dict)


def scores_compute_in_python(*, chunk_size: int = 20_000) -> Scores:
    """Compute every score with the ORM and ``assessments.scoring``, streaming the ratings.

    Reads each agreement's latest approved assessment, then the complete ratings of approved
    assessments in assessment order, keeping those of the latest ones.
    """
    latest: dict[int, tuple[int, int]] = {}
    for assessment_id, agreement_id, catalogue_id in (
        Assessment.objects.filter(status=AssessmentStatus.APPROVED)
        .order_by("agreement_id", *LATEST_APPROVED_FIRST)
        .values_list("id", "agreement_id", "catalogue_id")
        .iterator(chunk_size=chunk_size)
    ):
        latest.setdefault(agreement_id, (assessment_id, catalogue_id))
    agreement_of = {assessment_id: agreement_id for agreement_id, (assessment_id, _) in latest.items()}
    statuses, teams = {}, {}
    for agreement_id, status, team_id in Agreement.objects.values_list("id", "status", "owner_team_id").iterator(
        chunk_size=chunk_size
    ):
        statuses[agreement_id], teams[agreement_id] = status, team_id
    partners: dict[int, list[int]] = defaultdict(list)
    for agreement_id, partner_id in Agreement.partners.through.objects.values_list(
        "agreement_id", "partner_id"
    ).iterator(chunk_size=chunk_size):
        partners[agreement_id].append(partner_id)
    rules = catalogue_rules(catalogue_ids={c for _, c in latest.values()})
    widening = confidence_widening()

    out = Scores()

    def finish(assessment_id: int, ratings: list[scoring.RatingLevels]) -> None:
        agreement_id = agreement_of[assessment_id]
        catalogue_id = latest[agreement_id][1]
        matrix, rollup = rules[catalogue_id].matrix, rules[catalogue_id].rollup
        scores = tuple(scoring.rating_score(r, matrix=matrix, widening=widening) for r in ratings)
        result = scoring.agreement_result(scores, matrix=matrix, rollup=rollup)
        active = statuses[agreement_id] == AgreementStatus.ACTIVE
        team_id = teams[agreement_id]
        out.agreements[agreement_id] = StoredAgreement(assessment_id, catalogue_id, active, result, team_id)
        state = scoring.AgreementState(agreement_id, active, tuple(partners[agreement_id]), result, scores, team_id)
        for key, tally in scoring.agreement_contributions(state).items():
            out.tallies[key] = out.tallies.get(key, scoring.Tally()) + tally

    categories = {cid: category for r in rules.values() for cid, category in r.categories.items()}
    current, ratings = None, []
    for assessment_id, *row in (
        Rating.objects.complete().filter(assessment__status=AssessmentStatus.APPROVED)
        .order_by("assessment_id")
        .values_list("assessment_id", *RATING_COLUMNS)
        .iterator(chunk_size=chunk_size)
    ):
        if assessment_id not in agreement_of:
            continue
        if assessment_id != current:
            if ratings:
                finish(current, ratings)
            current, ratings = assessment_id, []
        ratings.append(rating_levels(row, categories=categories))
    if ratings:
        finish(current, ratings)
    return out


def scores_stored() -> Scores:
    """The stored scores, read back into the same shape (timestamps left out)."""
    out = Scores()
    for row in AgreementScore.objects.iterator():
        out.agreements[row.agreement_id] = StoredAgreement(row.assessment_id, row.catalogue_id, row.is_active,
                                                           row.result, row.counted_team_id)
    for row in PartnerScore.objects.iterator():
        out.tallies[scoring.partner_key(row.partner_id, row.team_id)] = row.tally
    for row in PartnerCategoryScore.objects.iterator():
        out.tallies[scoring.partner_category_key(row.partner_id, row.category_code, row.team_id)] = row.tally
    for row in CategoryScore.objects.iterator():
        out.tallies[scoring.category_key(row.category_code, row.team_id)] = row.tally
    for row in PortfolioScore.objects.iterator():
        out.tallies[scoring.portfolio_key(row.team_id)] = row.tally
    return out


def scores_differences(expected: Scores, actual: Scores) -> list[str]:
    """Every key whose value differs between two sets of scores, described; empty when equal."""
    out = []
    for agreement_id in sorted(set(expected.agreements) | set(actual.agreements)):
        a, b = expected.agreements.get(agreement_id), actual.agreements.get(agreement_id)
        if a != b:
            out.append(f"agreement {agreement_id}: expected {a}, got {b}")
    for key in sorted(set(expected.tallies) | set(actual.tallies), key=lambda k: tuple(map(str, k))):
        a, b = expected.tallies.get(key), actual.tallies.get(key)
        if a != b:
            out.append(f"{key}: expected {a}, got {b}")
    return out
