"""Roles and what they may do: the one place access control is decided.

Every view, viewset, service and admin page asks this module, either through
``<Model>.objects.restrict(user, action)`` (which rows a user may act on) or through
``require(user, action, team_id)`` (may the user act on this team's object). An object outside
the user's scope is reported by the caller as 404; an action the role does not allow as 403.

The "user" may also be an API token's principal (``api.authentication``): a token that acts for a
user gets that user's grants narrowed to the token's scope and team; a read token with no user
gets VIEW on every team or on its one team. Either way every check above works unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .roles import GLOBAL_ROLES, Role


class Action(StrEnum):
    VIEW = "view"  # read agreements, assessments, scores
    EDIT = "edit"  # start, edit and submit assessments
    REVIEW = "review"  # approve or return submitted assessments
    ADMINISTER = "administer"  # curate catalogues, teams and users


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.ANALYST: frozenset({Action.VIEW, Action.EDIT}),
    Role.MANAGER: frozenset({Action.VIEW, Action.EDIT, Action.REVIEW}),
    Role.ADMINISTRATOR: frozenset({Action.VIEW, Action.EDIT, Action.REVIEW, Action.ADMINISTER}),
    Role.AUDITOR: frozenset({Action.VIEW}),
}


@dataclass(frozen=True)
class Grants:
    """What one user may do: actions everywhere, and actions per team id."""

    everywhere: frozenset[Action] = frozenset()
    per_team: dict[int, frozenset[Action]] = field(default_factory=dict)

    def allows(self, action: Action, team_id: int | None) -> bool:
        if action in self.everywhere:
            return True
        return team_id is not None and action in self.per_team.get(team_id, frozenset())

    def team_ids(self, action: Action) -> set[int]:
        return {team_id for team_id, actions in self.per_team.items() if action in actions}

    def narrowed(self, *, actions: frozenset[Action], team_id: int | None) -> Grants:
        """These grants limited to ``actions``, and to one team when ``team_id`` is given."""
        if team_id is None:
            per_team = {t: a & actions for t, a in self.per_team.items() if a & actions}
            return Grants(self.everywhere & actions, per_team)
        on_team = (self.everywhere | self.per_team.get(team_id, frozenset())) & actions
        return Grants(frozenset(), {team_id: on_team} if on_team else {})


class TokenScope(StrEnum):
    """What an API token may do at most, whatever the role of the user it acts for."""

    READ = "read"
    WRITE = "write"


# ADMINISTER is never granted to a token: catalogues, teams and users are curated in the admin only.
TOKEN_SCOPE_ACTIONS: dict[str, frozenset[Action]] = {
    TokenScope.READ: frozenset({Action.VIEW}),
    TokenScope.WRITE: frozenset({Action.VIEW, Action.EDIT, Action.REVIEW}),
}


@dataclass(frozen=True)
class TokenLimits:
    """The limits an API token puts on its principal (``principal.token_limits``).

    ``acts_for_user``: the principal is the user the token acts for, whose grants are narrowed;
    otherwise the principal is the token alone, which may VIEW (within its team, if any).
    """

    scope: str
    team_id: int | None
    acts_for_user: bool

    @property
    def actions(self) -> frozenset[Action]:
        return TOKEN_SCOPE_ACTIONS[self.scope]


def _token_grants(user, limits: TokenLimits) -> Grants:
    base = _user_grants(user) if limits.acts_for_user else Grants(frozenset({Action.VIEW}))
    return base.narrowed(actions=limits.actions, team_id=limits.team_id)


def grants_for(user) -> Grants:
    """The grants of a user or token principal, computed once per object (one query) and cached on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Grants()
    cached = getattr(user, "_riskboard_grants", None)
    if cached is not None:
        return cached
    limits = getattr(user, "token_limits", None)
    grants = _token_grants(user, limits) if limits is not None else _user_grants(user)
    user._riskboard_grants = grants
    return grants


def _user_grants(user) -> Grants:
    everywhere: set[Action] = set()
    per_team: dict[int, set[Action]] = {}
    for team_id, role in user.memberships.values_list("team_id", "role"):
        actions = ROLE_ACTIONS.get(role, frozenset())
        if role in GLOBAL_ROLES:
            everywhere |= actions
        elif team_id is not None:
            per_team.setdefault(team_id, set()).update(actions)
    if user.is_superuser:
        everywhere |= ROLE_ACTIONS[Role.ADMINISTRATOR]
    return Grants(frozenset(everywhere), {t: frozenset(a) for t, a in per_team.items()})


def can(user, action: Action, team_id: int | None) -> bool:
    return grants_for(user).allows(action, team_id)


def require(user, action: Action, team_id: int | None) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on an object of ``team_id``."""
    if not can(user, action, team_id):
        limits = getattr(user, "token_limits", None)
        if limits is not None and action not in limits.actions:
            raise PermissionDenied(f"This API token's scope ({limits.scope}) does not allow you to {action} this.")
        raise PermissionDenied(f"Your role does not allow you to {action} this.")


def team_filter(user, action: Action, team_field: str) -> dict | None:
    """Keyword filter restricting a queryset to the teams where ``user`` may take ``action``.

    Returns ``{}`` for no restriction and ``None`` when the user may see nothing.
    """
    grants = grants_for(user)
    if action in grants.everywhere:
        return {}
    team_ids = grants.team_ids(action)
    if not team_ids:
        return None
    return {f"{team_field}__in": team_ids}


def visible_team_ids(user, action: Action = Action.VIEW) -> frozenset[int] | None:
    """Team ids whose objects ``user`` may take ``action`` on; None means every team.

    The scope of every aggregate a page shows: numbers are summed over these teams only.
    """
    grants = grants_for(user)
    if action in grants.everywhere:
        return None
    return frozenset(grants.team_ids(action))


def primary_role(user) -> str | None:
    """The most powerful role the user holds anywhere, for navigation and dashboards."""
    if user is None or not user.is_authenticated:
        return None
    roles = set(user.memberships.values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    for role in (Role.ADMINISTRATOR, Role.MANAGER, Role.ANALYST, Role.AUDITOR):
        if role in roles:
            return role
    return None


def can_read_audit(user) -> bool:
    """May ``user`` browse the audit trail? Anyone who may view everything: administrators,
    auditors and superusers. Team roles may not: the history spans every team. Nor may an API
    token that acts for no user: the trail names people, so it takes a person's role to read it."""
    limits = getattr(user, "token_limits", None)
    if limits is not None and not limits.acts_for_user:
        return False
    return Action.VIEW in grants_for(user).everywhere


def has_any_grant(user, action: Action = Action.VIEW) -> bool:
    """May ``user`` take ``action`` on any team's objects? (Catalogues and other shared data need a role.)"""
    grants = grants_for(user)
    return action in grants.everywhere or bool(grants.team_ids(action))



# --- Accounts: users, groups and memberships ------------------------------------------------------


def can_manage_accounts(user) -> bool:
    """May ``user`` create and change user accounts, groups and memberships? Administrators (and
    superusers) only, whatever Django model permissions (``auth.change_user``) a staff account holds.
    Never an API token: accounts are curated in the admin only."""
    if getattr(user, "token_limits", None) is not None:
        return False
    return Action.ADMINISTER in grants_for(user).everywhere


def can_change_account(user, account) -> bool:
    """May ``user`` change (or delete) ``account``? An administrator may change any account but a
    superuser's, which only a superuser may change: an administrator cannot take over a superuser
    (by setting its password or e-mail) to gain what the role does not give."""
    if not can_manage_accounts(user):
        return False
    return account is None or not account.is_superuser or user.is_superuser


def can_grant_superuser_on_the_web(user) -> bool:
    """Never: superuser status is granted on the server's command line only, by a superuser
    (``manage.py superuser_grant``), so no web session, stolen or not, can create one."""
    return False
