"""No input makes a page fail: every named GET URL, as every persona, with junk in its path and its
query string, answers below 500 (issue 8, defect 3).

The URLs come from the URL resolver, each built from its route with the valid arguments of its
access-matrix row (``tests/test_access_matrix.py``), so a new page is covered as soon as it has a
row, which that module insists on. The query parameter names are read off the project's filtersets
and forms, plus the few a view reads directly. Run on PostgreSQL too: that is where a NUL character
or an out-of-range integer reaches the database.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import django_filters
import pytest
from django import forms
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from riskboard.converters import ID_MAX
from tests.test_access_matrix import EXEMPT_NAMESPACES, MATRIX, PERSONAS, objects  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past a 64-bit integer
# In a path segment (already percent-encoded, as a client would send them).
JUNK_SEGMENTS = ("%00", "a%00b", HUGE, "9223372036854775808", "-1", "0", "abc", "x" * 300, "987654321", "%FF")
# As query values: NUL, out-of-range and negative numbers, wrong types, impossible dates, long text.
JUNK_VALUES = (
    "\x00", "a\x00b", HUGE, f"-{HUGE}", "9223372036854775808", "-1", "abc", "2024-13-45", "99999-01-01", "",
    "x" * 1000, "\N{SNOWMAN}", "-reference",
)
# Read by views straight from request.GET (the rest come from forms and filtersets).
DIRECT_PARAMS = {"page", "ordering", "next", "reviewed", "as_of", "sort", "trend_partner", "trend_category"}
PROJECT_APPS = ("assessments", "audit", "catalogue", "riskboard")
PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """``{"namespace:name": "full/route/<int:pk>/"}`` for every named URL outside the exempt namespaces."""
    routes = {}
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace not in EXEMPT_NAMESPACES:
                routes |= _routes(pattern, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            routes[f"{namespace}{pattern.name}"] = route
    return routes


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _param_names() -> set[str]:
    get_resolver().url_patterns  # noqa: B018 (imports every view, hence every form and filterset)
    names = set(DIRECT_PARAMS)
    for filterset in _subclasses(django_filters.FilterSet):
        names |= set(filterset.base_filters)
    for form in _subclasses(forms.BaseForm):
        if form.__module__.split(".")[0] in PROJECT_APPS:
            names |= set(getattr(form, "base_fields", {}))
    return names


def _url(route: str, values: list[str]) -> str:
    """The route with its placeholders replaced, in order, by ``values`` (already encoded)."""
    parts = iter(values)
    return "/" + PLACEHOLDER.sub(lambda _: next(parts), route)


def _requests(name: str, route: str, found: dict) -> list[str]:
    """Every junk request of one URL, as paths with their query strings."""
    row = MATRIX[name]
    valid = [quote(str(arg), safe="") for arg in row.args(found)]
    assert len(valid) == len(PLACEHOLDER.findall(route)), name
    base = _url(route, valid)
    base_query = row.query(found) if row.query else {}
    urls = []
    for position in range(len(valid)):
        for junk in JUNK_SEGMENTS:
            urls.append(_url(route, [*valid[:position], junk, *valid[position + 1:]]))
    names = sorted(_param_names())
    for junk in JUNK_VALUES:
        urls.append(f"{base}?{urlencode(dict.fromkeys(names, junk))}")
        if base_query:  # past the page's own check of its required parameter
            others = {n: junk for n in names if n not in base_query}
            urls.append(f"{base}?{urlencode({**base_query, **others})}")
    # Every parameter repeated, with a valid-looking value first.
    repeated = [(n, v) for n in names for v in ("1", "\x00", HUGE, "abc", "2024-13-45")]
    urls.append(f"{base}?{urlencode([*base_query.items(), *repeated])}")
    return urls


ROUTES = _routes(get_resolver())


def test_the_junk_reaches_every_page_and_every_parameter():
    """The lists above are built, not typed: they hold what the project has today."""
    assert set(ROUTES) == set(MATRIX)
    assert {"partner", "team", "band", "q", "actor", "date_from", "model", "page", "reviewed"} <= _param_names()
    assert _url("agreements/<int:pk>/", ["%00"]) == "/agreements/%00/"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_junk_in_a_url_makes_a_server_error(client, world, objects, name):  # noqa: F811
    for persona in PERSONAS:
        objects["user"] = None if persona == "anonymous" else getattr(world, persona)
        client.logout()
        if objects["user"] is not None:
            client.force_login(objects["user"])
        for url in _requests(name, ROUTES[name], objects):
            status = client.get(url).status_code
            assert status < 500, (persona, url[:300], status)


# --- The guards themselves ---------------------------------------------------------------------


def test_ids_in_paths_are_bounded_so_an_oversized_one_is_not_found(client, world):
    """Every id in a path uses the bounded ``<id:...>`` converter: a number no primary key can hold
    does not resolve (404), so it never reaches a query."""
    assert not [route for route in ROUTES.values() if "<int:" in route]
    with pytest.raises(Resolver404):
        resolve(f"/agreements/{HUGE}/")
    assert resolve(f"/agreements/{ID_MAX}/").kwargs == {"pk": ID_MAX}
    client.force_login(world.administrator)
    response = client.get(f"/agreements/{ID_MAX + 1}/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


@pytest.mark.parametrize(("url", "data", "where"), [
    ("/scores/categories/%00/", None, "The address"),
    ("/agreements/", {"q": "a\x00b"}, "The query string"),
    ("/agreements/", {"q\x00": "x"}, "The query string"),
])
def test_a_nul_character_is_refused_before_any_view_runs(client, world, url, data, where):
    client.force_login(world.manager)
    response = client.get(url, data)
    assert response.status_code == 400
    assert f"{where} contains a NUL character" in response.content.decode()
    assert [t.name for t in response.templates][:2] == ["400_nul.html", "base.html"]  # no view's page


def test_a_nul_character_in_form_data_changes_nothing(client, world):
    draft = world.draft()
    category = draft.catalogue.categories.first()
    client.force_login(world.analyst)
    response = client.post(f"/assessments/{draft.pk}/edit/", {
        "version": draft.version, "snapshot": "", "intent": "save",
        f"c{category.pk}-rationale": "Looks fine\x00", f"c{category.pk}-confidence": "high",
    })
    assert response.status_code == 400 and "The form data contains a NUL character" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.ratings.exists() and draft.version == 1


def test_a_nul_character_in_a_cookie_is_refused(client, world):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    response = client.get("/agreements/")
    assert response.status_code == 400 and "A cookie contains a NUL character" in response.content.decode()
