"""What triggers a recompute, the tasks' behaviour, and (marked ``celery``) a real worker and broker.

Unmarked tests run tasks in-process (no broker configured), on any database. Tests marked
``celery`` start a worker subprocess against the PostgreSQL test database and a Redis broker;
they skip with a reason elsewhere.
"""

import random
import time
from unittest import mock

import psycopg2
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection
from django.db.models import Max
from kombu.exceptions import OperationalError as BrokerError

from assessments import aggregation, services, tasks
from assessments.aggregation.reference import scores_compute_in_python, scores_differences, scores_stored
from assessments.choices import AgreementStatus
from assessments.models import AgreementScore, DashboardSummary, DirtyAgreement, PartnerScore, PortfolioScore
from riskboard.celery import app
from tests.factories import PartnerFactory

from .conftest import approve_new_assessment, build_portfolio

pytestmark = pytest.mark.django_db


def test_approval_marks_dirty_and_recomputes_on_commit(world, django_capture_on_commit_callbacks):
    agreement = world.agreement()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assessment = world.approved(agreement)
    assert DirtyAgreement.objects.filter(agreement=agreement, reason="approval").exists()
    assert not AgreementScore.objects.filter(agreement=agreement).exists()  # nothing queued before commit

    for callback in callbacks:
        callback()

    assert AgreementScore.objects.get(agreement=agreement).assessment == assessment
    assert not DirtyAgreement.objects.exists()
    assert PartnerScore.objects.get(partner=agreement.partners.get()).n == 1
    # ...and the team's dashboard summary, refreshed after the recompute, counts it.
    summary = DashboardSummary.objects.get(team=agreement.owner_team)
    assert summary.summarised_generation == summary.generation
    assert sum(summary.data["headline"]) == 1


def test_approval_succeeds_when_the_broker_is_down(world, django_capture_on_commit_callbacks, caplog):
    agreement = world.agreement()
    down = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(tasks.agreement_scores_recompute, "apply_async", side_effect=down), \
            django_capture_on_commit_callbacks(execute=True):
        assessment = world.approved(agreement)

    assert assessment.status == "approved"
    assert "the sweeper will pick it up" in caplog.text
    assert DirtyAgreement.objects.filter(agreement=agreement).exists()
    assert not AgreementScore.objects.filter(agreement=agreement).exists()

    tasks.scores_sweep.apply().get()

    assert AgreementScore.objects.get(agreement=agreement).assessment == assessment
    assert not DirtyAgreement.objects.exists()


def test_agreement_status_change_moves_it_out_of_the_aggregates(world, django_capture_on_commit_callbacks):
    agreement = world.agreement()
    with django_capture_on_commit_callbacks(execute=True):
        world.approved(agreement)
    assert PortfolioScore.objects.get(team=agreement.owner_team_id).n == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_set_status(agreement=agreement, actor=world.analyst, status=AgreementStatus.SUSPENDED)

    assert agreement.status == AgreementStatus.SUSPENDED
    assert not PortfolioScore.objects.exists()  # the team's row counted nothing more: it went
    assert not PartnerScore.objects.exists()
    assert AgreementScore.objects.get(agreement=agreement).is_active is False


def test_partner_change_marks_dirty_and_moves_the_agreement_between_partners(world,
                                                                            django_capture_on_commit_callbacks):
    agreement = world.agreement()
    with django_capture_on_commit_callbacks(execute=True):
        world.approved(agreement)
    old_partner = agreement.partners.get()
    new_partner = PartnerFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.agreement_update(agreement=agreement, actor=world.analyst, partners=[new_partner])
    assert DirtyAgreement.objects.filter(agreement=agreement, reason="partners").exists()
    assert PartnerScore.objects.filter(partner=old_partner, n=1).exists()  # nothing recomputed before commit

    for callback in callbacks:
        callback()

    assert not PartnerScore.objects.filter(partner=old_partner).exists()
    assert PartnerScore.objects.get(partner=new_partner).n == 1
    assert not DirtyAgreement.objects.exists()
    assert scores_differences(scores_compute_in_python(), scores_stored()) == []


def test_approving_after_a_counted_partner_was_deleted_recomputes_the_scores(world, django_capture_on_commit_callbacks):
    """Defect 2 as a user met it: a partner deleted in the shell (the service refuses), then the
    next approval of one of its agreements failed to recompute, and stayed stale."""
    gone, kept = PartnerFactory(), PartnerFactory()
    agreement = world.agreement(partners=[gone, kept])
    with django_capture_on_commit_callbacks(execute=True):
        world.approved(agreement)
    gone.delete()

    with django_capture_on_commit_callbacks(execute=True):
        world.approved(agreement)
    connection.check_constraints()

    assert not DirtyAgreement.objects.exists()
    assert PartnerScore.objects.get(partner=kept).n == 1
    assert not PartnerScore.objects.filter(partner_id=gone.pk).exists()
    assert scores_differences(scores_compute_in_python(), scores_stored()) == []


def test_agreement_status_change_is_checked(world):
    agreement = world.agreement()
    with pytest.raises(PermissionDenied):
        services.agreement_set_status(agreement=agreement, actor=world.other_analyst, status="suspended")
    with pytest.raises(PermissionDenied):
        services.agreement_set_status(agreement=agreement, actor=world.auditor, status="suspended")
    with pytest.raises(ValidationError, match="Choose one of"):
        services.agreement_set_status(agreement=agreement, actor=world.analyst, status="paused")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert not DirtyAgreement.objects.exists()


def test_an_unchanged_status_marks_nothing(world):
    agreement = world.agreement()
    services.agreement_set_status(agreement=agreement, actor=world.analyst, status=agreement.status)
    assert not DirtyAgreement.objects.exists()


def test_tasks_are_rerunnable_with_identical_results():
    build_portfolio(seed=21, agreements=15)
    tasks.scores_full_recompute.apply().get()
    once = scores_stored()
    tasks.scores_full_recompute.apply().get()
    agreement_id = AgreementScore.objects.values_list("agreement_id", flat=True).first()
    tasks.agreement_scores_recompute.apply(args=[agreement_id]).get()
    tasks.agreement_scores_recompute.apply(args=[agreement_id]).get()
    assert scores_differences(once, scores_stored()) == []


def test_transient_database_errors_are_retried():
    build_portfolio(seed=22, agreements=3)
    real = aggregation.agreements_recompute
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("could not serialize access due to concurrent update")
        return real(**kwargs)

    agreement_id = AgreementScore.objects.values_list("agreement_id", flat=True).first() or 1
    with mock.patch.object(aggregation, "agreements_recompute", side_effect=flaky):
        result = tasks.agreement_scores_recompute.apply(args=[agreement_id], throw=False)
    assert result.successful() and len(calls) == 2


def test_task_options_make_them_safe_to_redeliver():
    for task in (tasks.agreement_scores_recompute, tasks.scores_sweep, tasks.scores_full_recompute,
                 tasks.dashboard_summaries_refresh, tasks.agreement_counts_compact):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.soft_time_limit and task.time_limit > task.soft_time_limit
        assert OperationalError in task.autoretry_for and task.retry_backoff
        assert task.name in app.tasks


def test_beat_runs_a_nightly_full_recompute_and_a_sweeper_every_minute_both_expiring():
    schedule = settings.CELERY_BEAT_SCHEDULE
    nightly = schedule["scores-full-recompute-nightly"]
    sweep = schedule["scores-sweep"]
    assert nightly["task"] == tasks.scores_full_recompute.name and nightly["schedule"].hour == {2}
    assert sweep["task"] == tasks.scores_sweep.name and sweep["schedule"] == 60
    assert nightly["options"]["expires"] and sweep["options"]["expires"] <= 60
    summaries = schedule["dashboard-summaries-refresh"]  # also catches the change of day
    assert summaries["task"] == tasks.dashboard_summaries_refresh.name and summaries["schedule"] == 60
    counts = schedule["agreement-counts-compact"]
    assert counts["task"] == tasks.agreement_counts_compact.name and counts["options"]["expires"] <= counts["schedule"]


# --- A real worker and broker ------------------------------------------------------------------


def _wait_for(condition, *, timeout: float, interval: float = 0.05, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    if worker is not None and worker.process is not None:
        worker.process.send_signal(10)  # celery dumps every thread's stack to its log
        time.sleep(1)
    raise AssertionError(f"Not within {timeout} s. Worker log:\n{worker.log()[-3000:] if worker else ''}")


def _agreement_shows(agreement, assessment) -> bool:
    return AgreementScore.objects.filter(agreement=agreement, assessment=assessment).exists()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_worker_updates_the_aggregates_of_an_approval_within_a_bounded_wait(world, celery_worker):
    agreement = world.agreement()
    started = time.monotonic()
    assessment = world.approved(agreement)  # commits: transactional test

    _wait_for(lambda: _agreement_shows(agreement, assessment) and not DirtyAgreement.objects.exists(),
              timeout=15, worker=celery_worker)
    assert time.monotonic() - started < 15
    assert PartnerScore.objects.get(partner=agreement.partners.get()).n == 1
    assert scores_differences(scores_compute_in_python(), scores_stored()) == []

    # The worker of the dashboards queue then brings the team's dashboard summary up to date.
    def summary_current() -> bool:
        summary = DashboardSummary.objects.filter(team=world.team).first()
        return bool(summary and summary.is_current_generation and summary.data)

    _wait_for(summary_current, timeout=15, worker=celery_worker)
    assert DashboardSummary.objects.get(team=world.team).data["portfolio"][0] == 1  # one agreement counted


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_stopped_approval_succeeds_and_the_sweeper_catches_up(
    world, celery_publisher, own_broker, tmp_path
):
    from .conftest import Worker, _require_celery_environment

    _require_celery_environment()
    celery_publisher(own_broker.url)
    worker = Worker(broker_url=own_broker.url, logfile=tmp_path / "worker.log", sweep_seconds=1)
    worker.start()
    try:
        agreement = world.agreement()
        submitted = world.submitted(agreement)
        own_broker.stop()

        started = time.monotonic()
        assessment = services.assessment_approve(assessment=submitted, actor=world.reviewer)
        assert time.monotonic() - started < 10  # the write does not hang on the broker
        assert assessment.status == "approved"
        assert DirtyAgreement.objects.filter(agreement=agreement).exists()
        time.sleep(2)
        assert not _agreement_shows(agreement, assessment)  # nothing could run it

        own_broker.start()
        _wait_for(lambda: _agreement_shows(agreement, assessment) and not DirtyAgreement.objects.exists(),
                  timeout=60, interval=0.2, worker=worker)
        assert scores_differences(scores_compute_in_python(), scores_stored()) == []
    finally:
        worker.stop()


def _backends_waiting_on_a_lock(cursor) -> list[int]:
    # Activity statistics are snapshotted once per transaction unless the snapshot is cleared.
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND pid <> pg_backend_pid()"
    )
    return [row[0] for row in cursor.fetchall()]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_full_recompute_then_rerunning_gives_an_uninterrupted_result(celery_worker):
    portfolio = build_portfolio(seed=31, agreements=30)
    aggregation.scores_full_recompute()
    rng = random.Random(31)
    for agreement in rng.sample([a for a in portfolio.agreements if a.assessments.exists()], 8):
        approve_new_assessment(agreement=agreement, rng=rng)  # the stored scores are now stale
    stale = scores_stored()

    def portfolio_computed_at():  # the newest of the per-team rows (a full run writes them all)
        return PortfolioScore.objects.aggregate(at=Max("computed_at"))["at"]

    before = portfolio_computed_at()

    # Hold a lock the full recompute needs half-way (the category stage), so it is caught mid-run.
    blocker = psycopg2.connect(dbname=connection.settings_dict["NAME"], user=connection.settings_dict["USER"],
                               host=connection.settings_dict["HOST"] or "127.0.0.1",
                               port=connection.settings_dict["PORT"] or 5432)
    try:
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE assessments_categoryscore IN ACCESS EXCLUSIVE MODE")
            tasks.scores_full_recompute.delay()
            _wait_for(lambda: _backends_waiting_on_a_lock(cursor), timeout=30, interval=0.1,
                      worker=celery_worker)
            stuck = _backends_waiting_on_a_lock(cursor)
            # Waiting for the category table, so the statements before it are done. (From pg_locks:
            # pg_stat_activity shows only the first kilobyte of a statement.)
            cursor.execute(
                "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'assessments_categoryscore'::regclass"
            )
            assert set(stuck) == {pid for (pid,) in cursor.fetchall()}
            celery_worker.kill()
            # A dead client's backend is reaped by TCP keepalive in production; here, at once.
            for pid in stuck:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        blocker.rollback()
    finally:
        blocker.close()

    assert scores_differences(stale, scores_stored()) == []  # the killed run left nothing behind
    assert portfolio_computed_at() == before

    celery_worker.start()
    tasks.scores_full_recompute.delay()
    _wait_for(lambda: portfolio_computed_at() != before, timeout=60, interval=0.2,
              worker=celery_worker)
    rerun = scores_stored()
    assert scores_differences(stale, rerun) != []

    aggregation.scores_full_recompute()  # an uninterrupted run, in-process
    assert scores_differences(scores_stored(), rerun) == []
    assert scores_differences(scores_compute_in_python(), rerun) == []

