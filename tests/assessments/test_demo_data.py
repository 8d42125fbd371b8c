"""The demo data (seed_demo) and the synthetic benchmark portfolio (generate_portfolio)."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import selectors
from assessments.choices import OPEN_STATUSES, AssessmentStatus, TransitionAction
from assessments.demo import PASSWORD_ENV, USERS, CategoryInfo, demo_portfolio_plan
from assessments.models import Agreement, Assessment, AssessmentTransition, Membership, Partner, Rating, Team
from catalogue.services import catalogue_default_ensure
from riskboard.roles import Role

pytestmark = pytest.mark.django_db

ENV_PASSWORD = "Tall-Lighthouse-Quarterly-42"
DEMO_USERNAMES = [user[0] for user in USERS]


@pytest.fixture
def default_catalogue():
    """The default catalogue; the commands load it themselves, so this returns the same one."""
    return catalogue_default_ensure()


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (Team, get_user_model(), Membership, Partner, Agreement, Assessment, Rating, AssessmentTransition)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def seeded(settings, monkeypatch):
    """The demo data seeded once, with the password from the environment."""
    settings.DEBUG = False
    monkeypatch.setenv(PASSWORD_ENV, ENV_PASSWORD)
    return run("seed_demo")


def test_seed_demo_twice_creates_nothing_the_second_time(seeded, client):
    first = row_counts()
    assert first["Team"] == 2
    assert first["User"] == 6
    assert first["Partner"] == 42
    assert first["Agreement"] == 80
    assert first["Assessment"] > 200
    assert first["Rating"] > 10 * 200

    second_output = run("seed_demo")

    assert row_counts() == first
    created_line = next(line for line in second_output.splitlines() if line.startswith("Created:"))
    assert set(re.findall(r"(\d+) ", created_line)) == {"0"}
    assert ENV_PASSWORD not in seeded + second_output
    for username in DEMO_USERNAMES:
        assert password_signs_in(username, ENV_PASSWORD), username


def test_seed_demo_users_have_their_roles(seeded):
    memberships = {(m.user.username, m.team.slug if m.team else None, m.role) for m in Membership.objects.all()}
    assert memberships == {
        ("analyst", "strategic-partnerships", Role.ANALYST),
        ("manager", "strategic-partnerships", Role.MANAGER),
        ("analyst2", "technology-cyber", Role.ANALYST),
        ("manager2", "technology-cyber", Role.MANAGER),
        ("admin", None, Role.ADMINISTRATOR),
        ("auditor", None, Role.AUDITOR),
    }
    users = get_user_model().objects.in_bulk(DEMO_USERNAMES, field_name="username")
    assert users["admin"].is_staff and users["admin"].is_superuser
    assert not users["auditor"].is_staff and not users["analyst"].is_superuser
    assert all(user.email == f"{user.username}@example.org" and user.last_name for user in users.values())


def test_seed_demo_review_dates_follow_the_band_rule_as_approval_sets_them(seeded):
    approved = Assessment.objects.filter(status=AssessmentStatus.APPROVED).select_related("agreement")
    intervals = set()
    for assessment in approved:
        approved_on = timezone.localdate(assessment.approved_at)
        assert assessment.next_review_date == selectors.assessment_next_review_date(
            assessment=assessment, approved_on=approved_on), assessment
        intervals.add((assessment.next_review_date - approved_on).days // 28)
    assert len(intervals) > 2  # the bands differ, and so do the intervals


def test_seed_demo_approved_assessments_are_complete_and_chained(seeded, default_catalogue):
    categories = default_catalogue.categories.count()
    approved = Assessment.objects.filter(status=AssessmentStatus.APPROVED)
    complete = Q(**{f"ratings__{level}__isnull": False for level in Rating.LEVEL_FIELDS})
    incomplete = approved.annotate(rated=Count("ratings", filter=complete)).exclude(rated=categories)
    assert not incomplete.exists()
    assert not approved.filter(Q(approved_at=None) | Q(reviewer=None) | Q(next_review_date=None)).exists()
    assert not approved.filter(authors=None).exists()
    # Each approved assessment points at the one approved before it; the first at nothing.
    for agreement in Agreement.objects.exclude(assessments=None).prefetch_related("assessments"):
        history = sorted((a for a in agreement.assessments.all() if a.status == "approved"), key=lambda a: a.as_of)
        assert [a.previous_id for a in history] == [None, *(a.pk for a in history[:-1])][: len(history)]
    assert not Agreement.objects.filter(status="proposed", assessments__status="approved").exists()
    # Inherent and residual ratings vary, and residual is usually no worse than inherent.
    ratings = Rating.objects.filter(assessment__status="approved")
    assert ratings.values("inherent_likelihood").distinct().count() == 5
    lowered = ratings.filter(residual_likelihood__lt=F("inherent_likelihood"))
    above = ratings.filter(residual_likelihood__gt=F("inherent_likelihood"))
    assert lowered.count() > 0.3 * ratings.count()
    assert 0 < above.count() < 0.05 * ratings.count()
    assert not above.filter(rationale="").exists()


def test_seed_demo_open_assessments_and_transitions(seeded):
    open_ = Assessment.objects.filter(status__in=OPEN_STATUSES)
    assert not open_.values("agreement").annotate(n=Count("id")).filter(n__gt=1).exists()
    by_status = dict(open_.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == {"draft", "submitted", "returned"}
    assert 8 <= sum(by_status.values()) <= 20
    assert not open_.filter(status="returned", review_comment="").exists()
    # Drafts are partly rated; submitted ones completely.
    assert open_.filter(status="draft").annotate(n=Count("ratings")).filter(n__lt=10).count() == by_status["draft"]
    # The audit trail tells the same story as the statuses, in time order.
    for assessment in Assessment.objects.prefetch_related("transitions"):
        steps = sorted(assessment.transitions.all(), key=lambda t: t.created_at)
        assert steps[0].action == TransitionAction.CREATE
        assert steps[-1].to_status == assessment.status
        if assessment.status == AssessmentStatus.APPROVED:
            assert steps[-1].created_at == assessment.approved_at
            assert steps[-1].actor_id == assessment.reviewer_id
        assert [t.from_status for t in steps[1:]] == [t.to_status for t in steps[:-1]]


def test_seed_demo_refuses_without_password_when_debug_is_off(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    out = StringIO()
    with pytest.raises(CommandError, match=PASSWORD_ENV):
        call_command("seed_demo", stdout=out)
    assert "password for all demo users" not in out.getvalue()
    assert not get_user_model().objects.exists()


def test_seed_demo_refuses_a_weak_password(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv(PASSWORD_ENV, "demo")
    with pytest.raises(CommandError, match="too weak"):
        call_command("seed_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()


def test_seed_demo_generates_and_prints_a_password_in_debug_mode(settings, monkeypatch, client):
    settings.DEBUG = True
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    output = run("seed_demo")
    password = re.search(r"Demo password for all demo users: (\S+)", output).group(1)
    assert len(password) >= 16
    assert password_signs_in("manager2", password)


def password_signs_in(username: str, password: str) -> bool:
    """Through the login page, as a person would (the sign-in lockout needs the request)."""
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in browser.session


def test_demo_plan_is_deterministic():
    categories = [CategoryInfo(f"CAT_{i}", f"Category {i}", ((f"SG_{i}", f"Safeguard {i}"),)) for i in range(10)]
    first, second = demo_portfolio_plan(categories=categories), demo_portfolio_plan(categories=categories)
    assert first == second
    assert len({p.reference for p in first}) == 80
    assert {p.team_slug for p in first} == {"strategic-partnerships", "technology-cyber"}


def test_generate_portfolio_creates_exact_counts_and_skips_the_same_seed(default_catalogue):
    categories = default_catalogue.categories.count()
    output = run("generate_portfolio", "--agreements", "10", "--history", "2", "--seed", "7", "-v", "0")

    agreements = Agreement.objects.filter(reference__startswith="GEN-S7-")
    assessments = Assessment.objects.filter(agreement__in=agreements)
    assert agreements.count() == 10
    assert assessments.count() == 20
    assert Rating.objects.filter(assessment__in=assessments).count() == 20 * categories
    assert not assessments.exclude(status="approved").exists()
    assert assessments.filter(previous__isnull=False).count() == 10
    assert not Agreement.objects.filter(partners=None).exists()
    assert "Generated" in output

    before = row_counts()
    second = run("generate_portfolio", "--agreements", "10", "--history", "2", "--seed", "7", "-v", "0")
    assert "already exists" in second
    assert row_counts() == before


def test_generate_portfolio_is_deterministic_for_a_seed(default_catalogue):
    def snapshot():
        return list(
            Rating.objects.filter(assessment__agreement__reference__startswith="GEN-S3-")
            .order_by("assessment__agreement__reference", "assessment__as_of", "category__display_order")
            .values_list("assessment__as_of", *Rating.LEVEL_FIELDS, "confidence")
        )

    run("generate_portfolio", "--agreements", "4", "--history", "3", "--seed", "3", "-v", "0")
    first = snapshot()
    Assessment.objects.update(previous=None)
    Assessment.objects.all().delete()
    Agreement.objects.all().delete()
    Partner.objects.all().delete()
    run("generate_portfolio", "--agreements", "4", "--history", "3", "--seed", "3", "-v", "0")
    assert snapshot() == first


def test_seed_demo_shows_agreements_whose_band_a_floor_raised(seeded):
    """The default catalogue's floors at work in the demo: some agreements with a Critical category,
    whose weighted mean alone is milder, are at least High; none with a Critical category is below."""
    from assessments import aggregation
    from assessments.models import AgreementScore
    from assessments.selectors import agreement_explain

    aggregation.scores_full_recompute()
    scores = list(AgreementScore.objects.select_related("agreement"))
    critical = [s for s in scores if s.worst_band_rank == 4]
    assert critical and all(s.band_rank >= 3 for s in critical)
    raised = [s for s in critical if s.residual_wsum < 20 * s.weight_total]  # mean below Critical's 20
    assert raised, "no demo agreement has its band raised by a floor"
    one_critical = next(s for s in raised if s.band_counts[3] == 1)
    explanation = agreement_explain(agreement=one_critical.agreement)
    assert explanation.raised_by == ("1 or more category at Critical or worse make at least High",)
    assert explanation.base_band.rank < explanation.band.rank == 3


def test_seed_demo_gives_each_team_a_score_history_that_ends_at_the_live_scores(seeded):
    from assessments.models import PortfolioScore, ScoreLevel, ScoreSnapshot

    today = timezone.localdate()
    past = ScoreSnapshot.objects.filter(day__lt=today)
    assert past.filter(level=ScoreLevel.PORTFOLIO).values("team").distinct().count() == 2  # both demo teams
    assert past.values("day").distinct().count() > 10  # trends have days to draw
    # Each team's history ends where its live stored score is: the day's snapshot adds nothing new.
    for row in PortfolioScore.objects.all():
        assert selectors.scoped_tallies_as_of(team_ids=frozenset({row.team_id}), level=ScoreLevel.PORTFOLIO,
                                              day=today - timezone.timedelta(days=1))["portfolio"] == row.tally
    # A team's movers over a year: some partner of its own changed.
    team = Team.objects.order_by("pk").first()
    changes = selectors.scoped_changes(team_ids=frozenset({team.pk}), level=ScoreLevel.PARTNER,
                                       start=today - timezone.timedelta(days=365), end=today)
    assert any(before.n and after.n and before.score != after.score for before, after in changes.values())
    own = set(Partner.objects.filter(agreements__owner_team=team).values_list("pk", flat=True))
    assert {int(key) for key in changes} <= own

    count = ScoreSnapshot.objects.count()
    run("seed_demo")  # idempotent: the history is written once
    assert ScoreSnapshot.objects.count() == count
