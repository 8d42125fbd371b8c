"""``manage.py recompute_scores [--full]``: the tasks' code, run synchronously with progress."""

import datetime as dt
import random
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments import aggregation
from assessments.aggregation.reference import scores_compute_in_python, scores_differences, scores_stored
from assessments.models import AgreementScore, DirtyAgreement, ScoreSnapshot
from catalogue.models import RiskCatalogue

from .conftest import approve_new_assessment, build_portfolio

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("recompute_scores", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_full_rebuilds_every_score_and_reports_progress():
    build_portfolio(seed=41, agreements=20)

    out, err = run("--full")

    assert "Full recompute done" in out and f"{AgreementScore.objects.count()} agreements" in out
    assert "snapshots" in err  # the progress bar names the stage it reached
    assert scores_differences(scores_compute_in_python(), scores_stored()) == []
    assert ScoreSnapshot.objects.filter(level="portfolio").exists()


def test_without_full_it_recomputes_what_is_dirty():
    portfolio = build_portfolio(seed=42, agreements=20)
    aggregation.scores_full_recompute()
    rng = random.Random(42)
    changed = [a for a in portfolio.agreements if a.assessments.exists()][:6]
    for agreement in changed:
        approve_new_assessment(agreement=agreement, rng=rng, when=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    aggregation.agreements_mark_dirty(agreement_ids=[a.pk for a in changed], reason="test")

    out, _ = run("--batch-size", "4")

    assert "Recomputed 6 dirty agreements." in out
    assert not DirtyAgreement.objects.exists()
    assert scores_differences(scores_compute_in_python(), scores_stored()) == []


def test_nothing_dirty_nothing_done():
    out, _ = run()
    assert "Recomputed 0 dirty agreements." in out


def test_quiet_and_bad_arguments():
    assert run("--full", "--verbosity", "0") == ("", "")
    with pytest.raises(CommandError, match="at least 1"):
        run("--batch-size", "0")


def test_an_unusable_catalogue_is_reported_not_half_applied():
    build_portfolio(seed=43, agreements=5)
    aggregation.scores_full_recompute()
    before = scores_stored()
    catalogue = RiskCatalogue.objects.get(pk=AgreementScore.objects.first().catalogue_id)
    catalogue.rollup_method = "count_rule"
    catalogue.rollup_params = {"escalate_band": "SEVERE", "min_count": 2, "to_band": "CRITICAL"}
    catalogue.save(update_fields=["rollup_method", "rollup_params"])

    unusable = 'cannot be used for scoring: rollup_params.escalate_band: unknown band "SEVERE"'
    with pytest.raises(CommandError, match=re.escape(unusable)):
        run("--full")

    assert scores_differences(before, scores_stored()) == []
