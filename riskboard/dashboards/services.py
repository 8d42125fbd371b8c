"""Writes of the dashboards: refreshing each team's dashboard summary, and the summary of every
team (see ``selectors.summaries``).

``dashboard_summaries_refresh`` is rerunnable and cheap when nothing changed: it recomputes only
the summaries that are not current (a recompute touched the team, or any team for the summary of
every team, since; or they were computed on another day, or in another format). The worker of
the ``dashboards`` queue runs it after every recompute, and the beat once a minute; until it has,
dashboards compute from the stored scores, so a stale summary is never shown.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from assessments.choices import AgreementStatus
from assessments.models import Agreement, DashboardCellDate, DashboardSummary, EveryTeamDashboardSummary, Partner, Team

from . import selectors
from .filtersets import DEFAULTS, PERIODS, DashboardFilters
from .selectors.portfolio import cell_last_assessed, partner_rows_stored
from .selectors.summaries import KEEP_MOVERS, KEEP_REVIEWS, KEEP_TOP, SUMMARY_VERSION, tally_list
from .selectors.trends import Mover

logger = logging.getLogger(__name__)


def _team_filters(team_id: int | None, *, today: dt.date, period_days: int) -> DashboardFilters:
    """What a dashboard filtered to this team alone (None: of every team) counts (the defaults:
    active agreements)."""
    agreements = Agreement.objects.filter(status=AgreementStatus.ACTIVE)
    if team_id is not None:
        agreements = agreements.filter(owner_team_id=team_id)
    return DashboardFilters(
        user=None, filterset=None, agreements=agreements, team_ids=None if team_id is None else frozenset({team_id}),
        values={**DEFAULTS, "period": str(period_days)}, start=today - dt.timedelta(days=period_days), end=today,
    )


def _partner_names(ids: list[int]) -> dict[int, str]:
    return dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))


def _movers_rows(movers: list[Mover]) -> list[list]:
    return [[m.key, tally_list(m.before), tally_list(m.after)] for m in movers]


def team_summary(team_id: int, *, today: dt.date, rules) -> dict:
    """One team's summary, from the dashboard's selectors over its agreements alone."""
    filters = _team_filters(team_id, today=today, period_days=int(DEFAULTS["period"]))
    matrix = selectors.risk_matrix_counts(filters=filters, rules=rules)
    distribution = selectors.band_distribution(filters=filters)
    reviews = selectors.reviews_due(user=None, agreements=filters.agreements, limit=KEEP_REVIEWS, today=today)
    top = selectors.top_agreements(filters=filters, rules=rules, limit=KEEP_TOP)
    return {
        "version": SUMMARY_VERSION,
        "matrix": {side: [[likelihood, impact, n] for (likelihood, impact), n in sorted(matrix.side(side).items())]
                   for side in selectors.SIDES},
        "headline": list(distribution.headline),
        "portfolio": tally_list(selectors.portfolio_tally(filters=filters)),
        "worst": list(distribution.worst),
        "reviews": {"overdue": reviews.overdue, "due_soon": reviews.due_soon,
                    "rows": [[a.pk, a.next_review_date.isoformat()] for a in reviews.rows]},
        "top": [[row.score.agreement_id, row.score.score_c, row.change_c] for row in top],
        "partners": [row.partner_id for row in partner_rows_stored(filters=filters)],
        "movers": _movers_by_period(team_id, today=today, rules=rules),
    }


def _movers_by_period(team_id: int | None, *, today: dt.date, rules) -> dict:
    """The movers of the team (None: of every team) over each period the dashboard offers."""
    movers = {}
    for days, _ in PERIODS:
        found = selectors.dashboard_movers(
            filters=_team_filters(team_id, today=today, period_days=int(days)), rules=rules, limit=KEEP_MOVERS,
            partner_names=_partner_names,
        )
        movers[days] = {"since": found.since.isoformat() if found.since else None,
                        "partners": _movers_rows(found.partners), "categories": _movers_rows(found.categories)}
    return movers


def every_team_summary(*, today: dt.date, rules) -> dict:
    """What the dashboard of every team reads that each team's summary cannot give: the partners'
    heatmap order over every team, and the movers."""
    filters = _team_filters(None, today=today, period_days=int(DEFAULTS["period"]))
    return {
        "version": SUMMARY_VERSION,
        "partners": [row.partner_id for row in partner_rows_stored(filters=filters)],
        "movers": _movers_by_period(None, today=today, rules=rules),
    }


def _cell_dates_replace(team_id: int, *, today: dt.date) -> None:
    """Rewrite the team's heatmap cell dates in one statement (plus the delete)."""
    DashboardCellDate.objects.filter(team_id=team_id).delete()
    filters = _team_filters(team_id, today=today, period_days=int(DEFAULTS["period"]))
    sql, params = cell_last_assessed(filters=filters).query.sql_with_params()
    table = DashboardCellDate._meta.db_table
    # A table name from the model; values are parameters.
    insert = f"INSERT INTO {table} (team_id, partner_id, category_code, last_assessed) SELECT %s, q.* FROM ({sql}) q"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(insert, [team_id, *params])


def dashboard_summaries_refresh(*, team_ids=None, today: dt.date | None = None) -> int:
    """Recompute the summary of each team (of ``team_ids``; None: every team) that is not current.
    Returns how many were recomputed. Each team's is written in a transaction of its own."""
    today = today or timezone.localdate()
    teams = Team.objects.all() if team_ids is None else Team.objects.filter(pk__in=list(team_ids))
    # A row for every team first: a recompute that commits from now on bumps its generation.
    DashboardSummary.objects.bulk_create(
        [DashboardSummary(team_id=pk) for pk in teams.filter(dashboard_summary__isnull=True).values_list(
            "pk", flat=True)],
        ignore_conflicts=True,
    )
    candidates = [team_id for team_id, *state in _states(teams) if not _is_current(*state, today=today)]
    rules = selectors.scoring_rules()
    done = 0
    for team_id in candidates:
        with transaction.atomic():
            # One refresh of a team at a time: one that finds another at work skips the team (what
            # the other misses, the next refresh catches: the beat runs one every minute). The
            # team row's lock does not block recomputes, which only bump the summary row.
            if not list(Team.objects.select_for_update(no_key=True, skip_locked=True).filter(pk=team_id)
                        .values_list("pk", flat=True)):
                continue
            # The generation is read before the scores: whatever commits later leaves it stale.
            (_, generation, *state), = _states(Team.objects.filter(pk=team_id))
            if _is_current(generation, *state, today=today):
                continue
            data = team_summary(team_id, today=today, rules=rules)
            _cell_dates_replace(team_id, today=today)
            DashboardSummary.objects.filter(team_id=team_id).update(
                summarised_generation=generation, day=today, data=data, computed_at=timezone.now()
            )
            done += 1
    every = _every_team_refresh(today=today, rules=rules)
    if done or every:
        logger.info("Dashboard summaries refreshed: %d team(s)%s", done, ", and every team's" if every else "")
    return done


def _every_team_refresh(*, today: dt.date, rules) -> bool:
    """Recompute the summary of every team unless current; True when it was."""
    EveryTeamDashboardSummary.objects.get_or_create(pk=1)
    with transaction.atomic():
        # As a team's: one refresh at a time, the generations read before the scores.
        row = EveryTeamDashboardSummary.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if row is None:
            return False
        generations = {str(team_id): generation for team_id, generation, *_ in _states(Team.objects.all())}
        if row.day == today and row.generations == generations and (row.data or {}).get("version") == SUMMARY_VERSION:
            return False
        row.data, row.generations, row.day = every_team_summary(today=today, rules=rules), generations, today
        row.computed_at = timezone.now()
        row.save()
        return True


def _states(teams):
    """(team id, generation, summarised generation, day, data) of each of ``teams``' summaries."""
    return (DashboardSummary.objects.filter(team__in=teams).order_by("team_id")
            .values_list("team_id", "generation", "summarised_generation", "day", "data"))


def _is_current(generation, summarised, day, data, *, today: dt.date) -> bool:
    return summarised == generation and day == today and bool(data) and data.get("version") == SUMMARY_VERSION

