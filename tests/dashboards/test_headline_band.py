"""One headline band per agreement: the band distribution, the partner rows of the heatmap and its
drill-down, the agreements list (its column, filter and sort), the agreement page and the portfolio
all count and show each agreement by its stored headline band (``AgreementScore.band_rank``, what
the portfolio counts), and show the worst category band apart."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import aggregation, scoring
from assessments.models import AgreementScore, PortfolioScore
from catalogue.models import Band
from riskboard.dashboards import selectors
from riskboard.dashboards.filtersets import dashboard_filters
from tests.assessments.conftest import build_portfolio
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_every_dashboard_count_and_label_uses_the_headline_band(client, seed):
    build_portfolio(seed=seed, agreements=24, partners=5)  # every roll-up method, and floors
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


def _cell(html: str, reference: str, marker: str) -> str | None:
    """The band code in an agreement's ``marker`` cell of the agreements list, or None."""
    start = html.index(f">{reference}</a>")
    row = html[start:html.index("</tr>", start)]
    found = re.search(rf"<td {marker}>(.*?)</td>", row, re.S).group(1)
    code = re.search(r'data-band-code="([A-Z_]+)"', found)
    return code.group(1) if code else None


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_the_list_the_agreement_page_and_the_portfolio_use_the_same_band(client, seed):
    with transaction.atomic():  # each example on its own data (one page of the list)
        _list_page_and_portfolio_agree(client, seed)
        transaction.set_rollback(True)


def _list_page_and_portfolio_agree(client, seed):
    portfolio = build_portfolio(seed=seed, agreements=20, partners=5)
    aggregation.scores_full_recompute()
    auditor = MembershipFactory(team=None, role="auditor").user
    client.force_login(auditor)
    scores = {s.agreement_id: s for s in AgreementScore.objects.select_related("catalogue")}
    codes = {(b.catalogue_id, b.rank): b.code for b in Band.objects.all()}

    def headline(score):
        return codes[(score.catalogue_id, score.band_rank)]

    html = client.get(reverse("assessments:agreement-list")).content.decode()
    for agreement in portfolio.agreements:
        score = scores.get(agreement.pk)
        assert _cell(html, agreement.reference, "data-headline-band") == (headline(score) if score else None)
        assert _cell(html, agreement.reference, "data-worst-category") == (
            codes[(score.catalogue_id, score.worst_band_rank)] if score else None)

    # The filter by band and the sort by band use the same band.
    for code in {headline(s) for s in scores.values()}:
        listed = client.get(reverse("assessments:agreement-list"), {"band": code}).content.decode()
        expected = {a.reference for a in portfolio.agreements if a.pk in scores and headline(scores[a.pk]) == code}
        assert set(re.findall(r'/agreements/\d+/">([^<]+)</a>', listed)) == expected
    by_band = client.get(reverse("assessments:agreement-list"), {"ordering": "band"}).content.decode()
    ranks = [scores[a.pk].band_rank for a in sorted(portfolio.agreements, key=lambda a: by_band.find(
        f">{a.reference}</a>")) if a.pk in scores]
    assert ranks == sorted(ranks)

    # The agreement page's Band.
    for agreement_id, score in list(scores.items())[:5]:
        page = client.get(reverse("assessments:agreement-detail", args=[agreement_id])).content.decode()
        band = re.search(r"<dt>Band</dt><dd>(.*?)</dd>", page, re.S).group(1)
        assert f'data-band-code="{headline(score)}"' in band

    # The portfolio counts each active agreement once, by that band.
    active = [s for s in scores.values() if s.is_active]
    portfolio = scoring.tally_sum(row.tally for row in PortfolioScore.objects.all())  # one row per team
    assert portfolio.band_counts == scoring.band_counts(s.band_rank for s in active)
