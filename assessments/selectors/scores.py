"""Reads of stored scores for pages and endpoints, each with its freshness.

Every read says when its numbers were computed (``computed_at``) and whether a recompute is
pending (``pending``: a dirty mark exists for an agreement the number depends on), so a page
never shows an aggregate without saying how fresh it is.

Partner, partner x category, category, portfolio and snapshot rows are stored per team. The
``scoped_*`` reads add up the rows of a set of teams (``team_ids``; None: every team), so that a
number shown to a user counts exactly the agreements of the teams that user may see
(``riskboard.permissions.visible_team_ids``). Keys are text: partner ids as text, category
codes, ``"portfolio"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from riskboard.permissions import Action

from .. import scoring
from ..models import (
    Agreement,
    AgreementScore,
    CategoryScore,
    DirtyAgreement,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
    ScoreLevel,
    ScoreSnapshot,
)
from ..models.aggregates import ScoreTally


@dataclass(frozen=True)
class Freshness:
    computed_at: dt.datetime | None
    pending: bool


def agreements_visible(*, user) -> QuerySet[Agreement]:
    return Agreement.objects.restrict(user, Action.VIEW)


def agreement_score_read(*, agreement: Agreement) -> tuple[AgreementScore | None, Freshness]:
    """The agreement's stored score and its freshness (two queries)."""
    score = AgreementScore.objects.select_related("assessment", "catalogue").filter(agreement=agreement).first()
    pending = DirtyAgreement.objects.filter(agreement=agreement).exists()
    return score, Freshness(score.computed_at if score else None, pending)


def scoped_freshness(
    *, team_ids: frozenset[int] | None, level: ScoreLevel, keys: Iterable[str] | None = None
) -> Freshness:
    """How fresh ``scoped_tallies`` of the same arguments is: the newest ``computed_at`` of the rows
    it sums, and whether a recompute is pending for an agreement of ``team_ids`` (owned now, or
    counted when last computed) that the number may depend on: of the partners ``keys`` at the
    partner level; any at the category and portfolio levels. Two queries."""
    computed_at = scoped_computed_at(team_ids=team_ids, level=level, keys=keys)
    if team_ids is not None and not team_ids:
        return Freshness(computed_at, False)
    marks = _pending_marks(team_ids)
    if ScoreLevel(level) == ScoreLevel.PARTNER and keys is not None:
        marks = marks.filter(agreement__partners__in=[int(k) for k in keys if str(k).isdigit()])
    return Freshness(computed_at, marks.exists())


def _pending_marks(team_ids: frozenset[int] | None) -> QuerySet[DirtyAgreement]:
    """Dirty marks of agreements of ``team_ids`` (owned now, or counted when last computed)."""
    marks = DirtyAgreement.objects.all()
    if team_ids is not None:
        teams = sorted(team_ids)
        marks = marks.filter(Q(agreement__owner_team_id__in=teams) | Q(agreement__score__counted_team_id__in=teams))
    return marks


def scoped_pending(*, team_ids: frozenset[int] | None) -> bool:
    """``scoped_freshness(...).pending`` at the category and portfolio levels, alone (one query)."""
    if team_ids is not None and not team_ids:
        return False
    return _pending_marks(team_ids).exists()


def scoped_pending_partners(*, team_ids: frozenset[int] | None, partner_ids: Iterable[int]) -> set[int]:
    """Those of ``partner_ids`` whose ``scoped_freshness(...).pending`` is true at the partner level,
    for a page of partners at once (one query; none when nothing can match)."""
    ids = sorted({int(p) for p in partner_ids})
    if not ids or (team_ids is not None and not team_ids):
        return set()
    marks = _pending_marks(team_ids).filter(agreement__partners__in=ids)
    return set(marks.values_list("agreement__partners", flat=True).distinct()) & set(ids)


# --- Scoped tallies: the stored per-team rows of a set of teams, added up -------------------------

PORTFOLIO_KEY = "portfolio"
_SUMMED = (*ScoreTally.TALLY_FIELDS, *ScoreTally.BAND_FIELDS, "fingerprint")
# level -> (model, key column)
_LEVELS = {
    ScoreLevel.PARTNER: (PartnerScore, "partner_id"),
    ScoreLevel.CATEGORY: (CategoryScore, "category_code"),
    ScoreLevel.PORTFOLIO: (PortfolioScore, None),
}


def tally_of_sums(row: dict) -> scoring.Tally:
    """A ``scoring.Tally`` from a row of summed stored columns (``_sums()``, as every scoped read sums them)."""
    return scoring.Tally(
        n=row["n"] or 0, score_sum_c=row["score_sum_c"] or 0, score_low_sum_c=row["score_low_sum_c"] or 0,
        score_high_sum_c=row["score_high_sum_c"] or 0, inherent_sum_c=row["inherent_sum_c"] or 0,
        band_counts=tuple(row[name] or 0 for name in ScoreTally.BAND_FIELDS),
        fingerprint=(row["fingerprint"] or 0) % scoring.FINGERPRINT_MODULUS,
    )


def _sums() -> dict:
    return {name: Sum(name) for name in _SUMMED}


def _in_teams(queryset: QuerySet, team_ids: frozenset[int] | None) -> QuerySet:
    return queryset if team_ids is None else queryset.filter(team_id__in=sorted(team_ids))


def _scoped_rows(*, team_ids, level, keys) -> QuerySet | None:
    """The stored rows of ``level`` for ``team_ids`` and ``keys``, as a queryset to group; None when
    nothing can match (no team, no key)."""
    if team_ids is not None and not team_ids:
        return None
    model, column = _LEVELS[ScoreLevel(level)]
    rows = _in_teams(model.objects.all(), team_ids)
    if keys is not None and column is not None:
        keys = sorted({str(k) for k in keys})
        if column == "partner_id":
            keys = [int(k) for k in keys if k.isdigit()]
        if not keys:
            return None
        rows = rows.filter(**{f"{column}__in": keys})
    return rows


def _empty(level) -> dict[str, scoring.Tally]:
    return {PORTFOLIO_KEY: scoring.Tally()} if ScoreLevel(level) == ScoreLevel.PORTFOLIO else {}


def scoped_tallies(
    *, team_ids: frozenset[int] | None, level: ScoreLevel, keys: Iterable[str] | None = None
) -> dict[str, scoring.Tally]:
    """The stored tallies of ``level`` summed over the rows of ``team_ids`` (None: every team), by
    key (partner ids as text, category codes; ``"portfolio"`` for the portfolio, always present,
    empty when nothing is counted). ``keys`` limits the keys read. Only keys counting something
    are present otherwise. One query (none for an empty team set)."""
    out = _empty(level)
    rows = _scoped_rows(team_ids=team_ids, level=level, keys=keys)
    if rows is None:
        return out
    column = _LEVELS[ScoreLevel(level)][1]
    if column is None:
        out[PORTFOLIO_KEY] = tally_of_sums(rows.aggregate(**_sums()))
        return out
    for row in rows.order_by().values(column).annotate(**_sums()):
        out[str(row[column])] = tally_of_sums(row)
    return out


def scoped_computed_at(
    *, team_ids: frozenset[int] | None, level: ScoreLevel, keys: Iterable[str] | None = None
) -> dt.datetime | None:
    """When the newest of the rows ``scoped_tallies`` sums was computed (None: no row). One query."""
    rows = _scoped_rows(team_ids=team_ids, level=level, keys=keys)
    return None if rows is None else rows.aggregate(at=Max("computed_at"))["at"]


def scoped_partner_tallies_named(
    *, team_ids: frozenset[int] | None, partner_ids: Iterable[int] | None = None
) -> list[tuple[int, str, scoring.Tally]]:
    """Every partner counting something for ``team_ids`` (None: every team): (id, name, tally
    summed over the teams); ``partner_ids`` limits the partners read. One query (none when
    nothing can match)."""
    if team_ids is not None and not team_ids:
        return []
    rows = _in_teams(PartnerScore.objects.all(), team_ids)
    if partner_ids is not None:
        partner_ids = sorted({int(p) for p in partner_ids})
        if not partner_ids:
            return []
        rows = rows.filter(partner_id__in=partner_ids)
    rows = rows.order_by().values("partner_id", "partner__name")
    return [(row["partner_id"], row["partner__name"], tally_of_sums(row)) for row in rows.annotate(**_sums())]


def scoped_partner_category_tallies(
    *, team_ids: frozenset[int] | None, partner_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], scoring.Tally]:
    """Partner x category tallies summed over ``team_ids`` (None: every team), by (partner id,
    category code); ``partner_ids`` limits the partners read. One query (none when nothing can match)."""
    if team_ids is not None and not team_ids:
        return {}
    rows = _in_teams(PartnerCategoryScore.objects.all(), team_ids)
    if partner_ids is not None:
        partner_ids = sorted({int(p) for p in partner_ids})
        if not partner_ids:
            return {}
        rows = rows.filter(partner_id__in=partner_ids)
    return {
        (row["partner_id"], row["category_code"]): tally_of_sums(row)
        for row in rows.order_by().values("partner_id", "category_code").annotate(**_sums())
    }


def scoped_tallies_as_of(
    *, team_ids: frozenset[int] | None, level: ScoreLevel, day: dt.date, keys: Iterable[str] | None = None
) -> dict[str, scoring.Tally]:
    """The tallies of ``level`` as they were on ``day``, summed over ``team_ids``: for each (key,
    team) the latest snapshot on or before ``day``; on or after today, the live stored rows
    (``scoped_tallies``). Same keys as ``scoped_tallies``. One query."""
    if day >= timezone.localdate():
        return scoped_tallies(team_ids=team_ids, level=level, keys=keys)
    out = _empty(level)
    snapshots = _snapshots_on(team_ids=team_ids, level=level, day=day, keys=keys)
    if snapshots is None:
        return out
    rows = snapshots.order_by().values("key").annotate(**_sums())
    for row in rows:
        tally = tally_of_sums(row)
        if tally.n or row["key"] == PORTFOLIO_KEY:
            out[row["key"]] = tally
    return out


def _snapshots_on(*, team_ids, level, day: dt.date, keys=None) -> QuerySet | None:
    """For each (key, team) of ``level`` and ``team_ids``, its latest snapshot on or before ``day``."""
    snapshots = _snapshot_rows(team_ids=team_ids, level=level, keys=keys)
    if snapshots is None:
        return None
    latest = ScoreSnapshot.objects.filter(
        level=OuterRef("level"), key=OuterRef("key"), team_id=OuterRef("team_id"), day__lte=day
    ).order_by("-day").values("day")[:1]
    return snapshots.filter(day__lte=day, day=Subquery(latest))


def scoped_tally_rows(*, team_ids: frozenset[int] | None, level: ScoreLevel, day: dt.date | None = None
                      ) -> tuple[QuerySet, str]:
    """The rows ``scoped_tallies`` (``day`` None, or today and later) or ``scoped_tallies_as_of``
    (a past ``day``) add up, grouped by key, as an unevaluated queryset to filter and page: each
    row holds the key column (returned with it: ``partner_id``, ``category_code``, or ``key`` for
    snapshots, where partner ids are text), the sums (``tally_of_sums(row)``) and ``computed``, the
    newest ``computed_at`` among the rows summed. Keys counting nothing are left out. Partner and
    category levels only."""
    level = ScoreLevel(level)
    if level == ScoreLevel.PORTFOLIO:
        raise ValueError("The portfolio is one row: use scoped_tallies or scoped_tallies_as_of.")
    if day is None or day >= timezone.localdate():
        model, column = _LEVELS[level]
        rows = _scoped_rows(team_ids=team_ids, level=level, keys=None)
    else:
        model, column = ScoreSnapshot, "key"
        rows = _snapshots_on(team_ids=team_ids, level=level, day=day)
    if rows is None:  # no team: the same shape, empty
        rows = model.objects.none()
    grouped = rows.order_by().values(column).annotate(**_sums(), computed=Max("computed_at")).filter(n__gt=0)
    return grouped, column


def scoped_computed_at_as_of(*, team_ids: frozenset[int] | None, level: ScoreLevel, day: dt.date
                             ) -> dt.datetime | None:
    """``scoped_computed_at`` as of ``day``: when the newest snapshot ``scoped_tallies_as_of`` sums
    was computed (the live rows' on or after today). One query."""
    if day >= timezone.localdate():
        return scoped_computed_at(team_ids=team_ids, level=level)
    rows = _snapshots_on(team_ids=team_ids, level=level, day=day)
    return None if rows is None else rows.aggregate(at=Max("computed_at"))["at"]


def _snapshot_rows(*, team_ids, level, keys) -> QuerySet | None:
    if team_ids is not None and not team_ids:
        return None
    rows = _in_teams(ScoreSnapshot.objects.filter(level=ScoreLevel(level)), team_ids)
    if keys is not None:
        keys = sorted({str(k) for k in keys})
        if not keys:
            return None
        rows = rows.filter(key__in=keys)
    return rows


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    n: int
    score: Decimal | None
    score_low: Decimal | None
    score_high: Decimal | None
    band_counts: tuple[int, ...]


def _point(day: dt.date, tally: scoring.Tally) -> TrendPoint:
    return TrendPoint(day, tally.n, tally.score, tally.score_low, tally.score_high, tally.band_counts)


def scoped_trend(*, team_ids: frozenset[int] | None, level: str, key: str, start: dt.date, end: dt.date,
                 live: scoring.Tally | None = None) -> list[TrendPoint]:
    """One point per day from ``start`` to ``end`` of a partner (key: its id), a category (its code) or
    the portfolio (``"portfolio"``), summed over ``team_ids`` (None: every team). Days between
    snapshots carry each team's last value forward; today, if in range, is the live value (``live``:
    the stored tally ``scoped_tallies`` gives, when the caller has read it already). Two queries
    (one when today is not in range or ``live`` is given)."""
    today = timezone.localdate()
    if not start <= today <= end:
        live = None
    elif live is None:
        live = scoped_tallies(team_ids=team_ids, level=level, keys=[key]).get(str(key), scoring.Tally())
    snapshots = _snapshot_rows(team_ids=team_ids, level=level, keys=[key])
    rows = []
    if snapshots is not None:
        # Only what the period needs: each team's latest row on or before ``start`` (its value on
        # the first day), and the rows after it; not the whole history before.
        latest = ScoreSnapshot.objects.filter(
            level=ScoreLevel(level), key=OuterRef("key"), team_id=OuterRef("team_id"), day__lte=start,
        ).order_by("-day").values("day")[:1]
        rows = list(snapshots.filter(Q(day__gt=start, day__lte=end) | Q(day=Subquery(latest)))
                    .order_by("day", "team_id").values_list("day", "team_id", *_SNAPSHOT_TALLY))
    points, by_team, index, day = [], {}, 0, start
    shown = None
    while day <= end:
        changed = False
        while index < len(rows) and rows[index][0] <= day:
            _, team_id, n, total, low, high, inherent, *rest = rows[index]
            by_team[team_id] = scoring.Tally(n, total, low, high, inherent, tuple(rest[:-1]), rest[-1])
            index += 1
            changed = True
        if changed or shown is None:
            shown = _point(day, scoring.tally_sum(by_team.values()))
        points.append(_point(day, live) if (live is not None and day == today) else TrendPoint(
            day, shown.n, shown.score, shown.score_low, shown.score_high, shown.band_counts))
        day += dt.timedelta(days=1)
    return points


_SNAPSHOT_TALLY = (*ScoreSnapshot.TALLY_FIELDS, *ScoreSnapshot.BAND_FIELDS, "fingerprint")


def scoped_changes(*, team_ids: frozenset[int] | None, level: str, start: dt.date, end: dt.date
                   ) -> dict[str, tuple[scoring.Tally, scoring.Tally]]:
    """Per key of ``level`` (partner ids as text, category codes): its tally on ``start`` and on
    ``end`` (the latest snapshot on or before each day; the live stored value for today), summed
    over ``team_ids`` (None: every team). Keys with nothing counted on both days are left out.
    Two queries."""
    if ScoreLevel(level) == ScoreLevel.PORTFOLIO:
        raise ValueError("Use scoped_trend for the portfolio.")
    at_start = scoped_tallies_as_of(team_ids=team_ids, level=level, day=start)
    at_end = scoped_tallies_as_of(team_ids=team_ids, level=level, day=end)
    out = {}
    for key in set(at_start) | set(at_end):
        before, after = at_start.get(key, scoring.Tally()), at_end.get(key, scoring.Tally())
        if before.n or after.n:
            out[key] = (before, after)
    return out


def history_start(*, team_ids: frozenset[int] | None = None) -> dt.date | None:
    """The first day a snapshot was recorded for ``team_ids`` (None: any team): before it there is
    no history to compare with."""
    if team_ids is not None and not team_ids:
        return None
    rows = _in_teams(ScoreSnapshot.objects.all(), team_ids)
    return rows.order_by("day").values_list("day", flat=True).first()
