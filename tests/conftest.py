from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

# --- CI proves the real paths -------------------------------------------------------------------
# Tests marked with these need PostgreSQL, a Redis broker and worker, or Chromium, and skip where
# those are missing. Under CI=true (``.ci/run``) everything is there, so such a skip means a real
# path went untested: the run fails at the end, naming the skipped tests.
REQUIRED_IN_CI = ("postgres", "celery", "browser")
_SKIPPED_IN_CI = pytest.StashKey[list]()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_configure(config):
    config.stash[_SKIPPED_IN_CI] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):  # an expected failure is not a skip
        markers = [name for name in REQUIRED_IN_CI if item.get_closest_marker(name)]
        if markers:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = reason.removeprefix("Skipped: ")
            item.config.stash[_SKIPPED_IN_CI].append((item.nodeid, ", ".join(markers), reason))
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _in_ci() and session.config.stash[_SKIPPED_IN_CI] and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash[_SKIPPED_IN_CI]
    if not (_in_ci() and skipped):
        return
    terminalreporter.section(f"CI=true: {len(skipped)} test(s) that must run in CI were skipped", red=True)
    for nodeid, markers, reason in skipped:
        terminalreporter.line(f"SKIPPED [{markers}] {nodeid}: {reason}", red=True)
    terminalreporter.line("The run fails: install what they need (see .ci/run) so that they run.", red=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: databases are rolled back between tests and ids come
    back, so a cached catalogue read of an earlier test must not answer for this one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def catalogue(db):
    from tests.factories import CatalogueFactory

    return CatalogueFactory()


@dataclass
class World:
    """Two teams and one user per role, with a published catalogue: what the page tests act on.

    ``team`` holds ``analyst``, ``manager`` and ``reviewer`` (a second manager, for four eyes);
    ``other_team`` holds ``other_analyst`` and ``other_manager``; ``administrator`` and ``auditor``
    see every team; ``nobody`` has an account and no role.
    """

    catalogue: object
    team: object
    other_team: object
    analyst: object
    manager: object
    reviewer: object
    other_analyst: object
    other_manager: object
    administrator: object
    auditor: object
    nobody: object

    def agreement(self, team=None, **kwargs):
        from tests.factories import AgreementFactory

        return AgreementFactory(owner_team=team or self.team, **kwargs)

    def inputs(self, assessment, *, categories=None, **levels):
        from tests.factories import rating_inputs

        chosen = categories or list(assessment.catalogue.categories.prefetch_related("safeguards"))
        return rating_inputs(chosen, **levels)

    def draft(self, agreement=None, *, rated: bool = False, actor=None, **levels):
        from assessments import services

        actor = actor or self.analyst
        assessment = services.assessment_start(agreement=agreement or self.agreement(), actor=actor)
        if rated:
            services.assessment_save_ratings(
                assessment=assessment, actor=actor, expected_version=assessment.version,
                ratings=self.inputs(assessment, **levels),
            )
        return assessment

    def submitted(self, agreement=None, **levels):
        from assessments import services

        assessment = self.draft(agreement, rated=True, **levels)
        return services.assessment_submit(assessment=assessment, actor=self.analyst)

    def approved(self, agreement=None, **levels):
        from assessments import services

        return services.assessment_approve(assessment=self.submitted(agreement, **levels), actor=self.reviewer)


@pytest.fixture
def world(catalogue) -> World:
    from riskboard.roles import Role
    from tests.factories import MembershipFactory, TeamFactory, UserFactory

    team, other_team = TeamFactory(name="Strategic", slug="strategic"), TeamFactory(name="Cyber", slug="cyber")

    def member(username, role, team=None):
        return MembershipFactory(user=UserFactory(username=username), team=team, role=role).user

    return World(
        catalogue=catalogue,
        team=team,
        other_team=other_team,
        analyst=member("analyst", Role.ANALYST, team),
        manager=member("manager", Role.MANAGER, team),
        reviewer=member("reviewer", Role.MANAGER, team),
        other_analyst=member("other_analyst", Role.ANALYST, other_team),
        other_manager=member("other_manager", Role.MANAGER, other_team),
        administrator=member("administrator", Role.ADMINISTRATOR),
        auditor=member("auditor", Role.AUDITOR),
        nobody=UserFactory(username="nobody"),
    )
