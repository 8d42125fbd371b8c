"""Roles and what they may do: the one place access control is decided.

Every view, viewset, service and admin page asks this module, either through
``<Model>.objects.restrict(user, action)`` (which rows a user may act on) or through
``require(user, action, team_id)`` (may the user act on this team's object). An object outside
the user's scope is reported by the caller as 404; an action the role does not allow as 403.
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


def grants_for(user) -> Grants:
    """The user's grants, computed once per user object (one query) and cached on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Grants()
    cached = getattr(user, "_riskboard_grants", None)
    if cached is not None:
        return cached
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
    grants = Grants(frozenset(everywhere), {t: frozenset(a) for t, a in per_team.items()})
    user._riskboard_grants = grants
    return grants


def can(user, action: Action, team_id: int | None) -> bool:
    return grants_for(user).allows(action, team_id)


def require(user, action: Action, team_id: int | None) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on an object of ``team_id``."""
    if not can(user, action, team_id):
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
    auditors and superusers. Team roles may not: the history spans every team."""
    return Action.VIEW in grants_for(user).everywhere
