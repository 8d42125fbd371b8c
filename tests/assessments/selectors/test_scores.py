"""Reads of stored scores (``selectors.scores``): each says when it was computed and whether a
recompute is pending."""

import pytest

from assessments import aggregation, selectors
from assessments.models import ScoreLevel

pytestmark = pytest.mark.django_db


def test_selectors_say_when_scores_were_computed_and_whether_one_is_pending(world):
    agreement = world.agreement()
    world.approved(agreement)  # marks dirty; the on-commit recompute does not run in this test
    mine, others = frozenset({world.team.pk}), frozenset({world.other_team.pk})
    assert selectors.scoped_freshness(team_ids=mine, level=ScoreLevel.PORTFOLIO) == selectors.Freshness(None, True)
    assert not selectors.scoped_freshness(team_ids=others, level=ScoreLevel.PORTFOLIO).pending  # not theirs

    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    score, freshness = selectors.agreement_score_read(agreement=agreement)
    assert freshness.computed_at == score.computed_at and not freshness.pending
    freshness = selectors.scoped_freshness(team_ids=None, level=ScoreLevel.PORTFOLIO)
    assert freshness.computed_at is not None and not freshness.pending

    aggregation.agreements_mark_dirty(agreement_ids=[agreement.pk], reason="test")
    assert selectors.agreement_score_read(agreement=agreement)[1].pending
    partner = str(agreement.partners.get().pk)
    assert selectors.scoped_freshness(team_ids=mine, level=ScoreLevel.PARTNER, keys=[partner]).pending
    assert selectors.scoped_freshness(team_ids=None, level=ScoreLevel.CATEGORY).pending
    assert not selectors.scoped_freshness(team_ids=others, level=ScoreLevel.CATEGORY).pending
