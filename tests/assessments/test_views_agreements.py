"""The agreements list (search, filters, sorting, pages) and an agreement's page."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from assessments import aggregation
from assessments.choices import AgreementStatus
from assessments.models import AgreementScore, DirtyAgreement
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("assessments:agreement-list")


def references(response) -> list[str]:
    """The agreement references listed, in order."""
    return re.findall(r'/agreements/\d+/">([^<]+)</a></td>', response.content.decode())


@pytest.fixture
def listing(world, django_capture_on_commit_callbacks):
    """Agreements of both teams with distinct partners, statuses and current bands, scored as the
    workflow scores them: approval queues a recompute, run in-process once committed."""
    with django_capture_on_commit_callbacks(execute=True):
        return _listing(world)


def _listing(world):
    norway, chile = PartnerFactory(name="Norwegian Signals Agency"), PartnerFactory(name="Chilean Navy")
    hidden = PartnerFactory(name="Hidden Partner Of Another Team")
    a = world.agreement(reference="AGR-A", title="Maritime awareness", partners=[norway])
    b = world.agreement(reference="AGR-B", title="Cyber training", partners=[chile], status=AgreementStatus.PROPOSED)
    c = world.agreement(reference="AGR-C", title="Liaison office", partners=[norway, chile])
    other = world.agreement(team=world.other_team, reference="AGR-X", title="Secret of another team",
                            partners=[hidden])
    world.approved(a, residual=(5, 5))  # Critical
    world.approved(b, residual=(1, 1))  # Low
    world.submitted(c)
    return {"a": a, "b": b, "c": c, "other": other, "norway": norway, "chile": chile, "hidden": hidden}


def test_the_list_shows_only_the_users_teams(client, world, listing):
    client.force_login(world.analyst)
    response = client.get(LIST)
    assert references(response) == ["AGR-A", "AGR-B", "AGR-C"]
    html = response.content.decode()
    assert "Secret of another team" not in html
    assert "Hidden Partner Of Another Team" not in html  # not even in the partner filter


def test_auditors_see_every_team(client, world, listing):
    client.force_login(world.auditor)
    assert references(client.get(LIST)) == ["AGR-A", "AGR-B", "AGR-C", "AGR-X"]


def row(html: str, reference: str) -> str:
    start = html.index(f">{reference}</a>")
    return html[start:html.index("</tr>", start)]


def test_each_row_shows_the_current_band_by_name_and_the_open_assessment(client, world, listing):
    client.force_login(world.analyst)
    html = client.get(LIST).content.decode()
    row_a = row(html, "AGR-A")
    assert 'data-band-code="CRITICAL"' in row_a and "Critical</span>" in row_a
    assert "score 25.00" in row_a and reverse("scores:agreement", args=[listing["a"].pk]) in row_a
    row_c = row(html, "AGR-C")
    assert "Awaiting review" in row_c and "No approved assessment" in row_c
    assert "data-pending" not in html


def test_the_list_says_when_its_scores_were_computed(client, world, listing):
    listed = AgreementScore.objects.filter(agreement__in=[listing["a"], listing["b"]])
    computed = min(listed.values_list("computed_at", flat=True))  # every score shown is at least that fresh
    client.force_login(world.analyst)
    html = client.get(LIST).content.decode()
    freshness = re.search(r"<p class=\"freshness meta\" data-freshness>(.*?)</p>", html, re.S).group(1)
    assert f'datetime="{computed.isoformat()}"' in freshness
    assert "pending" not in freshness and "up to date: no input has changed since" in freshness


def test_the_current_band_is_the_stored_score_until_a_recompute_counts_a_new_approval(client, world, listing):
    world.approved(listing["a"], residual=(1, 1))  # committed, but its recompute has not run yet
    client.force_login(world.analyst)
    html = client.get(LIST).content.decode()
    row_a = row(html, "AGR-A")
    assert 'data-band-code="CRITICAL"' in row_a and "data-pending" in row_a  # the stored band, said to be stale
    assert "data-pending" not in row(html, "AGR-B")
    assert "a recompute is pending" in html
    assert references(client.get(LIST, {"band": "CRITICAL"})) == ["AGR-A"]  # filters use the stored band too

    aggregation.agreements_recompute(agreement_ids=[listing["a"].pk])
    html = client.get(LIST).content.decode()
    assert 'data-band-code="LOW"' in row(html, "AGR-A") and "data-pending" not in html
    assert references(client.get(LIST, {"band": "LOW"})) == ["AGR-A", "AGR-B"]


def _approve_one_critical_two_low(world, reference: str, django_capture_on_commit_callbacks):
    from assessments import services

    agreement = world.agreement(reference=reference)
    draft = world.draft(agreement)
    inputs = world.inputs(draft, inherent=(5, 5), residual=(1, 1))
    inputs[0].residual_likelihood = inputs[0].residual_impact = 5  # one Critical category, two Low
    services.assessment_save_ratings(assessment=draft, actor=world.analyst, expected_version=draft.version,
                                     ratings=inputs)
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_approve(assessment=services.assessment_submit(assessment=draft, actor=world.analyst),
                                    actor=world.reviewer)
    return AgreementScore.objects.get(agreement=agreement)


def _cells(html: str, reference: str) -> tuple[str, str]:
    """The "Band" and "Worst category" cells of an agreement's row."""
    found = row(html, reference)
    band = re.search(r"<td data-headline-band>(.*?)</td>", found, re.S).group(1)
    worst = re.search(r"<td data-worst-category>(.*?)</td>", found, re.S).group(1)
    return band, worst


def test_band_is_the_headline_band_and_the_worst_category_is_shown_beside_it(
        client, world, django_capture_on_commit_callbacks):
    """Band means one thing: the stored roll-up band that portfolio counts use (here a plain weighted
    mean, (25 + 1 + 1) / 3 = 9: Medium); the Critical category is shown under its own name."""
    score = _approve_one_critical_two_low(world, "AGR-ONE-BAD", django_capture_on_commit_callbacks)
    assert (score.band_rank, score.worst_band_rank) == (2, 4)
    client.force_login(world.analyst)
    html = client.get(LIST).content.decode()

    band, worst = _cells(html, "AGR-ONE-BAD")
    assert 'data-band-code="MEDIUM"' in band and "CRITICAL" not in band
    assert 'data-band-code="CRITICAL"' in worst
    assert re.search(r'<a class="sort-link" href="[^"]+">Band', html)
    assert '<th scope="col">Worst category</th>' in html
    assert "Current band" not in html
    # The filter and the sort use the same band as the column.
    assert references(client.get(LIST, {"band": "CRITICAL"})) == []
    assert references(client.get(LIST, {"band": "MEDIUM"})) == ["AGR-ONE-BAD"]


def test_a_catalogue_floor_raises_the_band_the_list_shows(client, world, django_capture_on_commit_callbacks):
    from catalogue.models import RiskCatalogue

    RiskCatalogue.objects.filter(pk=world.catalogue.pk).update(rollup_params={"rules": [
        {"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]})
    score = _approve_one_critical_two_low(world, "AGR-FLOOR", django_capture_on_commit_callbacks)
    assert (score.band_rank, score.worst_band_rank) == (3, 4)
    client.force_login(world.analyst)

    band, worst = _cells(client.get(LIST).content.decode(), "AGR-FLOOR")

    assert 'data-band-code="HIGH"' in band and 'data-band-code="CRITICAL"' in worst
    assert references(client.get(LIST, {"band": "HIGH"})) == ["AGR-FLOOR"]


def test_an_approved_agreement_never_scored_says_not_computed_yet(client, world):
    agreement = world.agreement(reference="AGR-NEW")
    world.approved(agreement)  # its recompute is queued on commit, which never comes here
    DirtyAgreement.objects.all().delete()  # as before the first recompute of data loaded another way
    client.force_login(world.analyst)
    html = client.get(LIST).content.decode()
    assert "Not computed yet" in row(html, "AGR-NEW") and "data-pending" in row(html, "AGR-NEW")
    assert "Not computed yet · <strong data-pending>a recompute is pending</strong>" in html
    assert references(client.get(LIST, {"ordering": "band"})) == ["AGR-NEW"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "agr-b"}, ["AGR-B"]),
        ({"q": "maritime"}, ["AGR-A"]),
        ({"q": "chilean"}, ["AGR-B", "AGR-C"]),  # partner name, each agreement once
        ({"q": "secret of another"}, []),
        ({"status": "proposed"}, ["AGR-B"]),
        ({"band": "CRITICAL"}, ["AGR-A"]),
        ({"band": "LOW"}, ["AGR-B"]),
        ({"assessment": "submitted"}, ["AGR-C"]),
        ({"assessment": "none"}, ["AGR-A", "AGR-B"]),
        ({"q": "a", "status": "active", "band": "CRITICAL"}, ["AGR-A"]),
    ],
)
def test_search_and_filters(client, world, listing, query, expected):
    client.force_login(world.analyst)
    assert references(client.get(LIST, query)) == expected


def test_filter_by_partner_and_team(client, world, listing):
    client.force_login(world.administrator)
    assert references(client.get(LIST, {"partner": listing["norway"].pk})) == ["AGR-A", "AGR-C"]
    assert references(client.get(LIST, {"team": world.other_team.pk})) == ["AGR-X"]


def test_a_partner_of_another_team_cannot_be_used_as_a_filter(client, world, listing):
    client.force_login(world.analyst)
    response = client.get(LIST, {"partner": listing["hidden"].pk})
    html = response.content.decode()
    assert "Some filters were not applied" in html
    assert "Secret of another team" not in html


def test_no_match_shows_an_empty_state_with_a_way_back(client, world, listing):
    client.force_login(world.analyst)
    html = client.get(LIST, {"q": "nothing like this"}).content.decode()
    assert "No agreements match these filters" in html
    assert f'<a href="{LIST}">clear the filters</a>' in html


def test_a_user_without_a_team_is_told_why_the_list_is_empty(client, world, listing):
    client.force_login(world.nobody)
    html = client.get(LIST).content.decode()
    assert "You are not in a team yet" in html


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-reference", ["AGR-C", "AGR-B", "AGR-A"]),
        ("band", ["AGR-B", "AGR-A", "AGR-C"]),  # Low, Critical, then none: unassessed last
        ("-band", ["AGR-A", "AGR-B", "AGR-C"]),  # unassessed last either way
        ("title", ["AGR-B", "AGR-C", "AGR-A"]),
    ],
)
def test_sorting(client, world, listing, ordering, expected):
    client.force_login(world.analyst)
    response = client.get(LIST, {"ordering": ordering})
    assert references(response) == expected


def test_the_sorted_column_says_so_and_its_link_reverses_the_order(client, world, listing):
    client.force_login(world.analyst)
    html = client.get(LIST, {"ordering": "band", "status": "active"}).content.decode()
    header = re.search(r'<th scope="col" aria-sort="ascending"><a class="sort-link" href="([^"]+)">Band', html)
    assert header, "the band column is marked as sorted ascending"
    assert "ordering=-band" in header.group(1) and "status=active" in header.group(1)


def test_pages_of_25_keep_the_filters(client, world):
    for i in range(27):
        world.agreement(reference=f"P-{i:03d}", title=f"Paged {i}")
    client.force_login(world.analyst)
    first = client.get(LIST, {"q": "paged"})
    assert len(references(first)) == 25
    html = first.content.decode()
    assert "Showing 1 to 25 of 27" in html
    assert 'href="?q=paged&amp;page=2" rel="next"' in html
    second = client.get(LIST, {"q": "paged", "page": 2})
    assert references(second) == ["P-025", "P-026"]
    assert client.get(LIST, {"page": 9}).status_code == 404


def test_the_list_costs_the_same_queries_for_one_row_or_a_full_page(client, world, django_assert_max_num_queries):
    for i in range(30):
        agreement = world.agreement(partners=[PartnerFactory(), PartnerFactory()])
        if i % 3 == 0:
            world.approved(agreement)
    aggregation.scores_full_recompute()
    client.force_login(world.analyst)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"ordering": "-band"})
    assert len(references(response)) == 25


# --- Agreement page --------------------------------------------------------------------------


def test_the_agreement_page_shows_partners_current_bands_and_history(client, world):
    partner = PartnerFactory(name="Norwegian Signals Agency", country="NO")
    agreement = world.agreement(partners=[partner], reference="AGR-7", description="Shared <b>radar</b> data")
    approved = world.approved(agreement, inherent=(5, 4), residual=(2, 2))
    world.draft(agreement)
    client.force_login(world.analyst)
    html = client.get(reverse("assessments:agreement-detail", args=[agreement.pk])).content.decode()
    assert "Norwegian Signals Agency" in html and "Norway" in html
    assert "Shared &lt;b&gt;radar&lt;/b&gt; data" in html
    current = html[html.index("Current risk by category"):html.index("Inherent and residual risk by category")]
    assert current.count('data-band-code="CRITICAL"') == 3  # inherent 5x4, one per category
    assert current.count('data-band-code="LOW"') == 3  # residual 2x2
    history = html[html.index("Assessment history"):]
    assert "Approved" in history and "Draft" in history
    assert "reviewer" in history  # the reviewer's name
    assert reverse("assessments:assessment-detail", args=[approved.pk]) in history
    assert "Continue the draft assessment" in html


def test_the_agreement_page_shows_the_stored_score_and_when_it_was_computed(client, world,
                                                                          django_capture_on_commit_callbacks):
    agreement = world.agreement()
    with django_capture_on_commit_callbacks(execute=True):
        world.approved(agreement, inherent=(5, 5), residual=(4, 3))  # 12 in every category: High
    score = AgreementScore.objects.get(agreement=agreement)
    page = reverse("assessments:agreement-detail", args=[agreement.pk])
    client.force_login(world.analyst)
    html = client.get(page).content.decode()
    stored = html[html.index("data-stored-score"):html.index("</dl>", html.index("data-stored-score"))]
    assert "<strong data-value>12.00</strong> out of 25" in stored
    assert stored.count('data-band-code="HIGH"') == 2  # the roll-up band and the worst residual band
    assert reverse("scores:agreement", args=[agreement.pk]) in stored
    assert f'Computed <time datetime="{score.computed_at.isoformat()}">' in html
    assert "a recompute is pending" not in html

    world.approved(agreement, residual=(1, 1))  # counted by no recompute yet
    html = client.get(page).content.decode()
    assert "<strong data-value>12.00</strong>" in html and "a recompute is pending" in html
    assert "up to date" not in html


def test_an_agreement_approved_before_any_recompute_says_so(client, world):
    agreement = world.agreement()
    world.approved(agreement)
    DirtyAgreement.objects.all().delete()
    client.force_login(world.analyst)
    html = client.get(reverse("assessments:agreement-detail", args=[agreement.pk])).content.decode()
    assert "<dt>Score</dt><dd>Not computed yet</dd>" in html
    assert "Not computed yet · <strong data-pending>a recompute is pending</strong>" in html


def test_the_start_button_shows_only_to_roles_that_may_edit(client, world):
    agreement = world.agreement()
    start = reverse("assessments:assessment-start", args=[agreement.pk])
    client.force_login(world.analyst)
    assert start in client.get(reverse("assessments:agreement-detail", args=[agreement.pk])).content.decode()
    client.force_login(world.auditor)
    html = client.get(reverse("assessments:agreement-detail", args=[agreement.pk])).content.decode()
    assert start not in html
    assert "This agreement has not been assessed yet." in html


def test_the_agreement_page_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries):
    agreement = world.agreement(partners=[PartnerFactory(), PartnerFactory()])
    for _ in range(4):
        world.approved(agreement)
    aggregation.scores_full_recompute()
    client.force_login(world.manager)
    client.get(reverse("assessments:agreement-detail", args=[agreement.pk]))  # the catalogue's reads now cached
    # 13 before it showed the stored score (+1: its bands, now cached); +3 for the score over time
    # (the approved assessments, their ratings, their catalogues' rules); -2 for the cached matrix and levels.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("assessments:agreement-detail", args=[agreement.pk]))
    assert response.content.decode().count("Approved</span>") == 4


def test_the_demo_data_is_listed_with_its_scores_computed(client, settings, monkeypatch):
    from django.core.management import call_command

    from assessments.demo import PASSWORD_ENV

    settings.DEBUG = False
    monkeypatch.setenv(PASSWORD_ENV, "Tall-Lighthouse-Quarterly-42")
    call_command("seed_demo", stdout=StringIO())
    client.force_login(get_user_model().objects.get(username="auditor"))
    html = client.get(LIST).content.decode()
    assert "Computed <time" in html and "Not computed yet" not in html and "data-pending" not in html
    assert html.count('title="How this score is made"') >= 20  # a score on (nearly) every row of the page
