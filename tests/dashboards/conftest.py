"""Fixtures of the dashboard tests: two teams sharing a partner, each with what only it may see."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from assessments import aggregation, services
from assessments.models import Rating
from tests.factories import PartnerFactory

SECRET = "OTHER-TEAM-SECRET"  # in every rationale of the other team's assessments


def approve_as(world, agreement, *, analyst, manager, **levels):
    """An approved assessment of ``agreement`` by a team's own analyst and manager."""
    draft = services.assessment_start(agreement=agreement, actor=analyst)
    services.assessment_save_ratings(assessment=draft, actor=analyst, expected_version=draft.version,
                                     ratings=world.inputs(draft, **levels))
    submitted = services.assessment_submit(assessment=draft, actor=analyst)
    return services.assessment_approve(assessment=submitted, actor=manager)


@dataclass
class TwoTeams:
    shared: object  # a partner of an agreement of each team
    own_only: object
    other_only: object  # a partner only the other team works with
    mine: object  # world.team's approved assessment (shared partner and own_only), residual 4 x 3
    theirs: object  # world.other_team's (shared partner), residual 1 x 1, rationale SECRET
    theirs_only: object  # world.other_team's (other_only), residual 5 x 5, rationale SECRET


@pytest.fixture
def two_teams(world) -> TwoTeams:
    shared = PartnerFactory(name="Shared Maritime Office")
    own_only = PartnerFactory(name="Own Signals Agency")
    other_only = PartnerFactory(name="Other Only Bureau")
    mine = world.approved(world.agreement(partners=[shared, own_only], title="Our coastal watch"),
                          inherent=(5, 4), residual=(4, 3))
    other = {"analyst": world.other_analyst, "manager": world.other_manager}
    theirs = approve_as(world, world.agreement(team=world.other_team, partners=[shared],
                                               title="Their covert programme"),
                        inherent=(2, 2), residual=(1, 1), **other)
    theirs_only = approve_as(world, world.agreement(team=world.other_team, partners=[other_only],
                                                    title="Their other programme"),
                             inherent=(5, 5), residual=(5, 5), **other)
    Rating.objects.filter(assessment__in=[theirs, theirs_only]).update(rationale=SECRET)
    aggregation.scores_full_recompute()
    return TwoTeams(shared, own_only, other_only, mine, theirs, theirs_only)


def figure(html: str, chart_id: str) -> dict | None:
    """The figure a page embeds for ``chart_id`` (its json_script), or None."""
    found = re.search(rf'<script id="{re.escape(chart_id)}-figure" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None
