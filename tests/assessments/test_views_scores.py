"""The "explain a score" pages: who may see them, what they show, and how fresh it is."""

import pytest
from django.urls import reverse

from assessments import aggregation
from assessments.models import DirtyAgreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(world, django_capture_on_commit_callbacks):
    """An approved agreement of ``world.team`` and one of ``world.other_team``, both scored."""
    with django_capture_on_commit_callbacks(execute=True):
        mine = world.approved(world.agreement(), inherent=(5, 4), residual=(4, 3))
        other_agreement = world.agreement(team=world.other_team, partners=list(mine.agreement.partners.all()))
        _approve_other(world, other_agreement)
    return mine


def _approve_other(world, agreement):
    from assessments import services

    draft = services.assessment_start(agreement=agreement, actor=world.other_analyst)
    services.assessment_save_ratings(assessment=draft, actor=world.other_analyst, expected_version=draft.version,
                                     ratings=world.inputs(draft, inherent=(2, 2), residual=(1, 1)))
    submitted = services.assessment_submit(assessment=draft, actor=world.other_analyst)
    return services.assessment_approve(assessment=submitted, actor=world.other_manager)


def _urls(scored):
    agreement = scored.agreement
    return {
        "agreement": reverse("scores:agreement", args=[agreement.pk]),
        "partner": reverse("scores:partner", args=[agreement.partners.get().pk]),
        "category": reverse("scores:category", args=[scored.catalogue.categories.first().code]),
        "portfolio": reverse("scores:portfolio"),
    }


EXPECTED = {
    # persona: agreement, partner, category, portfolio
    "analyst": (200, 200, 200, 200),
    "manager": (200, 200, 200, 200),
    "auditor": (200, 200, 200, 200),
    "administrator": (200, 200, 200, 200),
    "other_analyst": (404, 200, 200, 200),  # sees the partner through its own team's agreement
    "nobody": (404, 404, 404, 404),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_who_may_see_which_score(client, world, scored, persona):
    client.force_login(getattr(world, persona))
    urls = _urls(scored)
    statuses = tuple(client.get(urls[name]).status_code for name in ("agreement", "partner", "category",
                                                                      "portfolio"))
    assert statuses == EXPECTED[persona]


def test_anonymous_users_are_sent_to_log_in(client, scored):
    for url in _urls(scored).values():
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_partner_without_visible_agreements_is_not_revealed(client, world, scored):
    from tests.factories import AgreementFactory, PartnerFactory

    hidden = PartnerFactory()
    AgreementFactory(owner_team=world.other_team, partners=[hidden])
    client.force_login(world.analyst)
    assert client.get(reverse("scores:partner", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("scores:category", args=["NO_SUCH_CODE"])).status_code == 404


def test_agreement_page_explains_the_formula_and_ratings(client, world, scored):
    client.force_login(world.analyst)
    response = client.get(reverse("scores:agreement", args=[scored.agreement_id]))
    html = response.content.decode()

    # Three categories rated 4 x 3 = 12 with weight 1: 36.00 / 3.00 = 12.00, High.
    assert "36.00 ÷ 3.00 = <strong>12.00</strong>" in html
    assert html.count("4 \N{MULTIPLICATION SIGN} 3 = 12") == 3
    assert "Band of the weighted mean residual score" in html
    assert "recomputing now gives the stored result" in html
    assert "Computed" in html and "pending" not in html


def test_agreement_page_states_the_floors_and_which_one_raised_the_band(
        client, world, django_capture_on_commit_callbacks):
    import re

    from catalogue.models import RiskCatalogue

    RiskCatalogue.objects.filter(pk=world.catalogue.pk).update(rollup_params={"rules": [
        {"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
        {"escalate_band": "CRITICAL", "min_count": 2, "to_band": "CRITICAL"}]})
    with django_capture_on_commit_callbacks(execute=True):
        floored = world.approved(world.agreement(), inherent=(5, 5), residual=(1, 1))
    # One Critical category among Low ones: the mean, (25 + 1 + 1) / 3 = 9, is Medium.
    floored.ratings.filter(pk=floored.ratings.first().pk).update(residual_likelihood=5, residual_impact=5)
    aggregation.scores_full_recompute()
    client.force_login(world.analyst)

    html = client.get(reverse("scores:agreement", args=[floored.agreement_id])).content.decode()

    rule = re.search(r"<dd data-rollup>(.*?)</dd>", html, re.S).group(1)
    assert rule == ("Band of the weighted mean residual score, raised by floors: 1 or more category at Critical or "
                    "worse make at least High; 2 or more categories at Critical or worse make at least Critical.")
    raised = re.search(r"<dd data-raised-by>(.*?)</dd>", html, re.S).group(1)
    assert raised.startswith("1 or more category at Critical or worse make at least High: the band of the weighted "
                             "mean, ")
    assert raised.index('data-band-code="MEDIUM"') < raised.index('data-band-code="HIGH"')
    assert "<dt>Worst category</dt>" in html


def test_agreement_page_says_nothing_was_raised_when_no_floor_matched(client, world, scored):
    client.force_login(world.analyst)
    html = client.get(reverse("scores:agreement", args=[scored.agreement_id])).content.decode()
    assert "<dd data-rollup>Band of the weighted mean residual score.</dd>" in html
    assert "data-raised-by" not in html


def test_freshness_says_when_a_recompute_is_pending(client, world, scored):
    aggregation.agreements_mark_dirty(agreement_ids=[scored.agreement_id], reason="test")
    client.force_login(world.analyst)
    for url in _urls(scored).values():
        html = client.get(url).content.decode()
        assert "a recompute is pending" in html, url
    DirtyAgreement.objects.all().delete()
    assert "a recompute is pending" not in client.get(_urls(scored)["portfolio"]).content.decode()


def test_partner_page_counts_and_lists_only_the_viewers_teams_agreements(client, world, scored):
    client.force_login(world.analyst)
    html = client.get(_urls(scored)["partner"]).content.decode()

    assert scored.agreement.reference in html
    assert "Counted</dt><dd>1 agreements" in html  # the other team's agreement with the partner is not counted
    assert "other team" not in html and "not listed" not in html
    assert "<strong data-value>12.00</strong>" in html  # its own agreement's score: 4 x 3

    client.force_login(world.auditor)  # every team
    assert "Counted</dt><dd>2 agreements" in client.get(_urls(scored)["partner"]).content.decode()


@pytest.mark.parametrize("page", ["category", "portfolio"])
def test_category_and_portfolio_pages_count_only_the_viewers_teams(client, world, scored, page):
    client.force_login(world.other_analyst)
    html = client.get(_urls(scored)[page]).content.decode()
    unit = "ratings" if page == "category" else "agreements"
    assert f"Counted</dt><dd>1 {unit}" in html and "<strong data-value>1.00</strong>" in html  # 1 x 1 only
    assert "other team" not in html

    client.force_login(world.administrator)
    assert f"Counted</dt><dd>2 {unit}" in client.get(_urls(scored)[page]).content.decode()


def test_portfolio_page_shows_the_distribution_and_categories(client, world, scored):
    client.force_login(world.auditor)
    html = client.get(_urls(scored)["portfolio"]).content.decode()

    assert "Agreements per band" in html
    for category in scored.catalogue.categories.all():
        assert category.name in html


def test_agreement_without_approved_assessment(client, world):
    agreement = world.agreement()
    client.force_login(world.analyst)
    html = client.get(reverse("scores:agreement", args=[agreement.pk])).content.decode()
    assert "No score yet" in html


def test_pages_run_a_bounded_number_of_queries(client, world, scored, django_assert_max_num_queries):
    client.force_login(world.administrator)
    for url in _urls(scored).values():
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200
