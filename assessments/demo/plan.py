"""Planning the demo portfolio: plain values in memory, no database access."""

import datetime as dt
import random
from dataclasses import dataclass, field

from ..choices import (
    AgreementKind,
    AgreementStatus,
    AssessmentStatus,
    Classification,
    Confidence,
    TransitionAction,
)
from .data import (
    CHANGE_PHRASES,
    DEMO_SEED,
    HIGH_REASONS,
    LOW_REASONS,
    PARTNER_RISK,
    PARTNERS,
    REFERENCE_DATE,
    RETURN_COMMENTS,
    TEAM_STAFF,
    TEAMS,
    TOPICS,
)


@dataclass
class RatingPlan:
    category_code: str
    levels: tuple[int | None, int | None, int | None, int | None]  # inherent L, I, residual L, I
    confidence: str = Confidence.MEDIUM
    rationale: str = ""
    evidence: str = ""
    safeguard_codes: tuple[str, ...] = ()


@dataclass
class TransitionPlan:
    action: str
    from_status: str
    to_status: str
    actor: str
    at: dt.datetime
    comment: str = ""


@dataclass
class AssessmentPlan:
    as_of: dt.date
    status: str
    author: str
    reviewer: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    review_comment: str = ""
    ratings: list[RatingPlan] = field(default_factory=list)
    transitions: list[TransitionPlan] = field(default_factory=list)


@dataclass
class AgreementPlan:
    reference: str
    title: str
    kind: str
    classification: str
    team_slug: str
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    notice_period_days: int
    description: str
    partner_names: list[str]
    assessments: list[AssessmentPlan] = field(default_factory=list)


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    safeguards: tuple[tuple[str, str], ...]  # (code, name), sorted by code


def clamp_level(value: int) -> int:
    return max(1, min(5, value))


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours timestamp on ``day``."""
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=dt.UTC)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _severity_word(likelihood: int, impact: int) -> str:
    score = likelihood * impact
    return "critical" if score >= 20 else "high" if score >= 10 else "moderate" if score >= 5 else "low"


def _agreement_dates(rng: random.Random, status: str, ref: dt.date) -> tuple[dt.date | None, dt.date | None]:
    if status == AgreementStatus.PROPOSED:
        start = ref + dt.timedelta(days=rng.randint(30, 240)) if rng.random() < 0.7 else None
        return start, (start + dt.timedelta(days=365 * rng.randint(2, 5)) if start and rng.random() < 0.5 else None)
    if status in (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED):
        end = ref - dt.timedelta(days=rng.randint(60, 600))
        return end - dt.timedelta(days=rng.randint(400, 2500)), end
    start = ref - dt.timedelta(days=rng.randint(220, 2900))
    return start, (ref + dt.timedelta(days=rng.randint(90, 1500)) if rng.random() < 0.6 else None)


def _profile(rng: random.Random, plan: AgreementPlan, categories: list[CategoryInfo]) -> list[list[int]]:
    """Per category [likelihood, impact] at the start of the history: partner- and classification-dependent."""
    partner_risk = max(PARTNER_RISK[name] for name in plan.partner_names)
    impact_bonus = {Classification.SECRET: 1, Classification.TOP_SECRET: 2}.get(plan.classification, 0)
    hot = set()
    for name in plan.partner_names:  # each partner is risky in its own two categories, whatever the seed
        hot.update(random.Random(f"{DEMO_SEED}:{name}").sample(range(len(categories)), min(2, len(categories))))
    profile = []
    for index in range(len(categories)):
        heat = 2 if index in hot else 0
        likelihood = 1 + partner_risk + heat + rng.choice((-1, 0, 0, 1))
        impact = 2 + impact_bonus + heat // 2 + rng.choice((-1, 0, 1))
        profile.append([clamp_level(likelihood), clamp_level(impact)])
    return profile


def _drift(rng: random.Random, profile: list[list[int]], trend: int) -> None:
    """Move the profile one review period along the agreement's trend, with some noise."""
    for levels in profile:
        if trend and rng.random() < 0.3:
            axis = 0 if rng.random() < 0.75 else 1
            levels[axis] = clamp_level(levels[axis] + trend)
        if rng.random() < 0.08:
            levels[0] = clamp_level(levels[0] + rng.choice((-1, 1)))


def _rating(
    rng: random.Random, category: CategoryInfo, levels: list[int], before: list[int] | None, partner: str,
    partner_risk: int,
) -> RatingPlan:
    """One category's rating; ``before`` holds the inherent levels at the last review, if there was one."""
    inherent_l, inherent_i = levels
    chosen = rng.sample(category.safeguards, min(len(category.safeguards), rng.choice((0, 1, 1, 2, 2, 3))))
    reduction = max(0, len(chosen) + rng.choice((-1, 0, 0, 1))) if chosen else 0
    residual_l, residual_i = inherent_l, inherent_i
    for _ in range(reduction):
        if rng.random() < 0.7:
            residual_l = max(1, residual_l - 1)
        else:
            residual_i = max(1, residual_i - 1)
    word = _severity_word(inherent_l, inherent_i)
    reason = rng.choice(HIGH_REASONS if word in ("high", "critical") else LOW_REASONS)
    mitigation = f"mitigated mainly by {chosen[0][1].lower()}" if chosen else "no listed safeguard applies"
    change = None if before is None else (sum(levels) > sum(before)) - (sum(levels) < sum(before))
    rationale = f"{category.name} for {partner}{CHANGE_PHRASES[change]} is {word}: {reason}; {mitigation}."
    if inherent_l < 5 and rng.random() < 0.015:
        # Rare, and always explained: a safeguard the partner stopped applying makes things worse.
        residual_l = inherent_l + 1
        rationale = (
            f"Residual likelihood is above inherent for {category.name.lower()}: "
            f"{partner} no longer applies an agreed safeguard, which adds exposure."
        )
    confidence_weights = ((4, 5, 1), (3, 5, 2), (2, 5, 3))[partner_risk]  # high, medium, low
    confidence = rng.choices((Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW), confidence_weights)[0]
    evidence = f"Liaison reporting and partner compliance return, {rng.choice(('Q1', 'Q2', 'Q3', 'Q4'))}."
    return RatingPlan(
        category_code=category.code,
        levels=(inherent_l, inherent_i, residual_l, residual_i),
        confidence=confidence,
        rationale=rationale,
        evidence=evidence if rng.random() < 0.4 else "",
        safeguard_codes=tuple(code for code, _ in chosen),
    )


def _approved_history(
    rng: random.Random, plan: AgreementPlan, categories: list[CategoryInfo], ref: dt.date
) -> list[list[int]]:
    """Plan approved assessments about every six months over the last two years; returns the final profile."""
    analyst, manager = TEAM_STAFF[plan.team_slug]
    trend_weights = (1, 2, 4) if plan.status == AgreementStatus.SUSPENDED else (3, 5, 2)
    trend = rng.choices((-1, 0, 1), trend_weights)[0]
    partner_risk = max(PARTNER_RISK[name] for name in plan.partner_names)
    profile = _profile(rng, plan, categories)
    window_start = max(ref - dt.timedelta(days=730), plan.start_date + dt.timedelta(days=30))
    window_end = min(ref, plan.end_date or ref) - dt.timedelta(days=30)
    as_of = window_start + dt.timedelta(days=rng.randint(0, 120))
    dates = []
    while as_of <= window_end:
        dates.append(as_of)
        as_of += dt.timedelta(days=rng.randint(170, 195))
    before = None
    for step, as_of in enumerate(dates or [window_end]):
        if step:
            before = [list(levels) for levels in profile]
            _drift(rng, profile, trend)
        created = _at(as_of - dt.timedelta(days=rng.randint(5, 20)), rng)
        submitted = _at(as_of + dt.timedelta(days=rng.randint(1, 8)), rng)
        transitions = [TransitionPlan(TransitionAction.CREATE, "", AssessmentStatus.DRAFT, analyst, created)]
        comment = ""
        if rng.random() < 0.12:  # sent back once before approval
            comment = rng.choice(RETURN_COMMENTS)
            returned = submitted + dt.timedelta(days=rng.randint(1, 3), hours=2)
            transitions += [
                TransitionPlan(TransitionAction.SUBMIT, AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED,
                               analyst, submitted),
                TransitionPlan(TransitionAction.RETURN, AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED,
                               manager, returned, comment),
            ]
            submitted = returned + dt.timedelta(days=rng.randint(1, 4))
            from_status = AssessmentStatus.RETURNED
        else:
            from_status = AssessmentStatus.DRAFT
        approved = submitted + dt.timedelta(days=rng.randint(1, 10), hours=1)
        transitions += [
            TransitionPlan(TransitionAction.SUBMIT, from_status, AssessmentStatus.SUBMITTED, analyst, submitted),
            TransitionPlan(TransitionAction.APPROVE, AssessmentStatus.SUBMITTED, AssessmentStatus.APPROVED,
                           manager, approved),
        ]
        ratings = [
            _rating(rng, c, levels, before[i] if before else None, plan.partner_names[0], partner_risk)
            for i, (c, levels) in enumerate(zip(categories, profile, strict=True))
        ]
        plan.assessments.append(AssessmentPlan(
            as_of=as_of, status=AssessmentStatus.APPROVED, author=analyst, reviewer=manager, created_at=created,
            submitted_at=submitted, approved_at=approved, review_comment=comment,
            transitions=transitions, ratings=ratings,
        ))
    return profile


def _open_assessment(
    rng: random.Random, plan: AgreementPlan, categories: list[CategoryInfo], profile: list[list[int]],
    status: str, ref: dt.date,
) -> AssessmentPlan:
    """A draft (partly rated), submitted or returned assessment dated in the last fortnight."""
    analyst, manager = TEAM_STAFF[plan.team_slug]
    as_of = ref - dt.timedelta(days=rng.randint(0, 14))
    created = _at(as_of - dt.timedelta(days=rng.randint(1, 10)), rng)
    partner, partner_risk = plan.partner_names[0], max(PARTNER_RISK[n] for n in plan.partner_names)
    before = profile if plan.assessments else None
    ratings = [
        _rating(rng, c, list(levels), before[i] if before else None, partner, partner_risk)
        for i, (c, levels) in enumerate(zip(categories, profile, strict=True))
    ]
    result = AssessmentPlan(as_of=as_of, status=status, author=analyst, reviewer=None, created_at=created,
                            ratings=ratings)
    result.transitions.append(TransitionPlan(TransitionAction.CREATE, "", AssessmentStatus.DRAFT, analyst, created))
    if status == AssessmentStatus.DRAFT:
        # Work in progress: some categories complete, one half-rated, the rest untouched.
        done = rng.randint(len(ratings) // 3, len(ratings) * 2 // 3)
        inherent_l, inherent_i, _, _ = ratings[done].levels
        ratings[done].levels = (inherent_l, inherent_i, None, None)
        ratings[done].rationale, ratings[done].safeguard_codes = "", ()
        del ratings[done + 1 :]
        return result
    result.submitted_at = created + dt.timedelta(days=rng.randint(1, 5))
    result.transitions.append(TransitionPlan(
        TransitionAction.SUBMIT, AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED, analyst, result.submitted_at))
    if status == AssessmentStatus.RETURNED:
        result.reviewer, result.review_comment = manager, rng.choice(RETURN_COMMENTS)
        result.transitions.append(TransitionPlan(
            TransitionAction.RETURN, AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED, manager,
            result.submitted_at + dt.timedelta(days=1), result.review_comment))
    return result


def demo_portfolio_plan(
    *, categories: list[CategoryInfo], seed: int = DEMO_SEED, ref: dt.date = REFERENCE_DATE, agreements: int = 80
) -> list[AgreementPlan]:
    """The demo agreements and their assessment history, computed without touching the database."""
    rng = random.Random(seed)
    statuses = rng.choices(list(AgreementStatus), (10, 62, 10, 9, 9), k=agreements)
    partner_names = [p[0] for p in PARTNERS]
    team_slugs = [slug for slug, *_ in TEAMS]
    plans, profiles = [], {}
    for number, status in enumerate(statuses, start=1):
        team_slug = team_slugs[number % 2]
        start, end = _agreement_dates(rng, status, ref)
        partners = rng.sample(partner_names, rng.choices((1, 2, 3), (6, 3, 1))[0])
        topic = rng.choice(TOPICS[team_slug])
        kind = rng.choice(list(AgreementKind))
        year = min(start or ref, ref).year
        plan = AgreementPlan(
            reference=f"RB-{year}-{number:04d}", title=f"{topic} with {_join(partners)}", kind=kind,
            classification=rng.choices(list(Classification), (2, 4, 5, 2))[0], team_slug=team_slug, status=status,
            start_date=start, end_date=end, notice_period_days=rng.choice((30, 60, 90, 90, 180, 365)),
            description=(f"{AgreementKind(kind).label} covering {topic.lower()} with {len(partners)} partner"
                         f"{'s' if len(partners) > 1 else ''}, subject to handling caveats and periodic review."),
            partner_names=partners,
        )
        if status != AgreementStatus.PROPOSED:
            profiles[plan.reference] = _approved_history(rng, plan, categories, ref)
        plans.append(plan)
    # A handful of open assessments, at most one per agreement.
    active = [p for p in plans if p.status == AgreementStatus.ACTIVE and p.assessments]
    chosen = rng.sample(active, min(11, len(active)))
    open_statuses = [AssessmentStatus.DRAFT] * 5 + [AssessmentStatus.SUBMITTED] * 4 + [AssessmentStatus.RETURNED] * 2
    for plan, status in zip(chosen, open_statuses, strict=False):  # fewer if a tiny portfolio lacks candidates
        plan.assessments.append(_open_assessment(rng, plan, categories, profiles[plan.reference], status, ref))
    for plan in [p for p in plans if p.status == AgreementStatus.PROPOSED][:2]:  # first assessments, in progress
        profile = _profile(rng, plan, categories)
        plan.assessments.append(_open_assessment(rng, plan, categories, profile, AssessmentStatus.DRAFT, ref))
    return plans
