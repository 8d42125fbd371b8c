"""The full recompute on PostgreSQL: one pass over the current ratings, then every level from it.

The statements, each a set operation:

1. ``rb_scores_latest``: each agreement's latest approved assessment (``DISTINCT ON``), computed
   once rather than in every parallel worker, with its partners.
2. ``rb_scores_ratings``: the only read of the ratings, in parallel workers, and only of the ids
   the current assessments span. An assessment rates each category once, so a rating is packed
   into one BIGINT (``FIELDS``) in its category code's column of its agreement's row: the scoring
   expressions are evaluated once per rating, and the aggregation stays cheap.
3. ``rb_scores_agreements``: the agreement scores derived from those columns (sums computed by
   the parallel workers, roll-ups by the catalogue's rules), with each code's fields unpacked.
4. ``rb_scores_partners``: 20,000 agreement rows (not a million ratings), with their packed
   ratings, grouped per partner, each code a group of columns.
5. One statement of data-modifying CTEs makes each stored level hold the rows derived: per level,
   one hash full join of the derived rows with the stored ones keeps the rows that differ, which
   are then updated in place (on half-empty pages, see migration 0003, these are HOT updates),
   inserted (scored for the first time) or deleted (no longer derived from anything), by key. A
   row whose values are unchanged is not written, so it keeps the ``computed_at`` of the run that
   produced its value (its fingerprint says the inputs are the same); the portfolio rows are
   always written, with this run's time.

Staging tables are UNLOGGED rather than temporary where a later statement reads them in parallel
or where they hold megabytes (temporary buffers are 8 MB by default, beyond which they spill);
they are created and dropped inside the recompute's transaction, which holds the scores lock.

It returns None, leaving the rows to the general path in ``full``, when the data is outside what
the packing carries: more category codes than ``MAX_CODES``, more agreements than
``MAX_TALLIED``, or an assessment with a rating the per-code columns cannot hold (two ratings of
one code, a category of another catalogue; the forms never create either); or when the database
role may not create tables in its schema.
"""

# SQL here is assembled from model table names, validated category codes and constants only;
# values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager

from catalogue.models import SCALE_MAX, SCALE_MIN

from .. import scoring
from ..choices import AgreementStatus, AssessmentStatus
from .catalogue_rules import CatalogueRules, catalogue_rules
from .sql import (
    AGREEMENT_COLUMNS,
    CODE_PATTERN,
    RANKS,
    TALLY_COLUMN_LIST,
    TALLY_COLUMNS,
    Dialect,
    P,
    T,
    complete_rating,
    grid_array,
    grid_rank,
    mix,
)

LATEST = "rb_scores_latest"
RATINGS = "rb_scores_ratings"
AGREEMENTS = "rb_scores_agreements"
PARTNERS = "rb_scores_partners"
STAGING = ((LATEST, False), (RATINGS, False), (AGREEMENTS, False), (PARTNERS, True))
# Category codes carried as columns; a portfolio scored with more falls back to the general path.
MAX_CODES = 64

# A rating's scores packed into one BIGINT, least significant first: its fingerprint hash
# (31 bits), the band ranks of its high end, low end and residual score, then its inherent,
# high, low and residual scores (1..25 each).
HASH_BITS = 31
RANK_BITS = scoring.MAX_BAND_RANK.bit_length()
SCORE_BITS = (SCALE_MAX * SCALE_MAX).bit_length()
FIELDS = {  # name -> (shift, bits); names as the columns of one code: <name><code index>
    # (h, l, r and kh, kl, k each adjacent: a rating whose range is its score fills each trio at once)
    "f": (0, HASH_BITS),
    **{name: (HASH_BITS + i * RANK_BITS, RANK_BITS) for i, name in enumerate(("kh", "kl", "k"))},
    **{name: (HASH_BITS + 3 * RANK_BITS + i * SCORE_BITS, SCORE_BITS) for i, name in enumerate(("i", "h", "l", "r"))},
}
assert max(shift + bits for shift, bits in FIELDS.values()) <= 62, "a packed rating must fit a signed BIGINT"

# Per-agreement band counts are added up in one BIGINT: LANE bits per rank. An agreement has at
# most one rating per category code (checked), so no lane can overflow.
LANE = 10
assert LANE * scoring.MAX_BAND_RANK <= 62 and MAX_CODES < 2**LANE

# Band counts of the partner and category levels are added up as lanes too, half of the ranks per
# BIGINT: TALLY_LANE bits each, enough for any count of agreements below MAX_TALLIED.
RANKS_PER_HALF = (scoring.MAX_BAND_RANK + 1) // 2
TALLY_LANE = 62 // RANKS_PER_HALF
MAX_TALLIED = 2**TALLY_LANE


def _lane(column: str, rank: int) -> str:
    return f"(({column} >> {LANE * (rank - 1)}) & {2**LANE - 1})"


def _worst(column: str) -> str:
    """The highest rank with a non-zero lane: lanes of higher ranks are the higher bits."""
    tests = " ".join(f"WHEN {column} >= {2 ** (LANE * (k - 1))} THEN {k}" for k in reversed(RANKS))
    return f"CASE {tests} ELSE 0 END"


def _latest_sql(dialect: Dialect) -> str:
    """Statement 1: each agreement's latest approved assessment, whether the agreement is active,
    its owner team (as ``AgreementScore.counted_team``), its partners (as
    ``AgreementScore.counted_partners``) and the first of them (the one whose rows at the partner
    level also carry the agreement into the category and portfolio levels)."""
    active = AgreementStatus.ACTIVE.value
    latest = dialect.latest_approved(status=f"'{AssessmentStatus.APPROVED.value}'")
    return (
        f"CREATE UNLOGGED TABLE {LATEST} AS SELECT x.assessment_id, x.agreement_id, x.catalogue_id, "
        f"(a.status = '{active}') AS active, a.owner_team_id AS team_id, "
        f"COALESCE(p.partners, '') AS counted_partners, p.first_partner "
        f"FROM ({latest}) x "
        f"JOIN {T.agreement} a ON a.id = x.agreement_id "
        f"LEFT JOIN ({dialect.partner_lists()}) p ON p.agreement_id = x.agreement_id"
    )


def _codes(rules: Mapping[int, CatalogueRules]) -> list[str]:
    return sorted({code for r in rules.values() for code, _ in r.categories.values() if CODE_PATTERN.fullmatch(code)})


def _ids(ids) -> str:
    ids = sorted(int(i) for i in ids)
    return f"= {ids[0]}" if len(ids) == 1 else f"IN ({', '.join(map(str, ids))})"


def _ratings_sql(rules: Mapping[int, CatalogueRules], widening: Mapping[str, int], codes: list[str]) -> str:
    """Statement 2: per agreement, each of its ratings packed into the column of its category code.

    This is the only statement that reads ratings. Each rating's scores are computed once, inside
    the CASE of its own code, and nothing else is summed here: the aggregation stays cheap and runs
    in the parallel workers. Statement 3 derives the agreement's sums from these columns.
    """
    grids = " ".join(f"WHEN {int(cid)} THEN {grid_array(r.matrix)}" for cid, r in sorted(rules.items()))

    def rank(likelihood: str, impact: str) -> str:
        return grid_rank(f"CASE l.catalogue_id {grids} END", likelihood, impact, array=True)

    def packed(levels: int) -> str:
        """The packed rating when its confidence widens its range by ``levels`` (as ``rating_score``)."""
        rl, ri = "r.residual_likelihood", "r.residual_impact"
        low = (f"GREATEST({rl} - {levels}, {SCALE_MIN})", f"GREATEST({ri} - {levels}, {SCALE_MIN})") if levels \
            else (rl, ri)
        high = (f"LEAST({rl} + {levels}, {SCALE_MAX})", f"LEAST({ri} + {levels}, {SCALE_MAX})") if levels \
            else (rl, ri)
        inherent = f"(CAST(r.inherent_likelihood * r.inherent_impact AS BIGINT) << {FIELDS['i'][0]})"
        if not levels:
            # Its range is its score: one rank lookup and one product fill the three adjacent fields
            # of each (as the planner would evaluate every occurrence of an expression).
            scores = sum(1 << (FIELDS[name][0] - FIELDS["h"][0]) for name in ("h", "l", "r"))
            ranks = sum(1 << (FIELDS[name][0] - FIELDS["kh"][0]) for name in ("kh", "kl", "k"))
            return (f"(CAST({rl} * {ri} AS BIGINT) * {scores} << {FIELDS['h'][0]}) + {inherent} + "
                    f"(CAST({rank(rl, ri)} AS BIGINT) * {ranks} << {FIELDS['kh'][0]}) + {mix('r.id')}")
        values = {
            "r": f"{rl} * {ri}", "l": f"{low[0]} * {low[1]}", "h": f"{high[0]} * {high[1]}",
            "k": rank(rl, ri), "kl": rank(*low), "kh": rank(*high),
        }
        shifted = [f"(CAST({values[name]} AS BIGINT) << {FIELDS[name][0]})" for name in values]
        return " + ".join([*shifted, inherent, f"{mix('r.id')}"])

    wider = sorted((n, conf) for conf, n in widening.items() if n)
    whens = " ".join(f"WHEN '{conf}' THEN {packed(n)}" for n, conf in wider)
    rating = f"CASE r.confidence {whens} ELSE {packed(0)} END" if whens else packed(0)
    by_code: dict[str, set[int]] = {}
    for r in rules.values():
        for cid, (code, _weight) in r.categories.items():
            by_code.setdefault(code, set()).add(cid)
    per_code = "".join(f", MAX(CASE WHEN r.category_id {_ids(by_code[code])} THEN {rating} END) AS c{i}"
                       for i, code in enumerate(codes))
    # With several catalogues in use, count ratings whose category is not of their assessment's one.
    foreign = ""
    if len(rules) > 1:
        own = " ".join(
            f"WHEN {int(cid)} THEN r.category_id {_ids(r.categories)}"
            for cid, r in sorted(rules.items()) if r.categories
        )
        foreign = f", COUNT(*) FILTER (WHERE NOT COALESCE(CASE l.catalogue_id {own} END, FALSE)) AS foreign_ratings"
    # Grouped by the assessment alone (the rest of its row is joined back in statement 3): one
    # integer to hash per rating, not six columns.
    return f"""
        CREATE UNLOGGED TABLE {RATINGS} WITH (parallel_workers = 2) AS
        SELECT r.assessment_id, COUNT(*) AS n_ratings{foreign}{per_code}
        FROM {LATEST} l JOIN {T.rating} r ON r.assessment_id = l.assessment_id
        WHERE r.assessment_id BETWEEN %s AND %s AND {complete_rating("r")}
        GROUP BY r.assessment_id
    """


def _check_sql(rules: Mapping[int, CatalogueRules], codes: list[str]) -> str:
    """Whether an agreement's ratings do not fit one column per code: two ratings of one code, a
    rating of a category of no catalogue in use, or (several catalogues) a rating whose category
    is not of its assessment's catalogue; and how many agreements are scored."""
    present = " + ".join(f"(CASE WHEN s.c{i} IS NULL THEN 0 ELSE 1 END)" for i in range(len(codes)))
    foreign = " OR s.foreign_ratings > 0" if len(rules) > 1 else ""
    return f"SELECT COALESCE(BOOL_OR(s.n_ratings <> {present}{foreign}), FALSE), COUNT(*) FROM {RATINGS} s"


def _code_weight(rules: Mapping[int, CatalogueRules], code: str, catalogue: str) -> str:
    """The weight (hundredths) of category ``code`` in the catalogue ``catalogue`` (SQL)."""
    weights = {cid: w for cid, r in rules.items() for c, w in r.categories.values() if c == code}
    if len(set(weights.values())) == 1:
        return str(int(next(iter(weights.values()))))
    return f"CASE {catalogue} {' '.join(f'WHEN {int(cid)} THEN {int(w)}' for cid, w in sorted(weights.items()))} END"


def _field(column: str, name: str) -> str:
    """One field of a packed rating, as INTEGER: SUM(INTEGER) adds in BIGINT, SUM(BIGINT) in NUMERIC."""
    shift, bits = FIELDS[name]
    return f"CAST(({column} >> {shift}) & {2**bits - 1} AS INTEGER)"


def _agreements_sql(dialect: Dialect, rules: Mapping[int, CatalogueRules], codes: list[str]) -> str:
    """Statement 3: the agreement scores (``AGREEMENT_COLUMNS`` but ``computed_at``, and
    ``first_partner``) from their packed ratings, which it carries on (``c<i>``) for statement 4.

    The sums are computed by the parallel workers (a projection of the scan); an ``OFFSET 0``
    subquery then hands them to the roll-ups as plain columns, computed once.
    """
    n = len(codes)
    keys = "agreement_id, assessment_id, catalogue_id, active, team_id, counted_partners, first_partner, n_ratings"
    weight = {i: _code_weight(rules, code, "l.catalogue_id") for i, code in enumerate(codes)}

    def weighted(name: str) -> str:
        return " + ".join(f"COALESCE({weight[i]} * {_field(f's.c{i}', name)}, 0)" for i in range(n))

    def lanes(name: str) -> str:
        return " + ".join(
            f"COALESCE(CAST(1 AS BIGINT) << ({LANE} * ({_field(f's.c{i}', name)} - 1)), 0)" for i in range(n)
        )

    weight_total = " + ".join(f"(CASE WHEN s.c{i} IS NULL THEN 0 ELSE {weight[i]} END)" for i in range(n))
    packed = ", ".join(f"s.c{i}" for i in range(n))
    # The agreement's fingerprint: each rating's hash mixed with its weight (weighted_rating_hash).
    fingerprint = " + ".join(f"COALESCE({mix(_field(f's.c{i}', 'f') + f' + {weight[i]}')}, 0)" for i in range(n))
    sums = f"""
        SELECT l.agreement_id, l.assessment_id, l.catalogue_id, l.active, l.team_id, l.counted_partners,
               l.first_partner,
               s.n_ratings, {packed}, {weight_total} AS weight_total,
               {weighted("r")} AS residual_wsum, {weighted("l")} AS residual_wsum_low,
               {weighted("h")} AS residual_wsum_high, {weighted("i")} AS inherent_wsum,
               {lanes("k")} AS bands, {lanes("kl")} AS bands_low, {lanes("kh")} AS bands_high,
               CAST(({fingerprint}) %% {P} AS BIGINT) AS fingerprint
        FROM {RATINGS} s JOIN {LATEST} l ON l.assessment_id = s.assessment_id OFFSET 0
    """
    at_or_above = "".join(
        f", {' + '.join(_lane(f's.bands_{end}', j) for j in RANKS if j >= k)} AS {end[0]}ge{k}"
        for k in dialect.rule_ranks(rules) for end in ("low", "high")
    )
    g = f"""(
        SELECT s.{keys.replace(", ", ", s.")}, {packed}, s.weight_total, s.residual_wsum, s.residual_wsum_low,
               s.residual_wsum_high, s.inherent_wsum, s.fingerprint, {_worst("s.bands")} AS worst,
               {_worst("s.bands_low")} AS worst_low, {_worst("s.bands_high")} AS worst_high,
               {", ".join(f"{_lane('s.bands', k)} AS b{k}" for k in RANKS)}{at_or_above}
        FROM ({sums}) s OFFSET 0)"""
    results = dialect.agreement_results(g, rules, extra=", g.first_partner, " + packed.replace("s.", "g."))
    return f"CREATE UNLOGGED TABLE {AGREEMENTS} WITH (parallel_workers = 0) AS {results}"


def _tally_lanes(rank: str, half: int) -> str:
    """A band rank as a one-bit-per-lane BIGINT for ranks of ``half`` (0: the lower ranks), or 0;
    NULL for no rank. (A lookup: ``rank`` is evaluated once.)"""
    first = half * RANKS_PER_HALF + 1
    values = [
        1 << (TALLY_LANE * (k - first)) if first <= k < first + RANKS_PER_HALF else 0
        for k in range(1, scoring.MAX_BAND_RANK + 1)
    ]
    return f"('{{{','.join(map(str, values))}}}'::BIGINT[])[{rank}]"


def _tally_lane(column: str, rank: int) -> str:
    """The count of ``rank`` from the lane sums ``<column>_0`` and ``<column>_1``."""
    half, offset = divmod(rank - 1, RANKS_PER_HALF)
    return f"(({column}_{half} >> {TALLY_LANE * offset}) & {2**TALLY_LANE - 1})"


def _partner_columns(codes: list[str]) -> list[str]:
    """The tally columns of ``rb_scores_partners``, after ``partner_id, team_id, is_primary``."""
    per_code = [
        name for i in range(len(codes))
        for name in (f"n{i}", f"r{i}", f"l{i}", f"h{i}", f"i{i}", f"k{i}_0", f"k{i}_1", f"f{i}")
    ]
    return [*TALLY_COLUMN_LIST, *per_code]


def _partners_sql(codes: list[str]) -> str:
    """Statement 4: the tallies of active agreements per partner, team (the agreement's owner team)
    and "primary" (the agreement's first partner, or no partner: summing only primary rows counts
    each agreement once, the category and portfolio levels), with one group of columns per
    category code."""
    per_code = "".join(
        f", COUNT(a.c{i}) AS n{i}"
        + "".join(f", SUM({_field(f'a.c{i}', name)}) AS {name}{i}" for name in ("r", "l", "h", "i"))
        + "".join(f", CAST(SUM({_tally_lanes(_field(f'a.c{i}', 'k'), half)}) AS BIGINT) AS k{i}_{half}"
                  for half in (0, 1))
        + f", SUM({_field(f'a.c{i}', 'f')}) %% {P} AS f{i}"
        for i in range(len(codes))
    )
    return f"""
        CREATE TEMPORARY TABLE {PARTNERS} AS
        SELECT ap.partner_id, a.counted_team_id AS team_id,
               (ap.partner_id IS NULL OR ap.partner_id = a.first_partner) IS TRUE AS is_primary,
               COUNT(*) AS n, SUM(a.score_c) AS score_sum_c, SUM(a.score_low_c) AS score_low_sum_c,
               SUM(a.score_high_c) AS score_high_sum_c, SUM(a.inherent_score_c) AS inherent_sum_c,
               {", ".join(f"COUNT(*) FILTER (WHERE a.band_rank = {k}) AS band_{k}" for k in RANKS)},
               SUM(a.fingerprint) %% {P} AS fingerprint{per_code}
        FROM {AGREEMENTS} a
        LEFT JOIN {T.agreement_partners} ap ON ap.agreement_id = a.agreement_id
        WHERE a.is_active GROUP BY 1, 2, 3
    """


def _levels_sql(codes: list[str]) -> str:
    """CTEs of the partner, partner x category, category and portfolio tallies (each per team) from
    ``rb_scores_partners``; each CTE's columns are its ``LEVELS`` keys, then ``TALLY_COLUMNS``.

    The sums per partner and of the primary rows are read twice, so computed once (MATERIALIZED);
    each level is read once, by its full join (``_differences``), and is planned into it rather
    than first written out: 200,000 partner x category rows at ten times the benchmark portfolio
    (0.27 s of the statement's 1.2 s there)."""
    code_rows = ", ".join(
        f"('{code}', p.n{i}, 100 * p.r{i}, 100 * p.l{i}, 100 * p.h{i}, 100 * p.i{i}, "
        f"{', '.join(_tally_lane(f'p.k{i}', k) for k in RANKS)}, p.f{i})"
        for i, code in enumerate(codes)
    )
    # The primary rows of all partners summed per team (the category and portfolio levels).
    # (BIGINT, not the NUMERIC a SUM of BIGINT gives: the arithmetic below is cheaper.)
    sums = ", ".join(
        f"CAST(SUM(p.{c}) {f'%% {P}' if c[0] == 'f' else ''} AS BIGINT) AS {c}" for c in _partner_columns(codes)
    )

    def by_code(source: str) -> str:
        return f"{source} p CROSS JOIN LATERAL (VALUES {code_rows}) v (code, {TALLY_COLUMNS})"

    # A partner has at most two rows per team, its agreements where it is the first partner and the
    # others: added up by a full join of the two halves, not aggregated (an aggregate's state per
    # group is kilobytes wide here: at 20,000 groups it outgrows the hash memory and spills).
    both = ", ".join(
        f"CAST((COALESCE(a.{c}, 0) + COALESCE(b.{c}, 0)) {f'%% {P}' if c[0] == 'f' else ''} AS BIGINT) AS {c}"
        for c in _partner_columns(codes)
    )
    tally_p = ", ".join(f"p.{c}" for c in TALLY_COLUMN_LIST)
    tally_v = ", ".join(f"v.{c}" for c in TALLY_COLUMN_LIST)
    return f"""
        per_partner AS MATERIALIZED (
            SELECT COALESCE(a.partner_id, b.partner_id) AS partner_id, COALESCE(a.team_id, b.team_id) AS team_id,
                   {both}
            FROM (SELECT * FROM {PARTNERS} WHERE partner_id IS NOT NULL AND is_primary) a
            FULL JOIN (SELECT * FROM {PARTNERS} WHERE partner_id IS NOT NULL AND NOT is_primary) b
              ON b.partner_id = a.partner_id AND b.team_id = a.team_id),
        primary_rows AS MATERIALIZED (SELECT p.team_id, {sums} FROM {PARTNERS} p WHERE p.is_primary GROUP BY p.team_id),
        partners AS (SELECT p.partner_id, p.team_id, {tally_p} FROM per_partner p),
        partner_categories AS (
            SELECT p.partner_id, v.code, p.team_id, {tally_v} FROM {by_code("per_partner")} WHERE v.n > 0),
        categories AS (SELECT v.code, p.team_id, {tally_v} FROM {by_code("primary_rows")} WHERE v.n > 0),
        portfolio AS (SELECT p.team_id, {tally_p} FROM primary_rows p)
    """


# Each stored level: its table, the CTE of its new rows, and the key columns (table, CTE).
TEAM = ("team_id", "team_id")
LEVELS = (
    (T.partner_score, "partners", (("partner_id", "partner_id"), TEAM)),
    (T.partner_category_score, "partner_categories", (("partner_id", "partner_id"), ("category_code", "code"), TEAM)),
    (T.category_score, "categories", (("category_code", "code"), TEAM)),
    (T.portfolio_score, "portfolio", (TEAM,)),
)


def _changed(columns: list[str], new: str) -> str:
    """SQL: the stored row ``t`` differs from the new row ``new`` in one of ``columns``."""
    return f"({', '.join(f't.{c}' for c in columns)}) IS DISTINCT FROM ({', '.join(f'{new}.{c}' for c in columns)})"


def _differences(name: str, table: str, new: str, keys: tuple[tuple[str, str], ...], values: list[str],
                 *, always: bool = False) -> str:
    """Data-modifying CTEs making ``table`` hold the rows of ``new`` (a staging table or CTE): its
    key columns are ``keys``' second names (the first are the table's), its other columns
    ``values``, named as the table's.

    One hash full join of the new rows with the stored ones, ``diff_<name>``, keeps the rows that
    differ: new (no stored row), changed (unless ``always``: every row) and stale (no new row).
    The changed rows are then updated in place (with ``%(now)s`` as ``computed_at``; HOT updates on
    half-empty pages, see migration 0003), the new inserted and the stale deleted, each by key,
    from that small set. A row whose values are unchanged is not written, so it keeps the
    ``computed_at`` of the run that produced its value (its fingerprint says the inputs are the
    same). The stored table and the new rows are compared once, where an ``UPDATE ... FROM`` and
    a ``DELETE ... NOT EXISTS`` compared both twice (the writes then find their few rows by key);
    and the new rows are found from the statement's snapshot, not by rereading the table being
    filled."""
    first = keys[0][0]
    stored = ", ".join(f"t.{column} AS stored_{column}" for column, _ in keys)
    match = " AND ".join(f"t.{column} = x.{key}" for column, key in keys)
    by_stored_key = " AND ".join(f"t.{column} = d.stored_{column}" for column, _ in keys)
    differ = "" if always else f"WHERE x.derived IS NULL OR t.{first} IS NULL OR {_changed(values, 'x')}"
    return f""",
        diff_{name} AS MATERIALIZED (
            SELECT x.*, {stored} FROM (SELECT n.*, TRUE AS derived FROM {new} n) x
            FULL JOIN {table} t ON {match} {differ}),
        updated_{name} AS (
            UPDATE {table} t SET {", ".join(f"{c} = d.{c}" for c in values)}, computed_at = %(now)s FROM diff_{name} d
            WHERE d.derived AND {by_stored_key} RETURNING 1),
        inserted_{name} AS (
            INSERT INTO {table} ({", ".join(column for column, _ in keys)}, {", ".join(values)}, computed_at)
            SELECT {", ".join(f"d.{key}" for _, key in keys)}, {", ".join(f"d.{c}" for c in values)}, %(now)s
            FROM diff_{name} d WHERE d.stored_{first} IS NULL RETURNING 1),
        stale_{name} AS (
            DELETE FROM {table} t USING diff_{name} d WHERE d.derived IS NULL AND {by_stored_key} RETURNING 1)"""


def _scores_sql(codes: list[str]) -> str:
    """Statement 5: every stored level made to hold the rows just derived, in one statement of
    data-modifying CTEs (``_differences`` per level; the portfolio rows are always written, their
    ``computed_at`` is this run's time). Returns, per level (agreements, partners, partner x
    category, categories, portfolio), the rows updated, inserted and deleted."""
    result_columns = [c.strip() for c in AGREEMENT_COLUMNS.split(",") if c.strip() != "computed_at"]
    agreements = f"(SELECT {', '.join(result_columns)} FROM {AGREEMENTS})"
    levels = [
        ("agreements", T.agreement_score, agreements, (("agreement_id", "agreement_id"),),
         [c for c in result_columns if c != "agreement_id"]),
        *((source, table, source, keys, TALLY_COLUMN_LIST) for table, source, keys in LEVELS),
    ]
    differences = "".join(
        _differences(name, table, new, keys, values, always=name == "portfolio")
        for name, table, new, keys, values in levels
    )
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM updated_{name}), (SELECT COUNT(*) FROM inserted_{name}), "
        f"(SELECT COUNT(*) FROM stale_{name})"
        for name, *_ in levels
    )
    return f"WITH {_levels_sql(codes).strip()}{differences}\n        SELECT {counts}"


@contextmanager
def _planner_settings(cursor, **values: str):
    """Planner settings for the statements run inside, restored after (all local to the transaction)."""
    names = sorted(values)
    cursor.execute(
        f"SELECT {', '.join('current_setting(%s), set_config(%s, %s, true)' for _ in names)}",
        [p for name in names for p in (name, name, values[name])],
    )
    before = cursor.fetchone()[::2]
    yield
    cursor.execute(f"SELECT {', '.join('set_config(%s, %s, true)' for _ in names)}",
                   [p for name, value in zip(names, before, strict=True) for p in (name, value)])


def drop_staging(cursor) -> None:
    for name, temporary in STAGING:
        cursor.execute(f"DROP TABLE IF EXISTS {'pg_temp.' if temporary else ''}{name}", [])


def rebuild_scores_postgresql(
    cursor, *, dialect: Dialect, widening: Mapping[str, int], db_now, stage: Callable[[str], object]
) -> dict[str, int] | None:
    """Rebuild the agreement, partner, partner x category, category and portfolio scores: the full
    recompute's work before the snapshots, in its transaction. Returns the rows written, or None
    (having changed nothing) when the general path must do it."""
    # Staging tables are created in the current schema: a role without that right gets the general
    # path (temporary tables only) rather than an error.
    cursor.execute("SELECT has_schema_privilege(current_schema(), 'CREATE')", [])
    if not cursor.fetchone()[0]:
        return None
    drop_staging(cursor)
    # The planner prices handing a row from a parallel worker to the leader (parallel_tuple_cost)
    # so high that it sorts every approved assessment in one process. Sorted in parallel, each
    # worker sorts a third, in memory where one process spills to disk: 0.5 -> 0.3 s at a million
    # assessments, 45 -> 35 ms at 100,000.
    with _planner_settings(cursor, parallel_tuple_cost="0.001"):
        cursor.execute(_latest_sql(dialect), [])
    cursor.execute(f"SELECT catalogue_id, MIN(assessment_id), MAX(assessment_id) FROM {LATEST} GROUP BY catalogue_id")
    found = cursor.fetchall()
    rules = catalogue_rules(catalogue_ids=[row[0] for row in found])
    stage("rules")
    codes = _codes(rules)
    if not codes or len(codes) > MAX_CODES:  # nothing to pack (no ratings at all), or too wide
        drop_staging(cursor)
        return None
    # Only the ratings of current assessments are read: their ids span the range below.
    low, high = min(row[1] for row in found), max(row[2] for row in found)
    cursor.execute(_ratings_sql(rules, widening, codes), [low, high])
    cursor.execute(_check_sql(rules, codes))
    misfit, scored = cursor.fetchone()
    if misfit or scored >= MAX_TALLIED:
        drop_staging(cursor)
        return None
    stage("current ratings")
    cursor.execute(_agreements_sql(dialect, rules, codes), [])
    cursor.execute(_partners_sql(codes), [])
    # The staging CTEs have no statistics (the planner guesses a few thousand rows where there are
    # 200,000 at ten times the benchmark portfolio): it then sorted both sides for merge joins
    # (0.44 s for the partner x category rows, against 0.02 s at 1x). Every join here is on keys:
    # hash joins, for this statement only.
    with _planner_settings(cursor, enable_mergejoin="off"):
        cursor.execute(_scores_sql(codes), {"now": db_now})
        counts = cursor.fetchone()
    # Per level (agreements, partners, partner x category, categories, portfolio).
    updated, inserted, deleted = (counts[i::3] for i in range(3))
    written = [u + n for u, n in zip(updated, inserted, strict=True)]
    agreements, partners, partner_categories, categories, _portfolio = written
    drop_staging(cursor)
    stage("scores")
    return {"agreements": agreements, "partners": partners, "partner_categories": partner_categories,
            "categories": categories, "deleted": sum(deleted)}
