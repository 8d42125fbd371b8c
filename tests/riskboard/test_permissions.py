"""Access control (``riskboard.permissions``): what each role may do and where, the one queryset
gate built on it, and that the module depends on no app."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from assessments.models import Agreement, Assessment, Rating
from riskboard.permissions import (
    ROLE_ACTIONS,
    Action,
    Grants,
    can,
    can_read_audit,
    grants_for,
    primary_role,
    require,
    team_filter,
)
from riskboard.roles import GLOBAL_ROLES, Role
from tests.factories import AgreementFactory, MembershipFactory, RatingFactory, TeamFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]
APPS = ("assessments", "catalogue", "audit")


def test_permissions_import_no_app_module():
    """Apps import the access-control module, never the reverse: importing it (and the roles it
    owns) in a fresh interpreter loads no module of an app."""
    script = (
        "import sys; import riskboard.permissions, riskboard.roles; "
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {APPS!r})))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


# --- Plain values ----------------------------------------------------------------------------------


def test_grants_allow_an_action_everywhere_or_in_the_teams_they_name():
    grants = Grants(everywhere=frozenset({Action.VIEW}), per_team={1: frozenset({Action.EDIT, Action.REVIEW})})

    assert grants.allows(Action.VIEW, 99) and grants.allows(Action.VIEW, None)
    assert grants.allows(Action.EDIT, 1) and grants.allows(Action.REVIEW, 1)
    assert not grants.allows(Action.EDIT, 2)
    assert not grants.allows(Action.EDIT, None)  # an object of no team: only a grant everywhere reaches it
    assert not grants.allows(Action.ADMINISTER, 1)
    assert grants.team_ids(Action.EDIT) == {1} and grants.team_ids(Action.VIEW) == set()
    assert not Grants().allows(Action.VIEW, 1)


def test_each_role_may_do_what_the_readme_says():
    actions = dict(ROLE_ACTIONS)
    assert actions == {
        Role.ANALYST: {Action.VIEW, Action.EDIT},
        Role.MANAGER: {Action.VIEW, Action.EDIT, Action.REVIEW},
        Role.ADMINISTRATOR: set(Action),
        Role.AUDITOR: {Action.VIEW},
    }
    assert set(GLOBAL_ROLES) == {Role.ADMINISTRATOR, Role.AUDITOR}


# --- Users -----------------------------------------------------------------------------------------

ALL, TEAM, NONE = "all", "team", "none"
# What each persona may do, per action: on every team's objects, on its own team's, or on none.
EXPECTED = {
    "analyst": {Action.VIEW: TEAM, Action.EDIT: TEAM, Action.REVIEW: NONE, Action.ADMINISTER: NONE},
    "manager": {Action.VIEW: TEAM, Action.EDIT: TEAM, Action.REVIEW: TEAM, Action.ADMINISTER: NONE},
    "administrator": dict.fromkeys(Action, ALL),
    "auditor": {Action.VIEW: ALL, Action.EDIT: NONE, Action.REVIEW: NONE, Action.ADMINISTER: NONE},
    "superuser": dict.fromkeys(Action, ALL),  # a superuser with no membership acts as an administrator
    "inactive_manager": dict.fromkeys(Action, NONE),
    "inactive_superuser": dict.fromkeys(Action, NONE),
    "nobody": dict.fromkeys(Action, NONE),  # an account with no role
    "anonymous": dict.fromkeys(Action, NONE),
}


@pytest.fixture
def people(db):
    team, other = TeamFactory(name="Strategic", slug="strategic"), TeamFactory(name="Cyber", slug="cyber")

    def member(role, team=None, **account):
        return MembershipFactory(user=UserFactory(**account), team=team, role=role).user

    return {
        "team": team,
        "other": other,
        "analyst": member(Role.ANALYST, team),
        "manager": member(Role.MANAGER, team),
        "administrator": member(Role.ADMINISTRATOR),
        "auditor": member(Role.AUDITOR),
        "superuser": UserFactory(is_superuser=True),
        "inactive_manager": member(Role.MANAGER, team, is_active=False),
        "inactive_superuser": UserFactory(is_superuser=True, is_active=False),
        "nobody": UserFactory(),
        "anonymous": AnonymousUser(),
    }


def _teams(people, scope):
    return {ALL: {people["team"].pk, people["other"].pk}, TEAM: {people["team"].pk}, NONE: set()}[scope]


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_can_and_require_follow_the_role_in_each_team(people, persona):
    user = people[persona]
    for action, scope in EXPECTED[persona].items():
        allowed = _teams(people, scope)
        for team in (people["team"], people["other"]):
            assert can(user, action, team.pk) is (team.pk in allowed), (action, team.name)
            if team.pk in allowed:
                require(user, action, team.pk)
            else:
                with pytest.raises(PermissionDenied, match=f"does not allow you to {action.value}"):
                    require(user, action, team.pk)


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_team_filter_restricts_to_the_teams_where_the_action_is_allowed(people, persona):
    for action, scope in EXPECTED[persona].items():
        expected = {ALL: {}, TEAM: {"owner_team__in": {people["team"].pk}}, NONE: None}[scope]
        assert team_filter(people[persona], action, "owner_team") == expected, action


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_restrict_returns_only_the_rows_the_user_may_act_on(people, persona):
    """The one gate of every view: agreements, and assessments and ratings through their agreement."""
    own = RatingFactory(assessment__agreement=AgreementFactory(owner_team=people["team"]))
    theirs = RatingFactory(assessment__agreement=AgreementFactory(owner_team=people["other"]))
    user = people[persona]
    for action, scope in EXPECTED[persona].items():
        expected = {ALL: {own, theirs}, TEAM: {own}, NONE: set()}[scope]
        assert set(Rating.objects.restrict(user, action)) == expected, action
        assert set(Assessment.objects.restrict(user, action)) == {r.assessment for r in expected}, action
        assert set(Agreement.objects.restrict(user, action)) == {r.assessment.agreement for r in expected}, action
    assert set(Agreement.objects.restrict(user)) == set(Agreement.objects.restrict(user, Action.VIEW))


def test_a_global_role_acts_everywhere_even_when_its_membership_names_a_team(people):
    auditor = MembershipFactory(user=UserFactory(), team=people["other"], role=Role.AUDITOR).user

    assert grants_for(auditor) == Grants(everywhere=frozenset({Action.VIEW}))
    assert can(auditor, Action.VIEW, people["team"].pk) and not can(auditor, Action.EDIT, people["other"].pk)


def test_roles_in_several_teams_add_up_team_by_team(people):
    user = MembershipFactory(team=people["team"], role=Role.ANALYST).user
    MembershipFactory(user=user, team=people["other"], role=Role.MANAGER)

    grants = grants_for(user)

    assert grants.everywhere == frozenset()
    assert grants.per_team == {
        people["team"].pk: {Action.VIEW, Action.EDIT},
        people["other"].pk: {Action.VIEW, Action.EDIT, Action.REVIEW},
    }
    assert can(user, Action.REVIEW, people["other"].pk) and not can(user, Action.REVIEW, people["team"].pk)


def test_grants_are_read_once_per_user_object(people, django_assert_num_queries):
    user = people["manager"]
    with django_assert_num_queries(1):
        first = grants_for(user)
        assert grants_for(user) is first and can(user, Action.REVIEW, people["team"].pk)
    assert grants_for(None) == Grants()


@pytest.mark.parametrize(
    ("persona", "role"),
    [("analyst", Role.ANALYST), ("manager", Role.MANAGER), ("administrator", Role.ADMINISTRATOR),
     ("auditor", Role.AUDITOR), ("superuser", Role.ADMINISTRATOR), ("nobody", None), ("anonymous", None)],
)
def test_the_primary_role_is_the_most_powerful_one_held(people, persona, role):
    assert primary_role(people[persona]) == role


def test_the_primary_role_prefers_administrator_then_manager_then_analyst_then_auditor(people):
    user = MembershipFactory(team=people["team"], role=Role.ANALYST).user
    MembershipFactory(user=user, team=None, role=Role.AUDITOR)
    assert primary_role(user) == Role.ANALYST
    MembershipFactory(user=user, team=people["other"], role=Role.MANAGER)
    assert primary_role(user) == Role.MANAGER
    MembershipFactory(user=user, team=None, role=Role.ADMINISTRATOR)
    assert primary_role(user) == Role.ADMINISTRATOR


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("administrator", True), ("auditor", True), ("superuser", True), ("manager", False), ("analyst", False),
     ("inactive_superuser", False), ("nobody", False), ("anonymous", False)],
)
def test_only_those_who_see_every_team_read_the_audit_trail(people, persona, allowed):
    assert can_read_audit(people[persona]) is allowed


# --- API token principals ----------------------------------------------------------------------

ALL_ACTIONS = frozenset(Action)


class _Principal:
    """What ``api.authentication`` hands over: a principal with ``token_limits`` set."""

    is_authenticated = True
    is_active = True

    def __init__(self, limits, user=None):
        self.token_limits = limits
        self._user = user

    @property
    def memberships(self):
        return self._user.memberships

    @property
    def is_superuser(self):
        return self._user.is_superuser


def test_narrowed_keeps_only_the_actions_and_the_team_asked_for():
    grants = Grants(frozenset({Action.VIEW}), {1: frozenset({Action.VIEW, Action.EDIT}), 2: frozenset({Action.EDIT})})
    assert grants.narrowed(actions=frozenset({Action.VIEW}), team_id=None) == Grants(
        frozenset({Action.VIEW}), {1: frozenset({Action.VIEW})}
    )
    assert grants.narrowed(actions=ALL_ACTIONS, team_id=2) == Grants(
        frozenset(), {2: frozenset({Action.VIEW, Action.EDIT})}
    )
    assert grants.narrowed(actions=frozenset({Action.REVIEW}), team_id=2) == Grants()


@pytest.mark.django_db
def test_a_token_never_widens_its_users_grants_and_never_administers():
    from riskboard.permissions import TokenLimits

    team, other = TeamFactory(), TeamFactory()
    analyst = MembershipFactory(team=team, role=Role.ANALYST).user
    write = _Principal(TokenLimits(scope="write", team_id=None, acts_for_user=True), analyst)
    assert grants_for(write) == Grants(frozenset(), {team.pk: frozenset({Action.VIEW, Action.EDIT})})
    administrator = MembershipFactory(team=None, role=Role.ADMINISTRATOR).user
    admin_token = _Principal(TokenLimits(scope="write", team_id=other.pk, acts_for_user=True), administrator)
    assert grants_for(admin_token) == Grants(frozenset(), {other.pk: frozenset({Action.VIEW, Action.EDIT,
                                                                                 Action.REVIEW})})
    assert not can_read_audit(admin_token)  # the audit trail takes VIEW on every team


def test_a_read_token_without_a_user_views_and_never_reads_the_audit_trail():
    from riskboard.permissions import TokenLimits

    everywhere = _Principal(TokenLimits(scope="read", team_id=None, acts_for_user=False))
    one_team = _Principal(TokenLimits(scope="read", team_id=7, acts_for_user=False))
    assert grants_for(everywhere) == Grants(frozenset({Action.VIEW}))
    assert grants_for(one_team) == Grants(frozenset(), {7: frozenset({Action.VIEW})})
    assert not can_read_audit(everywhere)
    with pytest.raises(PermissionDenied, match=r"token's scope \(read\)"):
        require(everywhere, Action.EDIT, 7)
