"""One headline band per agreement, on the dashboard's side: the band distribution, the partner rows
of the heatmap and its drill-down all count and show each agreement by its stored headline band
(``AgreementScore.band_rank``, what the portfolio counts), and show the worst category band apart."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import aggregation, scoring
from assessments.models import AgreementScore, PortfolioScore
from riskboard.dashboards import selectors
from riskboard.dashboards.filtersets import dashboard_filters
from tests.assessments.conftest import build_portfolio
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_every_dashboard_count_and_label_uses_the_headline_band(client, seed):
    build_portfolio(seed=seed, agreements=24, partners=5)  # three catalogues: every roll-up method
    aggregation.scores_full_recompute()
    auditor = MembershipFactory(team=None, role="auditor").user
    filters = dashboard_filters(user=auditor, data=QueryDict(""))
    active = {s.agreement_id: s for s in AgreementScore.objects.filter(is_active=True)}

    # The distribution is the portfolio's count by headline band.
    assert selectors.band_distribution(filters=filters).headline == scoring.tally_sum(
        row.tally for row in PortfolioScore.objects.all()).band_counts

    # Each partner row counts its agreements by headline band.
    for row in selectors.partner_rows(filters=filters):
        ids = AgreementScore.objects.filter(is_active=True, agreement__partners=row.partner_id).values_list(
            "agreement_id", flat=True)
        assert row.tally.band_counts == scoring.band_counts(active[i].band_rank for i in ids)

    # The drill-down labels each agreement with its headline band and, apart, its worst category band.
    busiest = max(selectors.partner_rows(filters=filters), key=lambda r: r.tally.n, default=None)
    if busiest is None:
        return
    client.force_login(auditor)
    code = selectors.scoring_rules().categories[0][0]
    response = client.get(reverse("dashboards:heatmap-cell", args=[busiest.partner_id, code]))
    assert response.status_code == 200
    for rating in response.context["ratings"]:
        score = active[rating.assessment.agreement_id]
        assert rating.headline_band.rank == score.band_rank
        assert rating.worst_band.rank == score.worst_band_rank
