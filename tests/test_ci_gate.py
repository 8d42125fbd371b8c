"""The CI gate of tests/conftest.py: under CI=true, a skipped test marked postgres, celery or
browser fails the run, named in the summary; elsewhere such skips are fine.

Each case runs pytest in a subprocess on a tiny test file, with the gate's hooks as its conftest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CONFTEST = """
from tests.conftest import (  # noqa: F401  the gate's hooks, as the real suite loads them
    pytest_configure, pytest_runtest_makereport, pytest_sessionfinish, pytest_terminal_summary,
)
"""

INI = """
[pytest]
markers =
    postgres: needs PostgreSQL
    celery: needs Redis and a worker
    browser: needs Chromium
"""

SKIPS = """
import pytest

@pytest.mark.postgres
@pytest.mark.skipif(True, reason="needs PostgreSQL here")
def test_row_locks():
    pass

@pytest.mark.celery
def test_worker():
    pytest.skip("no broker")

@pytest.mark.browser
@pytest.mark.skip(reason="no chromium")
def test_in_the_browser():
    pass

@pytest.mark.skip(reason="not marked: allowed")
def test_unmarked_skip():
    pass

@pytest.mark.postgres
@pytest.mark.xfail(reason="an expected failure is not a skip")
def test_expected_failure():
    assert False

def test_plain():
    pass
"""

RUNS = """
import pytest

@pytest.mark.postgres
def test_row_locks():
    pass

@pytest.mark.skip(reason="not marked: allowed")
def test_unmarked_skip():
    pass
"""


def run_pytest(tmp_path: Path, tests: str, *, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text(textwrap.dedent(INI))
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_tiny.py").write_text(textwrap.dedent(tests))
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["PYTHONPATH"] = str(REPO)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_skipping_a_test_that_must_run_fails_the_run_and_names_it(tmp_path, ci):
    result = run_pytest(tmp_path, SKIPS, ci=ci)

    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    out = result.stdout
    assert "CI=true: 3 test(s) that must run in CI were skipped" in out
    assert "SKIPPED [postgres] test_tiny.py::test_row_locks: needs PostgreSQL here" in out
    assert "SKIPPED [celery] test_tiny.py::test_worker: no broker" in out
    assert "SKIPPED [browser] test_tiny.py::test_in_the_browser: no chromium" in out
    assert "test_unmarked_skip:" not in out and "test_expected_failure:" not in out


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_the_same_skips_pass(tmp_path, ci):
    result = run_pytest(tmp_path, SKIPS, ci=ci)

    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "must run in CI" not in result.stdout


def test_under_ci_a_run_where_they_all_run_passes(tmp_path):
    result = run_pytest(tmp_path, RUNS, ci="true")

    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "1 passed, 1 skipped" in result.stdout


def test_under_ci_a_failing_run_still_fails_as_a_failure(tmp_path):
    result = run_pytest(tmp_path, SKIPS + "\ndef test_broken():\n    assert False\n", ci="true")

    assert result.returncode == pytest.ExitCode.TESTS_FAILED
    assert "1 failed" in result.stdout and "must run in CI were skipped" in result.stdout
