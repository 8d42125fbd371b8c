"""What every page's navigation needs to know about the user."""

from riskboard.permissions import Action, can_read_audit, grants_for, primary_role
from riskboard.roles import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = getattr(user, "_riskboard_primary_role", None)
    if role is None:
        role = user._riskboard_primary_role = primary_role(user) or ""
    grants = grants_for(user)
    return {
        "nav_role": role,
        "nav_role_label": Role(role).label if role else "No role",
        "nav_can_review": Action.REVIEW in grants.everywhere or bool(grants.team_ids(Action.REVIEW)),
        "nav_can_edit": Action.EDIT in grants.everywhere or bool(grants.team_ids(Action.EDIT)),
        "nav_can_read_history": can_read_audit(user),
    }
