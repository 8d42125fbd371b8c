"""Demo data (``seed_demo``) and synthetic benchmark portfolios (``generate_portfolio``).

Both builders are deterministic: every random choice comes from a ``random.Random`` with a fixed
seed, and every date is relative to a fixed reference date rather than today, so two machines
seeded from the same code hold the same portfolio. ``demo_seed`` first plans the whole portfolio in
memory (plain dataclasses, no database access), then writes only the rows whose natural key is
missing, which makes it idempotent. Rows are written with ``bulk_create`` for speed; this bypasses
the assessment services on purpose, since the history it writes never went through a workflow.
"""

import datetime as dt
import itertools
import os
import random
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from catalogue.models import RiskCatalogue

from . import aggregation
from .choices import (
    OPEN_STATUSES,
    AgreementKind,
    AgreementStatus,
    AssessmentStatus,
    Classification,
    Confidence,
    PartnerKind,
    Region,
    Role,
    TransitionAction,
)
from .models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team
from .scheduling import next_review_date
from .selectors import catalogue_matrix

# The demo world's "today". Fixed, so the seeded history does not depend on when it is run.
REFERENCE_DATE = dt.date(2026, 10, 1)
DEMO_SEED = 20261001
PASSWORD_ENV = "RISKBOARD_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a password)
REVIEW_INTERVAL = dt.timedelta(days=182)

S, A, IO, CO = PartnerKind.STATE, PartnerKind.AGENCY, PartnerKind.INTERNATIONAL_ORGANISATION, PartnerKind.COMPANY
EU, AM, AP, AF = Region.EUROPE, Region.AMERICAS, Region.ASIA_PACIFIC, Region.AFRICA
ME, CA, GL = Region.MIDDLE_EAST, Region.CENTRAL_ASIA, Region.GLOBAL

TEAMS = [
    ("strategic-partnerships", "Strategic Partnerships", "Counter-terrorism, border and maritime cooperation."),
    ("technology-cyber", "Technology & Cyber Cooperation", "Cyber, signals, imagery and technology exchanges."),
]

# username, first name, last name, role, team slug (None: all teams), staff and superuser
USERS = [
    ("analyst", "Amira", "Haddad", Role.ANALYST, "strategic-partnerships", False),
    ("manager", "Martin", "Keller", Role.MANAGER, "strategic-partnerships", False),
    ("analyst2", "Sofia", "Lindqvist", Role.ANALYST, "technology-cyber", False),
    ("manager2", "Daniel", "Okafor", Role.MANAGER, "technology-cyber", False),
    ("admin", "Helen", "Carter", Role.ADMINISTRATOR, None, True),
    ("auditor", "Tomas", "Reyes", Role.AUDITOR, None, False),
]

# Invented bodies with believable names: name, kind, ISO country, region, partner risk (0 low - 2 high).
PARTNERS = [
    ("Ministry of Interior of Norway", S, "NO", EU, 0),
    ("Ministry of Defence of Denmark", S, "DK", EU, 0),
    ("Estonia Signals Directorate", A, "EE", EU, 0),
    ("Polish National Border Analysis Centre", A, "PL", EU, 1),
    ("Netherlands Counter-Terrorism Coordination Office", A, "NL", EU, 0),
    ("Ministry of Foreign Affairs of Finland", S, "FI", EU, 0),
    ("Portuguese Maritime Surveillance Agency", A, "PT", EU, 0),
    ("Irish Financial Crime Analysis Unit", A, "IE", EU, 0),
    ("Ministry of Interior of Greece", S, "GR", EU, 1),
    ("Aurora Cryptologic GmbH", CO, "DE", EU, 1),
    ("Northern Maritime Security Organisation", IO, "", EU, 0),
    ("Sentinel Trust Cloud Services Ltd", CO, "GB", EU, 1),
    ("Canada Signals Directorate", A, "CA", AM, 0),
    ("Ministry of Security of Argentina", S, "AR", AM, 1),
    ("Chile Cyber Incident Coordination Centre", A, "CL", AM, 1),
    ("Brazil Federal Border Intelligence Office", A, "BR", AM, 1),
    ("Meridian Geospatial Analytics Inc.", CO, "US", AM, 1),
    ("Ministry of Interior of Colombia", S, "CO", AM, 2),
    ("Caribbean Maritime Security Organisation", IO, "", AM, 1),
    ("Japan Maritime Situational Awareness Office", A, "JP", AP, 0),
    ("New Zealand Signals Directorate", A, "NZ", AP, 0),
    ("Ministry of Home Affairs of Singapore", S, "SG", AP, 0),
    ("Republic of Korea Cyber Defence Directorate", A, "KR", AP, 0),
    ("Helix Satellite Imaging Pte. Ltd.", CO, "SG", AP, 1),
    ("Indonesia Counter-Terrorism Coordination Office", A, "ID", AP, 1),
    ("Pacific Islands Fisheries Monitoring Organisation", IO, "", AP, 1),
    ("Ministry of Interior of Kenya", S, "KE", AF, 1),
    ("Ghana Financial Intelligence Office", A, "GH", AF, 1),
    ("Senegal Maritime Surveillance Agency", A, "SN", AF, 1),
    ("Ministry of Defence of Botswana", S, "BW", AF, 1),
    ("Gulf of Guinea Maritime Security Organisation", IO, "", AF, 2),
    ("Cape Horizon Secure Logistics (Pty) Ltd", CO, "ZA", AF, 1),
    ("Ministry of Interior of Jordan", S, "JO", ME, 1),
    ("Oman Coastal Surveillance Directorate", A, "OM", ME, 1),
    ("Ministry of Interior of the United Arab Emirates", S, "AE", ME, 2),
    ("Qatar Cyber Resilience Directorate", A, "QA", ME, 2),
    ("Eastern Mediterranean Aviation Security Forum", IO, "", ME, 1),
    ("Ministry of Interior of Kazakhstan", S, "KZ", CA, 2),
    ("Uzbekistan Border Analysis Agency", A, "UZ", CA, 2),
    ("Kyrgyz Republic Counter-Narcotics Office", A, "KG", CA, 2),
    ("International Counter-Proliferation Monitoring Organisation", IO, "", GL, 0),
    ("Global Maritime Information Exchange Organisation", IO, "", GL, 1),
]

TOPICS = {
    "strategic-partnerships": [
        "Counter-terrorism information sharing", "Border security cooperation", "Maritime domain awareness",
        "Counter-narcotics liaison", "Counter-proliferation reporting", "Financial crime intelligence exchange",
    ],
    "technology-cyber": [
        "Cyber incident information exchange", "Satellite imagery sharing", "Secure communications pilot",
        "Signals analysis training", "Cryptographic equipment loan", "Open-source analytics collaboration",
    ],
}
HIGH_REASONS = [
    "the partner's oversight body has limited access to jointly held material",
    "the volume of shared reporting has grown faster than the partner's vetting capacity",
    "open-source reporting points to political pressure on the partner's leadership",
    "the partner relies on third-country suppliers for core systems",
    "recent staff turnover in the partner's liaison office weakens continuity",
]
LOW_REASONS = [
    "the partner has a long record of honouring handling caveats",
    "exchanges are narrow in scope and reviewed case by case",
    "the last compliance visit found no material issues",
    "the partner's legal framework mirrors our own retention rules",
    "shared material is sanitised before release",
]
CHANGE_PHRASES = {None: "", -1: " has eased since the last review and", 0: " is unchanged since the last review and",
                  1: " has worsened since the last review and"}
RETURN_COMMENTS = [
    "Please evidence the residual likelihood for the data-handling categories before approval.",
    "The rationale for the partner's oversight arrangements needs a source; please add one.",
    "Residual impact looks optimistic given the suspension last year; please reconsider.",
]
PARTNER_RISK = {name: risk for name, _, _, _, risk in PARTNERS}
TEAM_STAFF = {  # team slug -> (analyst username, manager username)
    slug: tuple(u[0] for u in USERS if u[4] == slug and u[3] in (Role.ANALYST, Role.MANAGER)) for slug, *_ in TEAMS
}


class DemoPasswordError(ValueError):
    """No usable demo password: unset outside debug mode, or rejected by the password validators."""


def demo_password_resolve(*, debug: bool) -> tuple[str, bool]:
    """The demo users' password and whether it was generated (and so must be shown to the operator).

    Taken from ``RISKBOARD_DEMO_PASSWORD``; generated only in debug mode, so that a production-like
    deployment never ends up with a password nobody chose.
    """
    password = os.environ.get(PASSWORD_ENV, "")
    if password:
        try:
            password_validation.validate_password(password)
        except ValidationError as exc:
            raise DemoPasswordError(f"{PASSWORD_ENV} is too weak: {' '.join(exc.messages)}") from exc
        return password, False
    if not debug:
        raise DemoPasswordError(
            f"Set {PASSWORD_ENV} to the password the demo users should have; "
            "a random one is generated only when DJANGO_DEBUG is on."
        )
    return secrets.token_urlsafe(12), True


# --- Planning: plain values, no database ------------------------------------------------------


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


def _clamp(value: int) -> int:
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
        profile.append([_clamp(likelihood), _clamp(impact)])
    return profile


def _drift(rng: random.Random, profile: list[list[int]], trend: int) -> None:
    """Move the profile one review period along the agreement's trend, with some noise."""
    for levels in profile:
        if trend and rng.random() < 0.3:
            axis = 0 if rng.random() < 0.75 else 1
            levels[axis] = _clamp(levels[axis] + trend)
        if rng.random() < 0.08:
            levels[0] = _clamp(levels[0] + rng.choice((-1, 1)))


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


# --- Writing the demo data: only what is missing, by natural key ------------------------------


def _catalogue_info(catalogue: RiskCatalogue) -> tuple[list[CategoryInfo], dict[str, int], dict[str, int]]:
    """The catalogue's categories in display order with their safeguards, and id lookups by code."""
    categories = list(catalogue.categories.order_by("display_order", "code").prefetch_related("safeguards"))
    infos = [
        CategoryInfo(c.code, c.name, tuple(sorted((s.code, s.name) for s in c.safeguards.all()))) for c in categories
    ]
    safeguard_ids = dict(catalogue.safeguards.values_list("code", "id"))
    return infos, {c.code: c.id for c in categories}, safeguard_ids


def _people_ensure(created: dict[str, int], password: str) -> tuple[dict[str, int], dict[str, int]]:
    """Teams, users and memberships; returns team ids by slug and user ids by username."""
    User = get_user_model()
    teams = {}
    for slug, name, description in TEAMS:
        team, was_created = Team.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
        teams[slug] = team
        created["teams"] += was_created
    users = {}
    for username, first_name, last_name, role, team_slug, superuser in USERS:
        user, was_created = User.objects.get_or_create(username=username, defaults={
            "first_name": first_name, "last_name": last_name, "email": f"{username}@example.org",
            "is_staff": superuser, "is_superuser": superuser,
        })
        users[username] = user
        created["users"] += was_created
        team = teams[team_slug] if team_slug else None
        created["memberships"] += Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})[1]
    # One hash for all: the demo users share the password by design, and hashing is the slow part.
    hashes = {user.password for user in users.values()}
    if len(hashes) != 1 or not check_password(password, hashes.pop()):
        User.objects.filter(pk__in=[u.pk for u in users.values()]).update(password=make_password(password))
    return {slug: team.pk for slug, team in teams.items()}, {username: user.pk for username, user in users.items()}


def _agreements_ensure(
    created: dict[str, int], plans: list[AgreementPlan], team_ids: dict[str, int]
) -> dict[str, int]:
    """Partners and agreements; returns agreement ids by reference."""
    partner_ids = dict(Partner.objects.filter(name__in=[p[0] for p in PARTNERS]).values_list("name", "id"))
    new_partners = [
        Partner(name=name, kind=kind, country=country, region=region)
        for name, kind, country, region, _ in PARTNERS
        if name not in partner_ids
    ]
    Partner.objects.bulk_create(new_partners)
    partner_ids |= {p.name: p.pk for p in new_partners}
    created["partners"] += len(new_partners)

    agreement_ids = dict(
        Agreement.objects.filter(reference__in=[p.reference for p in plans]).values_list("reference", "id")
    )
    new = [
        (plan, Agreement(
            reference=plan.reference, title=plan.title, kind=plan.kind, classification=plan.classification,
            owner_team_id=team_ids[plan.team_slug], status=plan.status, start_date=plan.start_date,
            end_date=plan.end_date, notice_period_days=plan.notice_period_days, description=plan.description,
        ))
        for plan in plans
        if plan.reference not in agreement_ids
    ]
    Agreement.objects.bulk_create([agreement for _, agreement in new])
    Link = Agreement.partners.through
    Link.objects.bulk_create(
        Link(agreement_id=agreement.pk, partner_id=partner_ids[name]) for plan, agreement in new
        for name in plan.partner_names
    )
    created["agreements"] += len(new)
    return agreement_ids | {agreement.reference: agreement.pk for _, agreement in new}


def _assessments_ensure(
    created: dict[str, int], plans: list[AgreementPlan], agreement_ids: dict[str, int], user_ids: dict[str, int],
    catalogue: RiskCatalogue, category_ids: dict[str, int], safeguard_ids: dict[str, int],
) -> None:
    """Assessments with their authors, ratings, safeguard links and transitions."""
    known = Assessment.objects.filter(agreement_id__in=agreement_ids.values())
    assessment_ids = {(ref, as_of): pk for ref, as_of, pk in known.values_list("agreement__reference", "as_of", "id")}
    with_open = set(known.filter(status__in=OPEN_STATUSES).values_list("agreement__reference", flat=True))
    todo = [
        (plan, item)
        for plan in plans
        for item in plan.assessments
        if (plan.reference, item.as_of) not in assessment_ids
        and not (item.status in OPEN_STATUSES and plan.reference in with_open)  # the DB allows one open
    ]
    cells = catalogue_matrix(catalogue_id=catalogue.pk)

    def review_date(plan: AgreementPlan, item: AssessmentPlan) -> dt.date | None:
        """As the approval service sets it: from the worst residual band, capped by the agreement's end."""
        if item.status != AssessmentStatus.APPROVED:
            return None
        bands = [cells[r.levels[2:]] for r in item.ratings if None not in r.levels[2:]]
        worst = max(bands, key=lambda band: band.rank, default=None)
        return next_review_date(
            approved_on=timezone.localdate(item.approved_at), worst_band_code=worst.code if worst else "",
            months_by_band=settings.RISKBOARD_REVIEW_MONTHS, agreement_end=plan.end_date,
            notice_period_days=plan.notice_period_days,
        )

    objects = Assessment.objects.bulk_create(
        Assessment(
            agreement_id=agreement_ids[plan.reference], catalogue=catalogue, status=item.status, as_of=item.as_of,
            reviewer_id=user_ids[item.reviewer] if item.reviewer else None, review_comment=item.review_comment,
            next_review_date=review_date(plan, item), submitted_at=item.submitted_at, approved_at=item.approved_at,
        )
        for plan, item in todo
    )
    new = [(obj, plan, item) for obj, (plan, item) in zip(objects, todo, strict=True)]
    assessment_ids |= {(plan.reference, item.as_of): obj.pk for obj, plan, item in new}
    # What bulk_create cannot set: links to rows created in the same batch, and historical timestamps
    # (auto_now_add overwrites them on insert; bulk_update does not).
    for obj, plan, item in new:
        prior = [a for a in plan.assessments if a.status == AssessmentStatus.APPROVED and a.as_of < item.as_of]
        obj.previous_id = assessment_ids.get((plan.reference, prior[-1].as_of)) if prior else None
        obj.created_at, obj.updated_at = item.created_at, item.transitions[-1].at
    Assessment.objects.bulk_update(objects, ["previous", "created_at", "updated_at"], batch_size=500)
    Author = Assessment.authors.through
    Author.objects.bulk_create(Author(assessment_id=obj.pk, user_id=user_ids[item.author]) for obj, _, item in new)

    rating_plans = [(obj, r) for obj, _, item in new for r in item.ratings]
    ratings = Rating.objects.bulk_create(
        (
            Rating(
                assessment_id=obj.pk, category_id=category_ids[r.category_code], inherent_likelihood=r.levels[0],
                inherent_impact=r.levels[1], residual_likelihood=r.levels[2], residual_impact=r.levels[3],
                confidence=r.confidence, rationale=r.rationale, evidence=r.evidence,
            )
            for obj, r in rating_plans
        ),
        batch_size=1000,
    )
    Link = Rating.safeguards.through
    Link.objects.bulk_create(
        (
            Link(rating_id=rating.pk, safeguard_id=safeguard_ids[code])
            for rating, (_, r) in zip(ratings, rating_plans, strict=True)
            for code in r.safeguard_codes
        ),
        batch_size=2000,
    )
    steps = [(obj, t) for obj, _, item in new for t in item.transitions]
    transitions = AssessmentTransition.objects.bulk_create(
        AssessmentTransition(assessment_id=obj.pk, action=t.action, from_status=t.from_status,
                             to_status=t.to_status, actor_id=user_ids[t.actor], comment=t.comment)
        for obj, t in steps
    )
    for transition, (_, t) in zip(transitions, steps, strict=True):
        transition.created_at = t.at
    AssessmentTransition.objects.bulk_update(transitions, ["created_at"], batch_size=500)
    created["assessments"] += len(objects)
    created["ratings"] += len(ratings)
    created["transitions"] += len(transitions)


def demo_seed(*, catalogue: RiskCatalogue, password: str, seed: int = DEMO_SEED) -> dict[str, int]:
    """Create whatever part of the demo data is missing, set the demo users' password, and
    recompute every stored score.

    Natural keys make it idempotent: team slug, username, partner name, agreement reference and
    (agreement, as_of) for assessments. Returns the number of rows created, by kind.
    """
    categories, category_ids, safeguard_ids = _catalogue_info(catalogue)
    plans = demo_portfolio_plan(categories=categories, seed=seed)
    created = dict.fromkeys(DEMO_COUNTED, 0)
    with transaction.atomic():
        team_ids, user_ids = _people_ensure(created, password)
        agreement_ids = _agreements_ensure(created, plans, team_ids)
        _assessments_ensure(created, plans, agreement_ids, user_ids, catalogue, category_ids, safeguard_ids)
    # The history bypassed the services, so no recompute was queued: score everything now, in this
    # process, so that the pages show scores at once. Rerunnable: a second seed rewrites the same rows.
    aggregation.scores_full_recompute()
    return created


DEMO_COUNTED = ("teams", "users", "memberships", "partners", "agreements", "assessments", "ratings", "transitions")


def demo_totals() -> dict[str, int]:
    """Rows of each kind now in the database (demo or not), for the command's summary."""
    models = (Team, get_user_model(), Membership, Partner, Agreement, Assessment, Rating, AssessmentTransition)
    return {name: model.objects.count() for name, model in zip(DEMO_COUNTED, models, strict=True)}


# --- Synthetic portfolios for benchmarks ------------------------------------------------------


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
                levels[0] = _clamp(levels[0] + trend)
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
