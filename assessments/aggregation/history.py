"""Score history rebuilt from approval dates: daily snapshots for days before the first one kept.

The full recompute records one snapshot a day from the day it first runs. An installation loaded
with past assessments (the demo, an import) would otherwise show empty trends until days pass.
``snapshots_backfill`` replays the approvals in date order and writes, for each day one changed
something, the per-team partner, category and portfolio tallies as they stood at the end of that
day: the same change-only rows (``ScoreSnapshot``) the nightly run writes.

It scores with ``assessments.scoring`` in Python (each approved assessment once) and reads the
agreements' status and partners as they are now, since their history is not recorded: an agreement
active today counts on every past day from its first approval. It writes only days before the
earliest snapshot already stored (none stored: before today), so it never rewrites recorded history
and running it twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from .. import scoring
from ..choices import AgreementStatus, AssessmentStatus
from ..models import Agreement, Assessment, Rating, ScoreLevel, ScoreSnapshot
from .catalogue_rules import RATING_COLUMNS, catalogue_rules, confidence_widening, rating_levels

_LEVELS = {"partner": ScoreLevel.PARTNER, "category": ScoreLevel.CATEGORY, "portfolio": ScoreLevel.PORTFOLIO}


def _snapshot_key(key: tuple) -> tuple[str, str, int] | None:
    """(level, key, team) of a per-team ``scoring`` key; None for partner x category (not kept)."""
    level = _LEVELS.get(key[0])
    if level is None:
        return None
    if level == ScoreLevel.PORTFOLIO:
        return level.value, "portfolio", key[1]
    return level.value, str(key[1]), key[2]


def snapshots_backfill(*, today: dt.date | None = None) -> int:
    """Write the daily snapshots of the days before the earliest one stored (before ``today`` when
    none is), from the approval dates of approved assessments. Returns the rows written."""
    today = today or timezone.localdate()
    first_kept = ScoreSnapshot.objects.order_by("day").values_list("day", flat=True).first()
    until = min(first_kept, today) if first_kept else today  # exclusive
    approved = list(
        Assessment.objects.filter(status=AssessmentStatus.APPROVED, approved_at__isnull=False)
        .values_list("id", "agreement_id", "catalogue_id", "approved_at")
    )
    by_day: dict[dt.date, list[tuple]] = defaultdict(list)
    for assessment_id, agreement_id, catalogue_id, approved_at in approved:
        day = timezone.localdate(approved_at)
        if day < until:
            by_day[day].append((approved_at, assessment_id, agreement_id, catalogue_id))
    if not by_day:
        return 0
    rules = catalogue_rules(catalogue_ids={row[2] for row in approved})
    categories = {cid: category for r in rules.values() for cid, category in r.categories.items()}
    widening = confidence_widening()
    wanted = {row[1] for rows in by_day.values() for row in rows}
    ratings: dict[int, list[scoring.RatingLevels]] = defaultdict(list)
    for assessment_id, *row in (
        Rating.objects.complete().filter(assessment_id__in=wanted).order_by("assessment_id", "id")
        .values_list("assessment_id", *RATING_COLUMNS)
    ):
        ratings[assessment_id].append(rating_levels(row, categories=categories))
    agreements = {
        pk: (status == AgreementStatus.ACTIVE, team_id)
        for pk, status, team_id in Agreement.objects.values_list("id", "status", "owner_team_id")
    }
    partners: dict[int, list[int]] = defaultdict(list)
    for agreement_id, partner_id in Agreement.partners.through.objects.values_list("agreement_id", "partner_id"):
        partners[agreement_id].append(partner_id)

    current: dict[int, scoring.AgreementState] = {}  # each agreement's state at the end of the day
    previous: dict[tuple[str, str, int], scoring.Tally] = {}
    rows: list[ScoreSnapshot] = []
    now = timezone.now()
    for day in sorted(by_day):
        # In the order the latest-approved rule uses: a later approval (then a higher id) wins.
        for _at, assessment_id, agreement_id, catalogue_id in sorted(by_day[day]):
            matrix, rollup = rules[catalogue_id].matrix, rules[catalogue_id].rollup
            scores = tuple(scoring.rating_score(r, matrix=matrix, widening=widening) for r in ratings[assessment_id])
            active, team_id = agreements[agreement_id]
            current[agreement_id] = scoring.AgreementState(
                agreement_id, active, tuple(partners[agreement_id]),
                scoring.agreement_result(scores, matrix=matrix, rollup=rollup), scores, team_id,
            )
        tallies = {}
        for key, tally in scoring.portfolio_tallies(current.values(), by_team=True).items():
            snapshot_key = _snapshot_key(key)
            if snapshot_key is not None:
                tallies[snapshot_key] = tally
        for key in sorted(set(tallies) | set(previous)):
            value = tallies.get(key, scoring.Tally())
            if value != previous.get(key, scoring.Tally()):
                rows.append(_row(day, key, value, now))
        previous = {key: value for key, value in tallies.items() if value.n}
    with transaction.atomic():
        ScoreSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _row(day: dt.date, key: tuple[str, str, int], tally: scoring.Tally, now) -> ScoreSnapshot:
    level, text, team_id = key
    return ScoreSnapshot(
        day=day, level=level, key=text, team_id=team_id, n=tally.n, score_sum_c=tally.score_sum_c,
        score_low_sum_c=tally.score_low_sum_c, score_high_sum_c=tally.score_high_sum_c,
        inherent_sum_c=tally.inherent_sum_c, fingerprint=tally.fingerprint, computed_at=now,
        **dict(zip(ScoreSnapshot.BAND_FIELDS, tally.band_counts, strict=True)),
    )
