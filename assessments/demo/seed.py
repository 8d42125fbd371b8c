"""Writing the demo data (``seed_demo``): only what is missing, by natural key."""

import datetime as dt
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue.models import RiskCatalogue

from .. import aggregation
from ..choices import (
    OPEN_STATUSES,
    AssessmentStatus,
)
from ..models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team
from ..scheduling import next_review_date
from ..selectors import catalogue_matrix
from .data import DEMO_SEED, PARTNERS, PASSWORD_ENV, TEAMS, USERS
from .plan import AgreementPlan, AssessmentPlan, CategoryInfo, demo_portfolio_plan


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
    matrix = catalogue_matrix(catalogue_id=catalogue.pk)

    def review_date(plan: AgreementPlan, item: AssessmentPlan) -> dt.date | None:
        """As the approval service sets it: from the worst residual band, capped by the agreement's end."""
        if item.status != AssessmentStatus.APPROVED:
            return None
        worst = matrix.worst_band(r.levels[2:] for r in item.ratings)
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
    """Create whatever part of the demo data is missing, set the demo users' password, recompute
    every stored score and backfill the daily score history from the approval dates.

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
    # The score history of the past approvals first, so that trends and movers have days to show
    # (written once: a second seed finds it and adds nothing); today's snapshot then records only
    # what differs from it.
    aggregation.snapshots_backfill()
    # The history bypassed the services, so no recompute was queued: score everything now, in this
    # process, so that the pages show scores at once. Rerunnable: a second seed rewrites the same rows.
    aggregation.scores_full_recompute()
    from riskboard.dashboards.services import dashboard_summaries_refresh  # the dashboards read this app

    dashboard_summaries_refresh()
    return created


DEMO_COUNTED = ("teams", "users", "memberships", "partners", "agreements", "assessments", "ratings", "transitions")


def demo_totals() -> dict[str, int]:
    """Rows of each kind now in the database (demo or not), for the command's summary."""
    models = (Team, get_user_model(), Membership, Partner, Agreement, Assessment, Rating, AssessmentTransition)
    return {name: model.objects.count() for name, model in zip(DEMO_COUNTED, models, strict=True)}
