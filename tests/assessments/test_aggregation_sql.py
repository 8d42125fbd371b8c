"""Where the recomputes' SQL restates a rule that Python defines, the two agree on the same data.

Each rule is defined once in Python (``LATEST_APPROVED_FIRST``, ``scoring.Matrix``...) and the
SQL is written from that definition; these tests run the SQL on this database (SQLite by default,
PostgreSQL in CI) and compare its answers with the Python definition's.
"""

import datetime as dt
import random

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import aggregation, scoring, selectors
from assessments.aggregation.catalogue_rules import CatalogueRules
from assessments.aggregation.sql import Dialect, T, complete_rating, grid_array, grid_rank, grid_text
from assessments.choices import AssessmentStatus
from assessments.models import AgreementScore, Assessment, Rating
from catalogue.models import SCALE_MAX, SCALE_MIN

from .conftest import approve_new_assessment

pytestmark = pytest.mark.django_db


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_sql_picks_the_latest_approved_assessment_the_orm_picks(portfolio, world):
    # Besides the portfolio's approvals at the same instant (the later id wins), approvals
    # recorded after another but dated before it, by a day or by one microsecond (the later
    # approval time wins).
    agreement, other = [a for a in portfolio.agreements if Assessment.objects.filter(
        agreement=a, status=AssessmentStatus.APPROVED).exists()][:2]
    current = Assessment.objects.filter(agreement=agreement).approved_latest_first().first()
    approve_new_assessment(agreement=agreement, rng=random.Random(1), when=current.approved_at - dt.timedelta(days=1))
    other_current = Assessment.objects.filter(agreement=other).approved_latest_first().first()
    approve_new_assessment(agreement=other, rng=random.Random(2),
                           when=other_current.approved_at - dt.timedelta(microseconds=1))

    orm: dict[int, int] = {}
    for agreement_id, assessment_id in Assessment.objects.approved_latest_first().values_list("agreement_id", "pk"):
        orm.setdefault(agreement_id, assessment_id)
    ties = Assessment.objects.filter(status=AssessmentStatus.APPROVED).values("agreement_id", "approved_at")
    assert len({(t["agreement_id"], t["approved_at"]) for t in ties}) < len(ties)  # the data has ties
    assert (orm[agreement.pk], orm[other.pk]) == (current.pk, other_current.pk)

    dialect = Dialect(connection)
    every = _fetch(dialect.latest_approved(status="%s"), [AssessmentStatus.APPROVED.value])
    ids = sorted(orm)
    some = _fetch(dialect.latest_of(ids), [*dialect.ids_params(ids), AssessmentStatus.APPROVED.value])
    assert {agreement_id: assessment_id for assessment_id, agreement_id, _ in every} == orm
    assert {agreement_id: assessment_id for assessment_id, agreement_id, _ in some} == orm
    listed = selectors.agreement_list(user=world.administrator).filter(current_assessment_id__isnull=False)
    assert dict(listed.values_list("pk", "current_assessment_id")) == orm


def test_the_sql_matrix_lookup_gives_the_band_scoring_gives():
    """Read with SUBSTR from the grid text (both databases) and, on PostgreSQL, by index from the grid
    array: every cell of an asymmetric matrix using every rank."""
    rng = random.Random(5)
    levels = range(SCALE_MIN, SCALE_MAX + 1)
    cells = {(lk, im): rng.randint(1, scoring.MAX_BAND_RANK) for lk in levels for im in levels}
    cells[(SCALE_MIN, SCALE_MAX)], cells[(SCALE_MAX, SCALE_MIN)] = 1, scoring.MAX_BAND_RANK
    matrix = scoring.Matrix(cells, scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    pairs = sorted(cells)
    lookups = [grid_rank(grid_text(matrix), str(lk), str(im)) for lk, im in pairs]
    if connection.vendor == "postgresql":
        lookups += [grid_rank(grid_array(matrix), str(lk), str(im), array=True) for lk, im in pairs]

    (row,) = _fetch(f"SELECT {', '.join(lookups)}", [])

    expected = [matrix.band(lk, im) for lk, im in pairs]
    assert list(row) == expected * (len(lookups) // len(pairs))


def test_the_stored_worst_band_in_sql_is_the_one_scoring_gives(portfolio, world):
    """The agreement list shows the worst band of the stored band counts ("Worst category"), in SQL,
    and filters and sorts on the stored headline band."""
    aggregation.scores_full_recompute()
    scores = AgreementScore.objects.all()
    expected = {s.agreement_id: scoring.worst_rank_of_counts(s.band_counts) for s in scores}
    assert len(set(expected.values())) > 1
    assert any(s.band_rank != s.worst_band_rank for s in scores)  # the two differ on this data

    listed = selectors.agreement_list(user=world.administrator).filter(score__isnull=False)

    assert dict(listed.values_list("pk", "worst_category_band_rank")) == expected
    assert dict(listed.values_list("pk", "headline_band_rank")) == {s.agreement_id: s.band_rank for s in scores}


def test_the_sql_counts_the_ratings_python_calls_complete(portfolio):
    expected = {r.pk for r in Rating.objects.all() if r.is_complete}
    assert 0 < len(expected) < Rating.objects.count()  # the portfolio has incomplete ratings

    rows = _fetch(f"SELECT r.id FROM {T.rating} r WHERE {complete_rating('r')}", [])  # noqa: S608

    assert {rating_id for (rating_id,) in rows} == expected
    assert set(Rating.objects.complete().values_list("pk", flat=True)) == expected


# --- The roll-up band: ``Dialect._rollup_band`` against ``scoring.Rollup.band`` ---------------------

_rules = st.lists(st.builds(scoring.CountRule, st.integers(1, 6), st.integers(1, 4), st.integers(1, 6)),
                  min_size=0, max_size=3)


@st.composite
def _catalogues(draw):
    """Any matrix (ranks 1..6, not necessarily monotone) and any roll-up, floors included."""
    levels = range(SCALE_MIN, SCALE_MAX + 1)
    matrix = scoring.Matrix({(lk, im): draw(st.integers(1, scoring.MAX_BAND_RANK)) for lk in levels for im in levels},
                            scale_min=SCALE_MIN, scale_max=SCALE_MAX)
    method = draw(st.sampled_from(scoring.ROLLUP_METHODS))
    rules = () if method == scoring.WORST_CASE else tuple(draw(_rules))
    return matrix, scoring.Rollup(method, rules)


_ratings = st.lists(
    st.builds(scoring.RatingLevels, st.integers(1, 10**6), st.just("C"), st.integers(1, 1000),
              *[st.integers(SCALE_MIN, SCALE_MAX)] * 4, st.sampled_from(["low", "medium", "high"])),
    min_size=1, max_size=8, unique_by=lambda r: r.rating_id,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalogue=_catalogues(), ratings=_ratings)
def test_the_sql_rollup_band_is_the_one_scoring_gives(catalogue, ratings):
    """Random ratings, weights, matrices and rules (weighted-mean floors and count rules): the three
    band columns the recomputes store equal the Python roll-up's, on this database."""
    matrix, rollup = catalogue
    scores = [scoring.rating_score(r, matrix=matrix) for r in ratings]
    expected = scoring.agreement_result(scores, matrix=matrix, rollup=rollup)
    rules = {7: CatalogueRules(7, matrix, rollup, {}, {})}
    dialect = Dialect(connection)
    # The per-agreement sums ``g`` that ``agreements_from`` groups the ratings into.
    columns = {
        "catalogue_id": 7, "weight_total": expected.weight_total,
        "residual_wsum": expected.residual_wsum, "residual_wsum_low": expected.residual_wsum_low,
        "residual_wsum_high": expected.residual_wsum_high,
        "worst": max(s.rank for s in scores), "worst_low": max(s.rank_low for s in scores),
        "worst_high": max(s.rank_high for s in scores),
        **{f"b{k}": sum(s.rank == k for s in scores) for k in range(1, scoring.MAX_BAND_RANK + 1)},
        **{f"lge{k}": sum(s.rank_low >= k for s in scores) for k in dialect.rule_ranks(rules)},
        **{f"hge{k}": sum(s.rank_high >= k for s in scores) for k in dialect.rule_ranks(rules)},
    }
    g = "(SELECT " + ", ".join(f"CAST(%s AS INTEGER) AS {name}" for name in columns) + ") g"
    bands = ", ".join([
        dialect._rollup_band(rules, "residual_wsum", "worst", ""),
        dialect._rollup_band(rules, "residual_wsum_low", "worst_low", "l"),
        dialect._rollup_band(rules, "residual_wsum_high", "worst_high", "h"),
    ])

    (row,) = _fetch(f"SELECT {bands} FROM {g}", list(columns.values()))  # noqa: S608

    assert tuple(row) == (expected.band_rank, expected.band_rank_low, expected.band_rank_high)
