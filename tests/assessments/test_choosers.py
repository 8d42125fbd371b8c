"""The partner chooser: its JSON search (scoped, capped, 400 on bad input), the agreements list's
filter without JavaScript, and page costs that do not grow with the number of partners."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.views.choosers import CHOOSER_LIMIT
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("assessments:partner-search")
LIST = reverse("assessments:agreement-list")


@pytest.fixture
def partners(world):
    norway, chile = PartnerFactory(name="Norwegian Signals Agency", country="NO"), PartnerFactory(name="Chilean Navy")
    navy_league = PartnerFactory(name="Navy League of Norway")
    hidden = PartnerFactory(name="Naval Hidden Partner")
    world.agreement(reference="AGR-A", partners=[norway])
    world.agreement(reference="AGR-B", partners=[chile, navy_league])
    world.agreement(team=world.other_team, reference="AGR-X", title="Another team's", partners=[hidden])
    PartnerFactory(name="Navy Partner Of No Agreement")  # nobody's agreements: never offered
    return {"norway": norway, "chile": chile, "navy_league": navy_league, "hidden": hidden}


def names(response) -> list[str]:
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def test_the_search_offers_only_partners_of_agreements_the_user_may_see(client, world, partners):
    client.force_login(world.analyst)
    # Names starting with the text first, then the others containing it; any case.
    assert names(client.get(SEARCH, {"q": "NAV"})) == ["Navy League of Norway", "Chilean Navy"]
    assert names(client.get(SEARCH, {"q": "hidden"})) == []
    client.force_login(world.other_analyst)
    assert names(client.get(SEARCH, {"q": "nav"})) == ["Naval Hidden Partner"]
    client.force_login(world.auditor)
    assert names(client.get(SEARCH, {"q": "nav"})) == ["Naval Hidden Partner", "Navy League of Norway", "Chilean Navy"]
    client.force_login(world.nobody)
    assert names(client.get(SEARCH, {"q": ""})) == []


def test_a_search_answers_ids_names_and_countries(client, world, partners):
    client.force_login(world.analyst)
    body = client.get(SEARCH, {"q": "signals"}).json()
    assert body == {"results": [{"id": partners["norway"].pk, "name": "Norwegian Signals Agency", "country": "NO"}],
                    "more": False}


def test_the_search_is_capped_and_says_there_is_more(client, world):
    many = [PartnerFactory(name=f"Partner {i:03}") for i in range(CHOOSER_LIMIT + 5)]
    world.agreement(partners=many)
    client.force_login(world.analyst)
    body = client.get(SEARCH).json()  # a blank text: the first names
    assert [row["name"] for row in body["results"]] == [f"Partner {i:03}" for i in range(CHOOSER_LIMIT)]
    assert body["more"] is True
    assert client.get(SEARCH, {"q": "Partner 02"}).json()["more"] is False


def test_bad_input_is_a_400(client, world, partners):
    client.force_login(world.analyst)
    response = client.get(SEARCH, {"q": "x" * 101})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["q"]
    assert client.get(SEARCH, {"q": "na\x00vy"}).status_code == 400  # refused before the view (middleware)


def test_the_search_only_reads(client, world, partners):
    client.force_login(world.analyst)
    assert client.post(SEARCH, {"q": "nav"}).status_code == 405


def test_anonymous_users_are_sent_to_sign_in(client, partners):
    response = client.get(SEARCH, {"q": "nav"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The agreements list's partner filter ----------------------------------------------------------


def listed(response) -> list[str]:
    return re.findall(r'/agreements/\d+/">([^<]+)</a></td>', response.content.decode())


def test_without_javascript_a_typed_name_filters_and_stays_in_the_box(client, world, partners):
    client.force_login(world.analyst)
    response = client.get(LIST, {"partner_name": "navy"})
    assert listed(response) == ["AGR-B"]
    html = response.content.decode()
    assert 'name="partner_name" id="id_partner_name" value="navy"' in html
    assert '<input type="hidden" name="partner" value=""' in html
    assert listed(client.get(LIST, {"partner_name": "naval hidden"})) == []  # another team's partner


def test_a_chosen_partner_shows_its_name_and_keeps_its_id(client, world, partners):
    client.force_login(world.analyst)
    norway = partners["norway"]
    response = client.get(LIST, {"partner": norway.pk, "partner_name": norway.name})
    assert listed(response) == ["AGR-A"]
    html = response.content.decode()
    assert 'value="Norwegian Signals Agency"' in html
    assert f'<input type="hidden" name="partner" value="{norway.pk}"' in html
    # The combobox's pieces are there for the script; the list page offers no partner <option>.
    assert 'data-source="/partners/search/"' in html and 'role="listbox"' in html
    assert "Norwegian Signals Agency</option>" not in html


def test_another_teams_partner_id_is_refused_at_the_text_box(client, world, partners):
    client.force_login(world.analyst)
    html = client.get(LIST, {"partner": partners["hidden"].pk}).content.decode()
    assert '<a href="#id_partner_name">Partner: Choose a partner from the list, or type part of a name.</a>' in html
    assert "Naval Hidden Partner" not in html and "AGR-X" not in html


# --- Costs that do not grow with the portfolio --------------------------------------------------


def _grow(world, count: int, start: int) -> None:
    for i in range(start, start + count):
        world.agreement(reference=f"G-{i:04}", partners=[PartnerFactory(name=f"Grown partner {i:04}")])


def _queries(client, url, data) -> tuple[int, str]:
    client.get(url, data)  # warm: the band filter's choices are cached (catalogue.cache)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize(("url", "data"), [(LIST, {}), (LIST, {"partner_name": "grown"}), (SEARCH, {"q": "grown"})])
def test_query_counts_and_page_size_do_not_grow_with_the_partners(client, world, url, data):
    client.force_login(world.manager)
    _grow(world, 30, 0)
    small, small_html = _queries(client, url, data)
    _grow(world, 120, 30)
    large, large_html = _queries(client, url, data)
    assert small == large
    if url == LIST:
        assert small_html.count("<option") == large_html.count("<option")
