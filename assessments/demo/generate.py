"""Synthetic portfolios for benchmarks (``generate_portfolio``): bulk-inserted, in one transaction."""

import datetime as dt
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from tqdm import tqdm

from catalogue.models import RiskCatalogue

from ..choices import (
    AgreementKind,
    AgreementStatus,
    AssessmentStatus,
    Classification,
    Confidence,
)
from ..models import Agreement, Assessment, Partner, Rating, Team
from .data import PARTNERS, REFERENCE_DATE, REVIEW_INTERVAL
from .plan import clamp_level


@dataclass
class PortfolioResult:
    prefix: str
    skipped: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _bulk_insert(model, objects: Iterable, batch_size: int, progress: Callable[[int], object], keep: bool) -> list:
    """bulk_create in batches, reporting progress; keeps the created objects (with ids) only if asked."""
    kept = []
    for batch in _batches(objects, batch_size):
        created = model.objects.bulk_create(batch)
        if keep:
            kept.extend(created)
        progress(len(batch))
    return kept


def portfolio_generate(
    *, catalogue: RiskCatalogue, agreements: int, history: int, seed: int, team_count: int = 5,
    partners: int | None = None, batch_size: int = 5000, progress: bool = True, ref: dt.date = REFERENCE_DATE,
) -> PortfolioResult:
    """Bulk-create ``agreements`` agreements with ``history`` approved assessments each, every one rating
    every category of ``catalogue``, plus ``partners`` partners (default agreements / 50) and teams.

    References and partner names start with ``GEN-S<seed>-``; if any exist the portfolio is left as it
    is (``skipped``). Everything runs in one transaction, so a portfolio is either complete or absent.
    Assessment transitions and authors are not generated: benchmarks read ratings, not the audit trail.
    """
    prefix = f"GEN-S{seed}-"
    if (
        Agreement.objects.filter(reference__startswith=prefix).exists()
        or Partner.objects.filter(name__startswith=prefix).exists()
    ):
        return PortfolioResult(prefix, skipped=True)
    started = time.perf_counter()
    rng = random.Random(seed)
    partners = partners or max(1, agreements // 50)
    category_ids = list(catalogue.categories.order_by("display_order", "code").values_list("id", flat=True))
    statuses = [AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED, AgreementStatus.EXPIRED]
    history_days = REVIEW_INTERVAL * max(history - 1, 0)
    counts = dict.fromkeys(("teams", "partners", "agreements", "agreement_partners", "assessments", "ratings"), 0)

    sizes = rng.choices((1, 2, 3), (6, 3, 1), k=agreements)
    picks = [rng.sample(range(partners), min(partners, size)) for size in sizes]  # partner indexes per agreement
    total = partners + agreements + sum(map(len, picks)) + agreements * history * (1 + len(category_ids))
    with transaction.atomic(), tqdm(total=total, unit="rows", file=sys.stderr, disable=not progress) as bar:
        if connection.vendor == "postgresql":
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED. With a history trigger running a
            # query per inserted row, PostgreSQL goes over the growing queue of deferred checks each
            # time, so one big transaction turns quadratic (hours for a million rows). Checking the keys
            # at the end of each statement instead keeps it linear; every parent row is inserted first.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        teams = []
        for number in range(1, team_count + 1):
            team, was_created = Team.objects.get_or_create(
                slug=f"gen-s{seed}-team-{number}", defaults={"name": f"Generated team {number} (seed {seed})"}
            )
            teams.append(team.pk)
            counts["teams"] += was_created
        templates = [rng.choice(PARTNERS) for _ in range(partners)]
        partner_ids = [p.pk for p in _bulk_insert(Partner, (
            Partner(name=f"{prefix}P{n:06d} {name}", kind=kind, country=country, region=region)
            for n, (name, kind, country, region, _) in enumerate(templates, start=1)
        ), batch_size, bar.update, keep=True)]

        offsets = [rng.randint(30, 90) for _ in range(agreements)]  # each agreement's as_of lag
        agreement_objects = []
        for n in range(agreements):
            status = rng.choices(statuses, (80, 8, 6, 6))[0]
            first_as_of = ref - history_days - dt.timedelta(days=offsets[n])
            ended = status in (AgreementStatus.TERMINATED, AgreementStatus.EXPIRED)
            agreement_objects.append(Agreement(
                reference=f"{prefix}{n + 1:06d}", title=f"Generated agreement {n + 1} (seed {seed})",
                kind=rng.choice(list(AgreementKind)), classification=rng.choice(list(Classification)),
                owner_team_id=teams[n % len(teams)], status=status,
                start_date=first_as_of - dt.timedelta(days=rng.randint(30, 1500)),
                end_date=ref - dt.timedelta(days=rng.randint(1, 25)) if ended else None,
                notice_period_days=rng.choice((30, 90, 180)),
            ))
        agreement_ids = [a.pk for a in _bulk_insert(Agreement, agreement_objects, batch_size, bar.update, keep=True)]
        del agreement_objects
        Link = Agreement.partners.through
        _bulk_insert(Link, (
            Link(agreement_id=agreement_id, partner_id=partner_ids[p])
            for agreement_id, chosen in zip(agreement_ids, picks, strict=True) for p in chosen
        ), batch_size, bar.update, keep=False)

        # Per agreement and category: [inherent likelihood, inherent impact], drifting along a trend.
        profiles = [[[rng.randint(1, 5), rng.randint(1, 5)] for _ in category_ids] for _ in range(agreements)]
        trends = [rng.choices((-1, 0, 1), (3, 5, 2))[0] for _ in range(agreements)]
        previous_ids: list[int | None] = [None] * agreements
        for wave in range(history):  # one wave per review period, so each links to the previous wave
            waves_back = REVIEW_INTERVAL * (history - 1 - wave)
            assessments = []
            for n, agreement_id in enumerate(agreement_ids):
                as_of = ref - waves_back - dt.timedelta(days=offsets[n])
                approved = dt.datetime.combine(as_of, dt.time(10), tzinfo=dt.UTC) + dt.timedelta(rng.randint(3, 20))
                assessments.append(Assessment(
                    agreement_id=agreement_id, catalogue=catalogue, status=AssessmentStatus.APPROVED, as_of=as_of,
                    previous_id=previous_ids[n], next_review_date=as_of + REVIEW_INTERVAL,
                    submitted_at=approved - dt.timedelta(days=2), approved_at=approved,
                ))
            previous_ids = [a.pk for a in _bulk_insert(Assessment, assessments, batch_size, bar.update, keep=True)]
            del assessments
            _bulk_insert(Rating, _generated_ratings(rng, previous_ids, profiles, trends, category_ids, wave),
                         batch_size, bar.update, keep=False)
    counts.update(partners=len(partner_ids), agreements=len(agreement_ids), agreement_partners=sum(map(len, picks)),
                  assessments=agreements * history, ratings=agreements * history * len(category_ids))
    return PortfolioResult(prefix, skipped=False, counts=counts, seconds=time.perf_counter() - started)


def _generated_ratings(
    rng: random.Random, assessment_ids: list[int], profiles: list[list[list[int]]], trends: list[int],
    category_ids: list[int], wave: int,
) -> Iterator[Rating]:
    """One wave's ratings: residual <= inherent, except a rare explained exception."""
    for assessment_id, profile, trend in zip(assessment_ids, profiles, trends, strict=True):
        for category_id, levels in zip(category_ids, profile, strict=True):
            if wave and trend and rng.random() < 0.3:
                levels[0] = clamp_level(levels[0] + trend)
            inherent_l, inherent_i = levels
            residual_l = max(1, inherent_l - rng.randint(0, 2))
            residual_i = max(1, inherent_i - rng.randint(0, 1))
            rationale = ""
            if inherent_l < 5 and rng.random() < 0.01:
                residual_l = inherent_l + 1
                rationale = "Residual likelihood above inherent: an agreed safeguard is not being applied."
            yield Rating(
                assessment_id=assessment_id, category_id=category_id, inherent_likelihood=inherent_l,
                inherent_impact=inherent_i, residual_likelihood=residual_l, residual_impact=residual_i,
                confidence=rng.choice(CONFIDENCES), rationale=rationale,
            )


CONFIDENCES = (Confidence.HIGH, Confidence.MEDIUM, Confidence.MEDIUM, Confidence.LOW)
