"""Querysets that know who may see what: ``restrict(user, action)`` is the single gate."""

from django.db import models

from riskboard.permissions import Action, team_filter


class TeamScopedQuerySet(models.QuerySet):
    """A queryset of rows owned by a team reachable through ``team_field``."""

    team_field = "owner_team"

    def restrict(self, user, action: Action = Action.VIEW):
        """Only the rows on which ``user`` may take ``action``."""
        filters = team_filter(user, action, self.team_field)
        if filters is None:
            return self.none()
        return self.filter(**filters)


class AgreementQuerySet(TeamScopedQuerySet):
    team_field = "owner_team"


class AssessmentQuerySet(TeamScopedQuerySet):
    team_field = "agreement__owner_team"


class RatingQuerySet(TeamScopedQuerySet):
    team_field = "assessment__agreement__owner_team"
