"""Querysets that know who may see what: ``restrict(user, action)`` is the single gate."""

from django.db import models

from riskboard.permissions import Action, team_filter

from ..choices import AssessmentStatus
from ..rules import LEVEL_FIELDS

# An agreement's latest approved assessment, "what its risk is now", is the first of its approved
# assessments in this order: approved last, and of two approved at the same instant the one
# created last. The recomputes' SQL writes its ORDER BY from it (``aggregation.sql.order_by``).
LATEST_APPROVED_FIRST = ("-approved_at", "-id")


# Ratings that count: all four levels set (``rules.is_complete``; a submitted assessment has no
# other kind). The recomputes' SQL writes the same from LEVEL_FIELDS (``aggregation.sql.complete_rating``).
COMPLETE_RATING = models.Q(**{f"{name}__isnull": False for name in LEVEL_FIELDS})


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

    def approved_latest_first(self):
        """The approved assessments, latest first (``LATEST_APPROVED_FIRST``): the first of an
        agreement's is its latest approved assessment."""
        return self.filter(status=AssessmentStatus.APPROVED).order_by(*LATEST_APPROVED_FIRST)


class RatingQuerySet(TeamScopedQuerySet):
    team_field = "assessment__agreement__owner_team"

    def complete(self):
        """The ratings with every level set (``COMPLETE_RATING``)."""
        return self.filter(COMPLETE_RATING)
