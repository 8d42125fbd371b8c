"""The mixed workload of ``make bench-load`` (bench/load.py writes the plan this file reads).

Three kinds of user, all on 127.0.0.1 only (the host is refused otherwise):

- analysts sign in, open their own draft's assessment form and save it (the form as a browser
  would send it, read from the page), and look at the agreements list;
- managers sign in and open the dashboard, heatmap and matrix drill-downs, the review page of a
  submitted assessment, agreement pages and the agreements list;
- API clients sync with a read token: assessments, agreements and partners, page by page.

Requests are named by endpoint, not by URL, so that the statistics group them.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

with open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)
_analysts = itertools.count()
_managers = itertools.count()


@events.test_start.add_listener
def _loopback_only(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"bench-load sends requests to 127.0.0.1 only, not to {host!r}")


class _FormReader(HTMLParser):
    """What a browser submits from the assessment form: inputs (checked radios and checkboxes
    only), textareas and selects with their chosen option."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


class _SignedIn(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    username = ""

    def sign_in(self, username: str) -> None:
        page = self.client.get("/accounts/login/", name="login")
        with self.client.post("/accounts/login/", name="login", catch_response=True, allow_redirects=False,
                              data={"username": username, "password": PLAN["password"],
                                    "csrfmiddlewaretoken": _csrf(page.text)},
                              headers={"Referer": f"{self.host}/accounts/login/"}) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {username} answered {response.status_code}")


class Analyst(_SignedIn):
    weight = 3

    def on_start(self):
        mine = PLAN["analysts"][next(_analysts) % len(PLAN["analysts"])]
        self.sign_in(mine["username"])
        self.edit = f"/assessments/{mine['draft']}/edit/"

    @task(4)
    def open_form(self):
        self.client.get(self.edit, name="assessment form")

    @task(2)
    def save_form(self):
        page = self.client.get(self.edit, name="assessment form")
        reader = _FormReader()
        reader.feed(page.text)
        data = [(k, v) for k, v in reader.fields if k != "intent"] + [("intent", "save")]
        with self.client.post(self.edit, data=data, name="assessment save", catch_response=True,
                              allow_redirects=False, headers={"Referer": f"{self.host}{self.edit}"}) as response:
            if response.status_code != 302:
                response.failure(f"save answered {response.status_code}")

    @task(1)
    def agreements(self):
        self.client.get("/agreements/", name="agreements list")


class Manager(_SignedIn):
    weight = 2

    def on_start(self):
        self.sign_in(PLAN["managers"][next(_managers) % len(PLAN["managers"])])
        self.rng = random.Random()

    @task(3)
    def dashboard(self):
        self.client.get("/dashboard/", name="dashboard")

    @task(2)
    def heatmap_cell(self):
        partner, code = self.rng.choice(PLAN["heatmap_cells"])
        self.client.get(f"/dashboard/heatmap/{partner}/{code}/", name="heatmap drill-down")

    @task(1)
    def matrix_cell(self):
        self.client.get(f"/dashboard/matrix/residual/{self.rng.randint(1, 5)}/{self.rng.randint(1, 5)}/",
                        name="matrix drill-down")

    @task(2)
    def review(self):
        self.client.get(f"/assessments/{self.rng.choice(PLAN['submitted'])}/review/", name="review page")

    @task(2)
    def agreement(self):
        self.client.get(f"/agreements/{self.rng.choice(PLAN['agreements'])}/", name="agreement page")

    @task(2)
    def agreements(self):
        self.client.get("/agreements/", name="agreements list")


class ApiClient(HttpUser):
    weight = 1
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {PLAN['token']}"
        self.client.headers["Accept"] = "application/json"

    def _sync(self, resource: str, pages: int) -> None:
        url = f"/api/v1/{resource}/?page_size=50"
        for _ in range(pages):
            response = self.client.get(url, name=f"api {resource}")
            nxt = response.json().get("next") if response.ok else None
            if not nxt:
                return
            parts = urlsplit(nxt)
            url = f"{parts.path}?{parts.query}"

    @task(3)
    def assessments(self):
        self._sync("assessments", 3)

    @task(2)
    def agreements(self):
        self._sync("agreements", 3)

    @task(1)
    def partners(self):
        self._sync("partners", 2)
