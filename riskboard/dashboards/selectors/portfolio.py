"""The current state of the portfolio a user may see: heatmap, risk matrix, bands, top agreements.

Every function takes ``DashboardFilters`` (the user's visible agreements, filtered) and runs a
fixed number of queries whatever the portfolio's size; the numbers are summed in SQL.

Two paths give the partner and portfolio numbers. With no filter but the team
(``filters.team_only``) they are the stored per-team tallies of the teams in scope, added up (the
*stored path*: a few hundred rows read, whatever the portfolio's size); otherwise they are summed
on the fly from each counted agreement's stored score (the *filtered path*, ``scope``). Both add
the same integers (tests/dashboards check they agree).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, DateField, Max, QuerySet

from assessments import scoring
from assessments.aggregation.catalogue_rules import RATING_COLUMNS, CatalogueRules, confidence_widening, rating_levels
from assessments.choices import AssessmentStatus
from assessments.models import (
    AgreementScore,
    Assessment,
    DashboardCellDate,
    Partner,
    PartnerCategoryScore,
    PartnerScore,
    Rating,
    ScoreLevel,
)
from assessments.models.aggregates import ScoreTally
from assessments.models.querysets import COMPLETE_RATING
from assessments.selectors.scores import (
    scoped_partner_category_tallies,
    scoped_partner_tallies_named,
    scoped_tallies,
)

from ..filtersets import DashboardFilters
from .scope import (
    RANKS,
    ScoringRules,
    agreement_tally_aggregates,
    current_ratings,
    rating_tally_aggregates,
    scored_agreements,
    tally_from,
    worst_category_rank,
)

HEATMAP_PAGE_SIZE = 50


# --- Partner x category heatmap ----------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRow:
    """A partner's score over the agreements counted: each agreement once, by its stored score."""

    partner_id: int
    name: str
    tally: scoring.Tally
    last_assessed: dt.date | None


@dataclass(frozen=True)
class HeatCell:
    """One partner's ratings in one category: one rating per agreement counted."""

    partner_id: int
    code: str
    tally: scoring.Tally
    last_assessed: dt.date | None

    @property
    def agreements(self) -> int:
        return self.tally.n


@dataclass(frozen=True)
class Heatmap:
    rows: list[PartnerRow]  # this page's partners, highest score first
    categories: tuple[tuple[str, str], ...]  # (code, name) columns
    cells: dict[tuple[int, str], HeatCell]
    page: Page
    rules: ScoringRules

    def cell(self, partner_id: int, code: str) -> HeatCell | None:
        return self.cells.get((partner_id, code))

    @cached_property
    def bands(self) -> dict[tuple[int, str], object]:
        """The band of each cell's mean, by (partner id, code), worked out once for the table and
        the figure."""
        scale = self.rules.scale
        return {key: scale.band_of_mean(cell.tally) for key, cell in self.cells.items()}

    def grid(self, *, link) -> list[tuple[PartnerRow, list[tuple[str, HeatCell | None, object, str | None]]]]:
        """Rows for a table: each partner with ``(code, cell, band of its mean, link(partner id, code))``
        per column; no link where nothing is counted."""
        out = []
        for row in self.rows:
            cells = []
            for code, _ in self.categories:
                cell = self.cell(row.partner_id, code)
                if cell is None:
                    cells.append((code, None, None, None))
                else:
                    cells.append((code, cell, self.bands[(row.partner_id, code)], link(row.partner_id, code)))
            out.append((row, cells))
        return out


def _partner_links(
    scored: QuerySet[AgreementScore], filters: DashboardFilters, partner_ids: list[int] | None = None
) -> QuerySet[AgreementScore]:
    """One row per (agreement score, partner), the partner narrowed by the partner filters (and to
    ``partner_ids``). The lookups are in one ``filter()`` call, so they and the ``values()`` that
    follows share one join: the partner a row is grouped by is the partner that matched."""
    lookups: dict = {"agreement__partners__isnull": False}
    if filters.values.get("region"):
        lookups["agreement__partners__region"] = filters.values["region"]
    if filters.values.get("partner_kind"):
        lookups["agreement__partners__kind"] = filters.values["partner_kind"]
    if partner_ids is not None:
        lookups["agreement__partners__in"] = partner_ids
    return scored.filter(**lookups)


def partner_rows(*, filters: DashboardFilters, partner_ids: list[int] | None = None) -> list[PartnerRow]:
    """Every partner of the counted agreements with its tally, highest mean score first, then by
    name (one query). ``partner_ids`` limits it to those partners."""
    links = _partner_links(scored_agreements(filters=filters), filters, partner_ids)
    rows = (
        links.values("agreement__partners__id", "agreement__partners__name")
        .annotate(**agreement_tally_aggregates(), last_assessed=Max("assessment__as_of"))
        .order_by()
    )
    return _sorted_rows([
        PartnerRow(row["agreement__partners__id"], row["agreement__partners__name"], tally_from(row),
                   row["last_assessed"])
        for row in rows
    ])


def _sorted_rows(rows: list[PartnerRow]) -> list[PartnerRow]:
    # Sorted by the mean as shown (rounded), so the order matches the numbers on the page.
    rows.sort(key=lambda r: (-(scoring.mean_centi(r.tally.score_sum_c, r.tally.n) or 0), r.name, r.partner_id))
    return rows


def _unfingerprinted(tally: scoring.Tally) -> scoring.Tally:
    """The filtered path has no fingerprint (pages do not show it): the stored path drops it too."""
    return replace(tally, fingerprint=0) if tally.fingerprint else tally


def partner_rows_stored(*, filters: DashboardFilters) -> list[PartnerRow]:
    """``partner_rows`` from the stored per-team partner tallies of ``filters.team_ids`` (valid when
    ``filters.team_only``), without ``last_assessed`` (None). One query."""
    return _sorted_rows([
        PartnerRow(pk, name, _unfingerprinted(tally), None)
        for pk, name, tally in scoped_partner_tallies_named(team_ids=filters.team_ids)
    ])


def partner_category_cells(
    *, filters: DashboardFilters, rules: ScoringRules, partner_ids: list[int]
) -> dict[tuple[int, str], HeatCell]:
    """The tallies of ``partner_ids`` x category over the counted agreements' current ratings (one query)."""
    if not partner_ids:
        return {}
    rows = (
        current_ratings(filters=filters).filter(assessment__agreement__partners__in=partner_ids)
        .values("assessment__agreement__partners", "category__code")
        .annotate(**rating_tally_aggregates(rules.by_catalogue), last_assessed=Max("assessment__as_of"))
        .order_by()
    )
    out = {}
    for row in rows:
        key = (row["assessment__agreement__partners"], row["category__code"])
        out[key] = HeatCell(*key, tally_from(row), row["last_assessed"])
    return out


def cell_last_assessed(*, filters: DashboardFilters, partner_ids: list[int] | None = None) -> QuerySet:
    """(partner id, category code, latest ``as_of``) of the counted agreements' current ratings,
    per heatmap cell; ``partner_ids`` limits the partners (one query)."""
    ratings = current_ratings(filters=filters)
    # The partner the rows are grouped by is the one this filter joined (as in ``_partner_links``).
    ratings = (ratings.filter(assessment__agreement__partners__isnull=False) if partner_ids is None
               else ratings.filter(assessment__agreement__partners__in=partner_ids))
    return ratings.values_list("assessment__agreement__partners", "category__code").annotate(
        last_assessed=Max("assessment__as_of")).order_by()


def partner_category_cells_stored(
    *, filters: DashboardFilters, partner_ids: list[int], dates_kept: bool = False
) -> dict[tuple[int, str], HeatCell]:
    """``partner_category_cells`` from the stored per-team partner x category tallies of
    ``filters.team_ids`` (valid when ``filters.team_only``), each cell's last assessment read from
    the counted agreements' current ratings (two queries; the tallies' twelve-aggregate SQL is not
    built), or, when ``dates_kept`` (the teams' dashboard summaries are current), from the dates
    kept with them (``DashboardCellDate``, in the same query)."""
    if not partner_ids:
        return {}
    if dates_kept:
        return _stored_cells_with_dates(team_ids=filters.team_ids, partner_ids=partner_ids)
    tallies = scoped_partner_category_tallies(team_ids=filters.team_ids, partner_ids=partner_ids)
    last = {(partner_id, code): day
            for partner_id, code, day in cell_last_assessed(filters=filters, partner_ids=partner_ids)}
    return {key: HeatCell(*key, _unfingerprinted(tally), last.get(key)) for key, tally in tallies.items()}


# The page's few hundred stored rows, read by key in plain SQL and added up per key in Python: a
# dashboard request reads them every time, and building the ORM's queries cost more than running them.
_TALLY_SQL_COLUMNS = ", ".join(f"s.{c}" for c in (*ScoreTally.TALLY_FIELDS, *ScoreTally.BAND_FIELDS))


def _keyed_rows(sql: str, *, team_ids: frozenset[int] | None, partner_ids: list[int]) -> list[tuple]:
    """Run ``sql``, whose ``{where_s}`` and ``{where_d}`` stand for the condition "among
    ``partner_ids`` and ``team_ids``" on the tables aliased ``s`` and ``d``."""
    ids, teams = sorted(set(partner_ids)), sorted(team_ids or ())
    if team_ids is not None and not teams:
        return []

    def where(alias: str) -> str:
        text = f"{alias}.partner_id IN ({', '.join(['%s'] * len(ids))})"
        return text + (f" AND {alias}.team_id IN ({', '.join(['%s'] * len(teams))})" if team_ids is not None else "")

    params = [*ids, *teams]
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where_s=where("s"), where_d=where("d")), params * sql.count("{where_"))
        return cursor.fetchall()


def _add_up(rows, width: int) -> dict:
    """``{key: (Tally, *extra)}`` from rows of (key columns, tally columns, extra columns)."""
    size = len(ScoreTally.TALLY_FIELDS) + len(ScoreTally.BAND_FIELDS)
    sums: dict = {}
    extras: dict = {}
    for row in rows:
        key = row[0] if width == 1 else row[:width]
        values, extra = row[width:width + size], row[width + size:]
        held = sums.get(key)
        sums[key] = values if held is None else tuple(map(operator.add, held, values))
        extras[key] = extra if key not in extras else tuple(map(_later, extras[key], extra))
    return {key: (scoring.Tally(v[0], v[1], v[2], v[3], v[4], tuple(v[5:]), 0), *extras[key])
            for key, v in sums.items()}


def _later(a, b):
    """The later of two dates (either may be None); other extra values are the same per key."""
    if a is None or b is None or not isinstance(a, dt.date):
        return a if b is None else b
    return max(a, b)


def _stored_cells_with_dates(*, team_ids: frozenset[int] | None, partner_ids: list[int]
                             ) -> dict[tuple[int, str], HeatCell]:
    """The stored partner x category tallies of ``partner_ids`` over ``team_ids`` (None: every
    team), with each cell's kept last-assessed date (the latest over the teams). One query."""
    rows = _keyed_rows(
        # The dates are narrowed to the page before the join, so that their index is used.
        f"SELECT s.partner_id, s.category_code, {_TALLY_SQL_COLUMNS}, d.last_assessed "  # noqa: S608 (names from models)
        f"FROM {PartnerCategoryScore._meta.db_table} s LEFT JOIN (SELECT * FROM {DashboardCellDate._meta.db_table} d "
        "WHERE {where_d}) d ON d.team_id = s.team_id AND d.partner_id = s.partner_id "
        "AND d.category_code = s.category_code WHERE {where_s}",
        team_ids=team_ids, partner_ids=partner_ids,
    )
    as_date = DateField().to_python  # SQLite answers text
    rows = [(*row[:-1], as_date(row[-1])) for row in rows]
    return {key: HeatCell(*key, tally, day) for key, (tally, day) in _add_up(rows, 2).items()}


def _page_partner_rows(*, filters: DashboardFilters, partner_ids: list[int]) -> dict[int, PartnerRow]:
    """The stored partner tallies of ``partner_ids`` over the scope's teams, by id (one query)."""
    if not partner_ids:
        return {}
    rows = _keyed_rows(
        f"SELECT s.partner_id, {_TALLY_SQL_COLUMNS}, p.name FROM {PartnerScore._meta.db_table} s "  # noqa: S608
        f"JOIN {Partner._meta.db_table} p ON p.id = s.partner_id WHERE {{where_s}}",
        team_ids=filters.team_ids, partner_ids=partner_ids,
    )
    return {pk: PartnerRow(pk, name, tally, None) for pk, (tally, name) in _add_up(rows, 1).items()}


def partner_heatmap(
    *, filters: DashboardFilters, rules: ScoringRules, page: int | str | None = 1, per_page: int = HEATMAP_PAGE_SIZE,
    order: list[int] | None = None, dates_kept: bool = False,
) -> Heatmap:
    """The partner x category heatmap: partners by score, ``per_page`` to a page (two queries; three
    on the stored path). The partners' order and scores, and the cells' tallies, come from the
    stored path when only the team is filtered.

    ``order`` (stored path only): every partner's id in heatmap order, already known (a team's
    dashboard summary); then only the page's partners are read. ``dates_kept``: the cells'
    last-assessed dates are kept with the summaries (``partner_category_cells_stored``)."""
    stored = filters.team_only
    if stored and order is not None:
        paginator = Paginator(order, per_page, allow_empty_first_page=True)
        page_obj = paginator.get_page(page)
        by_id = _page_partner_rows(filters=filters, partner_ids=list(page_obj.object_list))
        rows = [by_id[pk] for pk in page_obj.object_list if pk in by_id]
    else:
        all_rows = partner_rows_stored(filters=filters) if stored else partner_rows(filters=filters)
        paginator = Paginator(all_rows, per_page, allow_empty_first_page=True)
        page_obj = paginator.get_page(page)
        rows = list(page_obj.object_list)
    ids = [r.partner_id for r in rows]
    cells = (partner_category_cells_stored(filters=filters, partner_ids=ids, dates_kept=dates_kept) if stored
             else partner_category_cells(filters=filters, rules=rules, partner_ids=ids))
    if stored:
        # A partner's last assessment is its cells' latest: every counted agreement has a complete
        # rating in some category (an assessment without one is not scored).
        last: dict[int, dt.date] = {}
        for (partner_id, _code), cell in cells.items():
            if cell.last_assessed and (partner_id not in last or cell.last_assessed > last[partner_id]):
                last[partner_id] = cell.last_assessed
        rows = [replace(row, last_assessed=last.get(row.partner_id)) for row in rows]
    codes_used = {code for _, code in cells}
    categories = tuple((code, name) for code, name in rules.categories if code in codes_used) or tuple(
        rules.categories
    )
    return Heatmap(rows=rows, categories=categories, cells=cells, page=page_obj, rules=rules)


def heatmap_cell_ratings(*, filters: DashboardFilters, partner: Partner, code: str) -> list[Rating]:
    """The ratings behind one heatmap cell, highest residual first: each with its assessment, its
    agreement and the agreement's stored score (``rating.agreement_score``); two queries."""
    scores = {s.assessment_id: s for s in scored_agreements(filters=filters).filter(agreement__partners=partner)}
    ratings = list(
        Rating.objects.filter(assessment_id__in=list(scores), category__code=code)
        .filter(residual_likelihood__isnull=False, residual_impact__isnull=False,
                inherent_likelihood__isnull=False, inherent_impact__isnull=False)
        .select_related("category", "assessment__agreement__owner_team")
    )
    for rating in ratings:
        rating.agreement_score = scores[rating.assessment_id]
    ratings.sort(key=lambda r: (-r.residual_likelihood * r.residual_impact, r.assessment.agreement.reference))
    return ratings


# --- Likelihood x impact matrix -----------------------------------------------------------------

SIDES = ("inherent", "residual")


@dataclass(frozen=True)
class MatrixCounts:
    """Ratings per (likelihood, impact) cell, before (inherent) and after (residual) safeguards."""

    inherent: dict[tuple[int, int], int]
    residual: dict[tuple[int, int], int]
    rules: ScoringRules

    @property
    def total(self) -> int:
        return sum(self.residual.values())

    def side(self, name: str) -> dict[tuple[int, int], int]:
        return self.inherent if name == "inherent" else self.residual


def risk_matrix_counts(*, filters: DashboardFilters, rules: ScoringRules) -> MatrixCounts:
    """Counts of the counted agreements' current ratings per matrix cell, on both sides: one scan of
    the ratings, grouped by all four levels (at most 625 groups), then summed per side."""
    levels = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
    out: dict[str, dict[tuple[int, int], int]] = {side: {} for side in SIDES}
    for il, ii, rl, ri, n in current_ratings(filters=filters).order_by().values_list(*levels).annotate(
        n=Count("pk")
    ):
        out["inherent"][(il, ii)] = out["inherent"].get((il, ii), 0) + n
        out["residual"][(rl, ri)] = out["residual"].get((rl, ri), 0) + n
    return MatrixCounts(out["inherent"], out["residual"], rules)


def matrix_cell_ratings(*, filters: DashboardFilters, side: str, likelihood: int, impact: int) -> QuerySet[Rating]:
    """The ratings in one matrix cell, by agreement then category, for a paginated list."""
    return (
        current_ratings(filters=filters)
        .filter(**{f"{side}_likelihood": likelihood, f"{side}_impact": impact})
        .select_related("category", "assessment__agreement__owner_team")
        .order_by("assessment__agreement__reference", "category__display_order", "category__code", "pk")
    )


# --- Bands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandDistribution:
    """Agreements per band: by headline band (what partner and portfolio scores count) and by the
    worst band among their categories."""

    headline: tuple[int, ...]
    worst: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.headline)


def band_distribution(*, filters: DashboardFilters) -> BandDistribution:
    """Counted agreements per headline band and per worst category band (one query: grouped by the
    pair, at most 7 x 7 groups, then summed per side; one CASE per row rather than twelve sums of
    one each, which cost more to build than to run)."""
    headline, worst = [0] * len(RANKS), [0] * len(RANKS)
    rows = scored_agreements(filters=filters).order_by().values_list("band_rank", worst_category_rank()).annotate(
        n=Count("pk"))
    for band_rank, worst_rank, n in rows:
        if band_rank in RANKS:
            headline[band_rank - 1] += n
        if worst_rank in RANKS:
            worst[worst_rank - 1] += n
    return BandDistribution(headline=tuple(headline), worst=tuple(worst))


def portfolio_tally(*, filters: DashboardFilters) -> scoring.Tally:
    """The counted agreements' tally: each once, by its stored score and headline band (one query):
    the stored per-team portfolio rows when only the team is filtered, else summed on the fly."""
    if filters.team_only:
        return _unfingerprinted(scoped_tallies(team_ids=filters.team_ids, level=ScoreLevel.PORTFOLIO)["portfolio"])
    return tally_from(scored_agreements(filters=filters).aggregate(**agreement_tally_aggregates()))


# --- Top agreements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierAssessment:
    pk: int
    as_of: dt.date
    catalogue_id: int


@dataclass
class TopAgreement:
    score: AgreementScore  # with .agreement and .assessment
    previous: EarlierAssessment | None = None  # the approved assessment before the current one
    previous_result: scoring.AgreementResult | None = None
    known_change_c: int | None = None  # the change, already known (a team's dashboard summary)
    change_known: bool = False

    @property
    def change_c(self) -> int | None:
        """Change of the score since the previous approved assessment, in hundredths."""
        if self.change_known:
            return self.known_change_c
        if self.previous_result is None:
            return None
        return self.score.score_c - self.previous_result.score_c


TOP_ORDER = ("-score_c", "agreement__reference")


def top_agreements(
    *, filters: DashboardFilters, rules: ScoringRules, limit: int = 10, agreement_ids: list[int] | None = None,
    changes: Mapping[int, int | None] | None = None,
) -> list[TopAgreement]:
    """The ``limit`` counted agreements with the highest residual score, each with the score of
    its previous approved assessment, scored now by the same rules (three queries).
    ``agreement_ids``: the candidates, already known (from the teams' dashboard summaries); the
    ``limit`` highest of them are read by key, whatever the portfolio's size. ``changes``: their
    change since the previous assessment, already known too (then one query)."""
    chosen = (scored_agreements(filters=filters) if agreement_ids is None
              # (read even when there is no candidate, no id being 0: the same queries whatever the data)
              else AgreementScore.objects.filter(agreement_id__in=agreement_ids or [0]))
    scores = list(chosen.select_related("agreement", "assessment").order_by(*TOP_ORDER)[:limit])
    if changes is not None:
        return [TopAgreement(score, known_change_c=changes.get(score.agreement_id), change_known=True)
                for score in scores]
    rows = [TopAgreement(score) for score in scores]
    if not rows:
        return rows
    by_agreement = {row.score.agreement_id: row for row in rows}
    earlier = (
        Assessment.objects.filter(agreement_id__in=list(by_agreement), status=AssessmentStatus.APPROVED)
        .exclude(pk__in=[row.score.assessment_id for row in rows])
        .order_by("agreement_id", "-approved_at", "-id")
        .values_list("pk", "agreement_id", "approved_at", "as_of", "catalogue_id")
    )
    for pk, agreement_id, approved_at, as_of, catalogue_id in earlier:
        row = by_agreement[agreement_id]
        # The latest approved before the current one: approved earlier, or at the same time with a lower id.
        current = row.score.assessment
        if row.previous is None and (approved_at, pk) < (current.approved_at, current.pk):
            row.previous = EarlierAssessment(pk, as_of, catalogue_id)
    previous = {row.previous.pk: row for row in rows if row.previous}
    ratings: dict[int, list[tuple]] = {}
    for assessment_id, *values in Rating.objects.filter(COMPLETE_RATING, assessment_id__in=list(previous)).values_list(
        "assessment_id", *RATING_COLUMNS
    ):
        ratings.setdefault(assessment_id, []).append(tuple(values))
    for assessment_id, row in previous.items():
        row.previous_result = ratings_result(
            catalogue_id=row.previous.catalogue_id, rows=ratings.get(assessment_id, []), rules=rules.by_catalogue
        )
    return rows


def ratings_result(*, catalogue_id: int, rows, rules: Mapping[int, CatalogueRules]) -> scoring.AgreementResult | None:
    """The score of complete ratings (their values of ``RATING_COLUMNS``) by their catalogue's rules."""
    catalogue = rules.get(catalogue_id)
    if catalogue is None:
        return None
    levels = [rating_levels(row, categories=catalogue.categories) for row in rows]
    return scoring.agreement_score(levels, matrix=catalogue.matrix, rollup=catalogue.rollup,
                                   widening=confidence_widening())


def assessment_result(*, assessment: Assessment, rules: Mapping[int, CatalogueRules]) -> scoring.AgreementResult | None:
    """An assessment's score by its catalogue's rules, from its prefetched ratings (no query)."""
    rows = [tuple(getattr(rating, column) for column in RATING_COLUMNS)
            for rating in assessment.ratings.all() if rating.is_complete]
    return ratings_result(catalogue_id=assessment.catalogue_id, rows=rows, rules=rules)
