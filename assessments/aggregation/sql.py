"""SQL shared by the full recompute, written once for PostgreSQL and SQLite.

Only a few constructs differ between the two (``Dialect``): picking the latest approved
assessment per agreement (``DISTINCT ON`` against a window function), ``GREATEST`` against
multi-argument ``MAX``, and temporary tables. All arithmetic is on integers, so both databases
produce the same numbers as ``assessments.scoring``. Every query is run with a parameter list
(possibly empty), so a literal ``%`` is written ``%%``.
"""

# SQL here is assembled from model table names and constants only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from django.conf import settings

from catalogue.models import SCALE_MAX, SCALE_MIN, Band, MatrixCell

from .. import scoring
from ..choices import AgreementStatus, AssessmentStatus
from ..models import (
    Agreement,
    AgreementScore,
    Assessment,
    CategoryScore,
    DashboardSummary,
    DirtyAgreement,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
    Rating,
    ScoresLock,
    ScoreSnapshot,
    Team,
)
from ..models.querysets import LATEST_APPROVED_FIRST
from ..rules import LEVEL_FIELDS
from .catalogue_rules import CatalogueRules
from .prepared import execute_prepared

P = scoring.FINGERPRINT_MODULUS
# Category codes are written into SQL as literals: only codes catalogue validation allows.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*")
RANKS = range(1, scoring.MAX_BAND_RANK + 1)
BAND_COLUMNS = ", ".join(f"band_{k}" for k in RANKS)
TALLY_COLUMNS = f"n, score_sum_c, score_low_sum_c, score_high_sum_c, inherent_sum_c, {BAND_COLUMNS}, fingerprint"
TALLY_COLUMN_LIST = [c.strip() for c in TALLY_COLUMNS.split(",")]


class T:
    """Table names, read from the models."""

    agreement = Agreement._meta.db_table
    agreement_partners = Agreement.partners.through._meta.db_table
    assessment = Assessment._meta.db_table
    rating = Rating._meta.db_table
    cell = MatrixCell._meta.db_table
    band = Band._meta.db_table
    agreement_score = AgreementScore._meta.db_table
    partner_score = PartnerScore._meta.db_table
    partner_category_score = PartnerCategoryScore._meta.db_table
    category_score = CategoryScore._meta.db_table
    portfolio_score = PortfolioScore._meta.db_table
    snapshot = ScoreSnapshot._meta.db_table
    scores_lock = ScoresLock._meta.db_table
    dirty = DirtyAgreement._meta.db_table
    dashboard_summary = DashboardSummary._meta.db_table
    team = Team._meta.db_table


def mix(expr: str) -> str:
    """SQL for ``scoring.numbers._mix(expr)``; ``expr`` must be a non-negative integer expression.

    Written ``x * ((x * M + 1) mod P) + 1`` (the same value mod P) so that ``expr`` appears twice,
    not three times: the planner repeats an expression wherever it is referenced.
    """
    x = f"(CAST({expr} AS BIGINT) %% {P})"
    return f"({x} * (({x} * {scoring.MIX_MULTIPLIER} + 1) %% {P}) + 1) %% {P}"


def complete_rating(alias: str) -> str:
    """SQL: rating ``alias`` has every level set (``rules.is_complete``, ``Rating.objects.complete()``)."""
    return " AND ".join(f"{alias}.{name} IS NOT NULL" for name in LEVEL_FIELDS)


def grid_rank(grid: str, likelihood: str, impact: str, *, array: bool = False) -> str:
    """SQL: the band rank of the levels ``likelihood`` and ``impact`` (SQL expressions) in ``grid``,
    an SQL expression holding a catalogue's ``scoring.Matrix.grid()`` as text (read with SUBSTR)
    or, with ``array``, as an INTEGER[] (``grid_array``, PostgreSQL). The lookup of
    ``scoring.Matrix.band``, read from the grid rather than joined from the cell table: three joins
    on (catalogue, likelihood, impact) per rating mislead the planner badly."""
    size = SCALE_MAX - SCALE_MIN + 1
    position = f"(({likelihood}) - {SCALE_MIN}) * {size} + ({impact}) - {SCALE_MIN} + 1"
    return f"({grid})[{position}]" if array else f"CAST(SUBSTR({grid}, {position}, 1) AS INTEGER)"


def grid_text(matrix: scoring.Matrix) -> str:
    """SQL: ``matrix.grid()`` as a text literal, for ``grid_rank``."""
    return f"'{matrix.grid()}'"


def grid_array(matrix: scoring.Matrix) -> str:
    """SQL: ``matrix.grid()`` as an INTEGER[] literal, for ``grid_rank(..., array=True)`` (PostgreSQL)."""
    return f"'{{{','.join(matrix.grid())}}}'::INTEGER[]"


def order_by(model, ordering: Sequence[str], *, alias: str) -> str:
    """SQL ``ORDER BY`` terms of a Django ordering of ``model`` (``"-approved_at"`` is
    ``<alias>.approved_at DESC``), so that SQL and the ORM order by one definition."""
    return ", ".join(
        f"{alias}.{model._meta.get_field(name.lstrip('-')).column} {'DESC' if name.startswith('-') else 'ASC'}"
        for name in ordering
    )


def band_count_sums(rank_column: str, prefix: str | None = "band_") -> str:
    """``SUM(CASE WHEN rank = k ...)`` for every band rank, aliased ``<prefix><k>`` unless prefix is None."""
    return ", ".join(
        f"SUM(CASE WHEN {rank_column} = {k} THEN 1 ELSE 0 END)" + (f" AS {prefix}{k}" if prefix else "")
        for k in RANKS
    )


def session_settings(cursor, vendor: str) -> None:
    """Settings of the current transaction for set-based aggregation (the benchmark's SQL floor uses
    them too): sorts and hashes of a few hundred thousand rows stay in memory, and no JIT
    compilation, which costs more than it saves on statements that run for well under a second."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [settings.RISKBOARD_SCORES_WORK_MEM],
        )


class Dialect:
    def __init__(self, connection):
        self.vendor = connection.vendor
        if self.vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"Score aggregation supports PostgreSQL and SQLite, not {self.vendor}.")

    @property
    def postgres(self) -> bool:
        return self.vendor == "postgresql"

    def greatest(self, *args: str) -> str:
        return f"{'GREATEST' if self.postgres else 'MAX'}({', '.join(args)})"

    def least(self, *args: str) -> str:
        return f"{'LEAST' if self.postgres else 'MIN'}({', '.join(args)})"

    def latest_approved(self, *, status: str, where: str = "", columns: Mapping[str, str] | None = None) -> str:
        """``(assessment_id, agreement_id, catalogue_id, *columns)`` of each agreement's latest approved
        assessment ``s``: the first in ``LATEST_APPROVED_FIRST`` order (as the ORM's
        ``approved_latest_first``) among those whose status is ``status`` (SQL: the approved status
        as a literal or a parameter) and that meet ``where``. ``columns``: more, by name."""
        order = order_by(Assessment, LATEST_APPROVED_FIRST, alias="s")
        more = "".join(f", {expression} AS {name}" for name, expression in (columns or {}).items())
        where = f"{where} AND " if where else ""
        if self.postgres:
            return (
                f"SELECT DISTINCT ON (s.agreement_id) s.id AS assessment_id, s.agreement_id, s.catalogue_id{more} "
                f"FROM {T.assessment} s WHERE {where}s.status = {status} ORDER BY s.agreement_id, {order}"
            )
        names = "".join(f", {name}" for name in columns or {})
        return (
            f"SELECT assessment_id, agreement_id, catalogue_id{names} FROM ("
            f"SELECT s.id AS assessment_id, s.agreement_id, s.catalogue_id{more}, ROW_NUMBER() OVER ("
            f"PARTITION BY s.agreement_id ORDER BY {order}) AS position "
            f"FROM {T.assessment} s WHERE {where}s.status = {status}) ranked WHERE position = 1"
        )

    def create_temp(self, name: str, select: str) -> str:
        # PostgreSQL drops it at commit anyway; both drop it explicitly when done (see drop_temp).
        return f"CREATE TEMPORARY TABLE {name} AS {select}"

    def drop_temp(self, name: str) -> str:
        return f"DROP TABLE IF EXISTS {'pg_temp.' if self.postgres else 'temp.'}{name}"

    # --- Stage 1: the current ratings ------------------------------------------------------------

    def current_ratings(self, widening: Mapping[str, int], rules: Mapping[int, CatalogueRules]) -> str:
        """One row per complete rating of each agreement's latest approved assessment, scored.

        Columns: agreement_id, assessment_id, catalogue_id, active, team_id (the owner team), rating_id,
        category_code,
        weight (hundredths), inherent, residual, residual_low, residual_high (scores 1..25),
        rank, rank_low, rank_high, h1 (rating hash), h2 (weighted rating hash).

        Band ranks are read from the matrix grid (``grid_rank``).
        """
        cases = " ".join(f"WHEN '{conf}' THEN {int(levels)}" for conf, levels in sorted(widening.items()))
        w = f"(CASE r.confidence {cases} ELSE 0 END)" if cases else "0"
        lo_l = self.greatest(f"r.residual_likelihood - {w}", str(SCALE_MIN))
        lo_i = self.greatest(f"r.residual_impact - {w}", str(SCALE_MIN))
        hi_l = self.least(f"r.residual_likelihood + {w}", str(SCALE_MAX))
        hi_i = self.least(f"r.residual_impact + {w}", str(SCALE_MAX))

        def rank(likelihood: str, impact: str) -> str:
            return grid_rank("l.grid", likelihood, impact)

        active = AgreementStatus.ACTIVE.value
        inner = f"""
            SELECT l.agreement_id, l.assessment_id, l.catalogue_id,
                   (a.status = '{active}') AS active, a.owner_team_id AS team_id,
                   r.id AS rating_id, c.code AS category_code, c.weight,
                   r.inherent_likelihood * r.inherent_impact AS inherent,
                   r.residual_likelihood * r.residual_impact AS residual,
                   ({lo_l}) * ({lo_i}) AS residual_low,
                   ({hi_l}) * ({hi_i}) AS residual_high,
                   {rank("r.residual_likelihood", "r.residual_impact")} AS rank,
                   {rank(lo_l, lo_i)} AS rank_low,
                   {rank(hi_l, hi_i)} AS rank_high,
                   CAST({mix("r.id")} AS INTEGER) AS h1
            FROM latest l
            JOIN {T.agreement} a ON a.id = l.agreement_id
            JOIN {T.rating} r ON r.assessment_id = l.assessment_id
            JOIN ({self._categories(rules)}) c ON c.id = r.category_id
            WHERE {complete_rating("r")}
        """
        return f"""
            WITH latest AS ({self.latest_approved(status=f"'{AssessmentStatus.APPROVED.value}'",
                                                  columns={"grid": self._grids(rules)})})
            SELECT x.*, CAST({mix("x.h1 + x.weight")} AS INTEGER) AS h2 FROM ({inner}) x
        """

    @staticmethod
    def _grids(rules: Mapping[int, CatalogueRules]) -> str:
        """SQL: the matrix grid (``scoring.Matrix.grid``) of assessment ``s``'s catalogue."""
        grids = " ".join(f"WHEN {int(cid)} THEN {grid_text(r.matrix)}" for cid, r in sorted(rules.items()))
        return f"CASE s.catalogue_id {grids} END" if grids else "CAST(NULL AS VARCHAR(64))"

    @staticmethod
    def _categories(rules: Mapping[int, CatalogueRules]) -> str:
        """The categories in use as literal rows ``(id, code, weight)``, the weight in hundredths: the
        data the rules were read with, and no decimal arithmetic per rating."""
        rows = [
            f"SELECT {int(cid)} AS id, '{code}' AS code, {int(weight)} AS weight"
            for r in rules.values() for cid, (code, weight) in sorted(r.categories.items())
            if CODE_PATTERN.fullmatch(code)
        ]
        return " UNION ALL ".join(rows) or "SELECT 0 AS id, '' AS code, 0 AS weight"

    # --- Stage 2: agreements ---------------------------------------------------------------------

    @staticmethod
    def rule_ranks(rules: Mapping[int, CatalogueRules]) -> list[int]:
        return sorted({rule.band_rank for r in rules.values() for rule in r.rollup.rules})

    def _rollup_band(self, rules: Mapping[int, CatalogueRules], wsum: str, worst: str, variant: str) -> str:
        """The roll-up (headline) band of one agreement row ``g``, as ``scoring.Rollup.band`` computes
        it, with each catalogue's method, thresholds and count rules (floors) written in as data. ``variant`` is ""
        for the residual band, "l" or "h" for the ends of its confidence range."""

        def count_at_or_above(rank: int) -> str:
            if not variant:  # the stored band counts
                return "(" + " + ".join(f"g.b{k}" for k in RANKS if k >= rank) + ")"
            return f"g.{variant}ge{rank}"

        branches = []
        for cid, r in sorted(rules.items()):
            # The base band (Rollup.base_band), then every rule as a floor (Rollup.band).
            if r.rollup.method == scoring.WEIGHTED_MEAN:
                tests = " ".join(
                    f"WHEN {int(low)} * g.weight_total <= g.{wsum} THEN {int(rank)}"
                    for rank, low in sorted(r.matrix.thresholds, reverse=True)
                )
                expr = f"CASE {tests} ELSE {int(r.matrix.thresholds[0][0])} END"
            else:
                expr = f"g.{worst}"
            if r.rollup.rules:
                raises = [
                    f"CASE WHEN {count_at_or_above(rule.band_rank)} >= {int(rule.min_count)} "
                    f"THEN {int(rule.to_rank)} ELSE 0 END"
                    for rule in r.rollup.rules
                ]
                expr = self.greatest(expr, *raises)
            branches.append(f"WHEN {int(cid)} THEN {expr}")
        return f"CASE g.catalogue_id {' '.join(branches)} END" if branches else "0"

    def agreements_from(self, source: str, rules: Mapping[int, CatalogueRules]) -> str:
        """Agreement scores (the columns of ``AGREEMENT_COLUMNS`` but ``computed_at``) from the current
        ratings ``source`` (a table name or a parenthesised query)."""
        # Count rules on the ends of the range need "ratings at or above rank k" for their ranks only.
        at_or_above = "".join(
            f" SUM(CASE WHEN {column} >= {k} THEN 1 ELSE 0 END) AS {variant}ge{k},"
            for k in self.rule_ranks(rules) for variant, column in (("l", "rank_low"), ("h", "rank_high"))
        )
        inner = f"""
            SELECT agreement_id, assessment_id, catalogue_id, active, team_id,
                   COUNT(*) AS n_ratings, SUM(weight) AS weight_total,
                   SUM(weight * residual) AS residual_wsum, SUM(weight * residual_low) AS residual_wsum_low,
                   SUM(weight * residual_high) AS residual_wsum_high, SUM(weight * inherent) AS inherent_wsum,
                   MAX(rank) AS worst, MAX(rank_low) AS worst_low, MAX(rank_high) AS worst_high,
                   {band_count_sums("rank", "b")},{at_or_above}
                   CAST(SUM(h2) %% {P} AS BIGINT) AS fingerprint
            FROM {source} cur GROUP BY agreement_id, assessment_id, catalogue_id, active, team_id
        """
        with_partners = (
            f"(SELECT i.*, COALESCE(p.partners, '') AS counted_partners FROM ({inner}) i "
            f"LEFT JOIN ({self.partner_lists()}) p ON p.agreement_id = i.agreement_id)"
        )
        return self.agreement_results(with_partners, rules)

    def among(self, column: str, ids: Sequence[int]) -> str:
        """SQL: ``column`` is one of ``ids``, given as ``ids_params(ids)``. On PostgreSQL one array
        parameter, so that the statement's text (and its prepared plan) is the same for any
        number of ids; elsewhere one parameter each."""
        return f"{column} = ANY(%s)" if self.postgres else f"{column} IN ({', '.join(['%s'] * len(ids))})"

    def ids_params(self, ids: Sequence[int]) -> list:
        """The parameters of ``among(column, ids)``."""
        return [list(ids)] if self.postgres else list(ids)

    def partner_lists(self, agreement_ids: Sequence[int] | None = None) -> str:
        """``(agreement_id, partners, first_partner)``: each agreement's partner ids as
        ``counted_partners`` text, and the lowest, of every agreement or (``ids_params``) of
        ``agreement_ids``."""
        ids = (
            "string_agg(CAST(partner_id AS TEXT), ',')" if self.postgres
            else "group_concat(partner_id, ',')"
        )
        where = f"WHERE {self.among('agreement_id', agreement_ids)} " if agreement_ids else ""
        return (
            f"SELECT agreement_id, {ids} AS partners, MIN(partner_id) AS first_partner "
            f"FROM {T.agreement_partners} {where}GROUP BY agreement_id"
        )

    def latest_of(self, agreement_ids: Sequence[int]) -> str:
        """``(assessment_id, agreement_id, catalogue_id)`` of the latest approved assessment of each of
        ``agreement_ids``, as ``latest_approved``. Parameters: ``ids_params``, then the approved status."""
        return self.latest_approved(status="%s", where=self.among("s.agreement_id", agreement_ids))

    def agreement_results(self, sums: str, rules: Mapping[int, CatalogueRules], extra: str = "") -> str:
        """Agreement scores from per-agreement sums ``g`` (``sums``: a parenthesised query with the
        columns ``agreements_from`` groups into: weighted sums, worst ranks, band counts ``b<k>``,
        ``lge<k>``/``hge<k>`` for the count rules' ranks, fingerprint; and ``counted_partners``,
        ``team_id``);
        ``extra`` adds columns of ``g``."""

        def centi(column: str) -> str:
            return f"(200 * g.{column} + g.weight_total) / (2 * g.weight_total)"

        return f"""
            SELECT g.agreement_id, g.assessment_id, g.catalogue_id, g.active AS is_active, g.counted_partners,
                   g.team_id AS counted_team_id, g.n_ratings,
                   g.weight_total, g.residual_wsum, g.residual_wsum_low, g.residual_wsum_high, g.inherent_wsum,
                   {centi("residual_wsum")} AS score_c, {centi("residual_wsum_low")} AS score_low_c,
                   {centi("residual_wsum_high")} AS score_high_c, {centi("inherent_wsum")} AS inherent_score_c,
                   {self._rollup_band(rules, "residual_wsum", "worst", "")} AS band_rank,
                   {self._rollup_band(rules, "residual_wsum_low", "worst_low", "l")} AS band_rank_low,
                   {self._rollup_band(rules, "residual_wsum_high", "worst_high", "h")} AS band_rank_high,
                   {", ".join(f"g.b{k} AS band_{k}" for k in RANKS)}, g.fingerprint{extra}
            FROM {sums} g
        """

    # --- Stage 3: tallies ------------------------------------------------------------------------

    @staticmethod
    def tally_of_agreements(*, zero_if_empty: bool = False) -> str:
        """Tally columns (``TALLY_COLUMNS`` order) over agreement scores ``s``, each agreement once."""
        expressions = [
            "COUNT(*)", "SUM(s.score_c)", "SUM(s.score_low_c)", "SUM(s.score_high_c)", "SUM(s.inherent_score_c)",
            *(f"SUM(CASE WHEN s.band_rank = {k} THEN 1 ELSE 0 END)" for k in RANKS),
            f"CAST(SUM(s.fingerprint) %% {P} AS BIGINT)",
        ]
        if zero_if_empty:  # an aggregate without GROUP BY over no rows gives NULL sums
            expressions = [f"COALESCE({e}, 0)" for e in expressions]
        return ", ".join(expressions)

    def partner_categories_from(self, source: str) -> str:
        """Per (partner, team, category code, primary) tallies of the active current ratings in ``source``.

        An agreement's ratings count once for each of its partners; ``is_primary`` marks the rows
        of its first partner (or of no partner), so summing only those counts each rating once:
        that is the category level, without a second pass over the ratings.
        """
        first = (
            f"SELECT agreement_id, MIN(partner_id) AS partner_id FROM {T.agreement_partners} GROUP BY agreement_id"
        )
        return f"""
            SELECT ap.partner_id, c.team_id, c.category_code,
                   CASE WHEN ap.partner_id IS NULL OR ap.partner_id = f.partner_id THEN 1 ELSE 0 END AS is_primary,
                   {self.tally_of_ratings()}
            FROM {source} c
            LEFT JOIN {T.agreement_partners} ap ON ap.agreement_id = c.agreement_id
            LEFT JOIN ({first}) f ON f.agreement_id = c.agreement_id
            WHERE c.active
            GROUP BY ap.partner_id, c.team_id, c.category_code,
                     CASE WHEN ap.partner_id IS NULL OR ap.partner_id = f.partner_id THEN 1 ELSE 0 END
        """

    @staticmethod
    def tally_of_ratings() -> str:
        """Tally columns (``TALLY_COLUMNS`` names) over current ratings ``c``, each rating once."""
        return f"""COUNT(*) AS n, 100 * SUM(c.residual) AS score_sum_c, 100 * SUM(c.residual_low) AS score_low_sum_c,
                   100 * SUM(c.residual_high) AS score_high_sum_c, 100 * SUM(c.inherent) AS inherent_sum_c,
                   {band_count_sums("c.rank")}, CAST(SUM(c.h1) %% {P} AS BIGINT) AS fingerprint"""

    @staticmethod
    def tally_sums(source: str = "t") -> str:
        """Tally columns summing tallies (rows of ``source`` with ``TALLY_COLUMNS``)."""
        sums = ", ".join(f"SUM({source}.{c})" for c in TALLY_COLUMN_LIST if c != "fingerprint")
        return f"{sums}, CAST(SUM({source}.fingerprint) %% {P} AS BIGINT)"


def lock_scores(cursor, db_now) -> None:
    """Create the scores lock row if missing and lock it until the transaction ends.

    Every recompute takes this lock first, so recomputes apply one after another and never
    deadlock on partner, category or portfolio rows. (On SQLite the write itself serialises
    writers.) ``DO UPDATE ... WHERE`` false: PostgreSQL locks the existing row without writing a
    new version of it (which every recompute would otherwise add).
    """
    execute_prepared(
        cursor,
        f"INSERT INTO {T.scores_lock} (id, locked_at) VALUES ({ScoresLock.SINGLETON_ID}, %s) "
        f"ON CONFLICT (id) DO UPDATE SET id = excluded.id WHERE 1 = 0",
        [db_now],
    )


AGREEMENT_COLUMNS = (
    "agreement_id, assessment_id, catalogue_id, is_active, counted_partners, counted_team_id, n_ratings, "
    "weight_total, residual_wsum, "
    "residual_wsum_low, residual_wsum_high, inherent_wsum, score_c, score_low_c, score_high_c, inherent_score_c, "
    f"band_rank, band_rank_low, band_rank_high, {BAND_COLUMNS}, fingerprint, computed_at"
)
