"""Reads of stored scores (``selectors.scores``): each says when it was computed and whether a
recompute is pending."""

import pytest

from assessments import aggregation, selectors

pytestmark = pytest.mark.django_db


def test_selectors_say_when_scores_were_computed_and_whether_one_is_pending(world):
    agreement = world.agreement()
    world.approved(agreement)  # marks dirty; the on-commit recompute does not run in this test
    assert selectors.portfolio_score_read()[1] == selectors.Freshness(None, True)

    aggregation.agreements_recompute(agreement_ids=[agreement.pk])
    score, freshness = selectors.agreement_score_read(agreement=agreement)
    assert freshness.computed_at == score.computed_at and not freshness.pending
    _row, freshness = selectors.portfolio_score_read()
    assert freshness.computed_at is not None and not freshness.pending

    aggregation.agreements_mark_dirty(agreement_ids=[agreement.pk], reason="test")
    assert selectors.agreement_score_read(agreement=agreement)[1].pending
    assert selectors.partner_scores().get().pending
    assert all(c.pending for c in selectors.category_scores())
