"""The pure scoring module: hand-computed cases, then invariants checked by hypothesis."""

import ast
import random
import re
import sys
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import scoring
from assessments.scoring import (
    AgreementState,
    Matrix,
    RatingLevels,
    Rollup,
    Tally,
    agreement_contributions,
    agreement_score,
    contributions_delta,
    portfolio_tallies,
    rating_score,
)
from catalogue.choices import RollupMethod
from tests.factories import standard_band_code

RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
STANDARD = Matrix({(lk, im): RANK[standard_band_code(lk, im)] for lk in range(1, 6) for im in range(1, 6)})
RANKS_BY_CODE = dict(RANK)
WEIGHTED = Rollup(scoring.WEIGHTED_MEAN)
WORST = Rollup(scoring.WORST_CASE)
TWO_HIGH_MAKE_CRITICAL = Rollup.from_params(
    scoring.COUNT_RULE, {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}, ranks_by_code=RANKS_BY_CODE
)


def rating(rid=1, category="A", weight=100, il=3, ii=3, rl=2, ri=2, confidence="medium"):
    return RatingLevels(rid, category, weight, il, ii, rl, ri, confidence)


# --- Hand-computed cases ------------------------------------------------------------------------


def test_the_package_imports_nothing_from_django():
    """Every module of the package imports only the standard library and its sibling modules."""
    modules = sorted(Path(scoring.__file__).parent.glob("*.py"))
    assert len(modules) > 1
    for module in modules:
        tree = ast.parse(module.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {
            ("." * node.level) + (node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        outside = {
            name for name in imported if not name.startswith(".") and name.split(".")[0] not in sys.stdlib_module_names
        }
        assert not outside, f"{module.name} imports {outside}"


def test_rollup_method_names_match_the_catalogue_choices():
    assert set(scoring.ROLLUP_METHODS) == set(RollupMethod.values)


def test_a_rating_scores_likelihood_times_impact_with_its_band():
    score = rating_score(rating(il=5, ii=4, rl=3, ri=4), matrix=STANDARD)
    assert (score.inherent, score.residual, score.rank) == (20, 12, RANK["HIGH"])
    assert (score.residual_low, score.residual_high) == (12, 12)  # medium confidence: no widening


def test_low_confidence_widens_the_range_by_one_level_within_the_scale():
    score = rating_score(rating(rl=1, ri=3, confidence="low"), matrix=STANDARD)
    assert (score.residual_low, score.residual, score.residual_high) == (1 * 2, 3, 2 * 4)
    assert (score.rank_low, score.rank, score.rank_high) == (RANK["LOW"], RANK["LOW"], RANK["MEDIUM"])
    top = rating_score(rating(il=5, ii=5, rl=5, ri=5, confidence="low"), matrix=STANDARD)
    assert (top.residual_low, top.residual_high) == (16, 25)


def test_weighted_mean_with_hand_computed_values():
    ratings = [rating(1, "A", 300, rl=4, ri=4), rating(2, "B", 100, rl=1, ri=2)]  # 16 x 3 and 2 x 1
    result = agreement_score(ratings, matrix=STANDARD, rollup=WEIGHTED)
    assert result.weight_total == 400 and result.residual_wsum == 300 * 16 + 100 * 2
    assert result.score == Decimal("12.50")
    assert result.band_counts[:4] == (1, 0, 1, 0)
    assert result.worst_rank == RANK["HIGH"]
    assert result.band_rank == RANK["HIGH"]


def test_means_round_half_up_to_two_places():
    ratings = [rating(1, "A", 100, rl=1, ri=1), rating(2, "B", 100, rl=1, ri=2), rating(3, "C", 100, rl=1, ri=2)]
    assert agreement_score(ratings, matrix=STANDARD, rollup=WEIGHTED).score == Decimal("1.67")  # 5 / 3
    assert scoring.centi_round(1, 8) == 13  # 12.5 hundredths -> 13
    assert scoring.mean_score(1001, 2) == Decimal("5.01")  # 500.5 -> 501


def test_results_and_tallies_show_their_four_scores_with_two_places():
    tally = Tally(n=3, score_sum_c=500, score_low_sum_c=300, score_high_sum_c=700, inherent_sum_c=1000)
    assert (tally.score, tally.score_low, tally.score_high, tally.inherent_score) == (
        Decimal("1.67"), Decimal("1.00"), Decimal("2.33"), Decimal("3.33"))
    assert (Tally().score, Tally().inherent_score) == (None, None)  # nothing counted
    result = agreement_score([rating(il=4, ii=5, rl=2, ri=3, confidence="low")], matrix=STANDARD, rollup=WEIGHTED)
    assert (result.score, result.score_low, result.score_high, result.inherent_score) == (
        Decimal("6.00"), Decimal("2.00"), Decimal("12.00"), Decimal("20.00"))


def test_worst_case_and_count_rule():
    two_high = [rating(1, "A", rl=4, ri=3), rating(2, "B", rl=3, ri=4), rating(3, "C", rl=1, ri=1)]
    assert agreement_score(two_high, matrix=STANDARD, rollup=WORST).band_rank == RANK["HIGH"]
    assert agreement_score(two_high, matrix=STANDARD, rollup=TWO_HIGH_MAKE_CRITICAL).band_rank == RANK["CRITICAL"]
    one_high = two_high[:1] + two_high[2:]
    assert agreement_score(one_high, matrix=STANDARD, rollup=TWO_HIGH_MAKE_CRITICAL).band_rank == RANK["HIGH"]


def test_band_of_the_mean_uses_the_lowest_score_of_each_band():
    assert STANDARD.thresholds == ((1, 1), (2, 5), (3, 10), (4, 20))
    assert STANDARD.band_for_mean(499, 100) == RANK["LOW"]
    assert STANDARD.band_for_mean(500, 100) == RANK["MEDIUM"]
    assert STANDARD.band_for_mean(1999, 100) == RANK["HIGH"]
    assert STANDARD.band_for_mean(2000, 100) == RANK["CRITICAL"]


def test_rollup_params_are_validated():
    with pytest.raises(ValueError, match=re.escape('rollup_params.escalate_band: unknown band "HUGE"')):
        Rollup.from_params(scoring.COUNT_RULE, {"escalate_band": "HUGE", "min_count": 2, "to_band": "CRITICAL"},
                           ranks_by_code=RANKS_BY_CODE)
    with pytest.raises(ValueError, match=re.escape("rollup_params.to_band: missing")):
        Rollup.from_params(scoring.COUNT_RULE, {"escalate_band": "HIGH"}, ranks_by_code=RANKS_BY_CODE)
    with pytest.raises(ValueError, match=re.escape('rollup_method: unknown roll-up method "median"')):
        Rollup.from_params("median", {}, ranks_by_code=RANKS_BY_CODE)
    default = Rollup.from_params(scoring.COUNT_RULE, {}, ranks_by_code=RANKS_BY_CODE)
    assert default.rules == (scoring.CountRule(RANK["HIGH"], 2, RANK["CRITICAL"]),)
    several = Rollup.from_params(scoring.COUNT_RULE, {"rules": [
        {"escalate_band": "MEDIUM", "min_count": 4, "to_band": "HIGH"},
        {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"},
    ]}, ranks_by_code=RANKS_BY_CODE)
    assert len(several.rules) == 2


FLOORS = {"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
                    {"escalate_band": "CRITICAL", "min_count": 2, "to_band": "CRITICAL"}]}
WEIGHTED_WITH_FLOORS = Rollup.from_params(scoring.WEIGHTED_MEAN, FLOORS, ranks_by_code=RANKS_BY_CODE)


def test_a_floor_raises_the_weighted_mean_band_so_a_critical_category_cannot_vanish():
    # One Critical category (5 x 4 = 20) among three Low ones: the mean, 6.5, is only Medium.
    one_critical = [rating(1, "A", rl=5, ri=4), *(rating(i, f"C{i}", rl=1, ri=2) for i in (2, 3, 4))]
    plain = agreement_score(one_critical, matrix=STANDARD, rollup=WEIGHTED)
    floored = agreement_score(one_critical, matrix=STANDARD, rollup=WEIGHTED_WITH_FLOORS)
    assert (plain.score, plain.band_rank, plain.worst_rank) == (Decimal("6.50"), RANK["MEDIUM"], RANK["CRITICAL"])
    assert floored.band_rank == RANK["HIGH"] and floored.score == plain.score  # the score itself is untouched
    two_critical = [*one_critical, rating(5, "E", rl=4, ri=5)]
    assert agreement_score(two_critical, matrix=STANDARD, rollup=WEIGHTED).band_rank == RANK["MEDIUM"]  # mean 9.2
    assert agreement_score(two_critical, matrix=STANDARD, rollup=WEIGHTED_WITH_FLOORS).band_rank == RANK["CRITICAL"]


def test_a_floor_never_lowers_a_band_the_mean_already_reached():
    all_critical = [rating(1, "A", rl=5, ri=5), rating(2, "B", rl=4, ri=5)]
    assert agreement_score(all_critical, matrix=STANDARD, rollup=WEIGHTED_WITH_FLOORS).band_rank == RANK["CRITICAL"]
    one_critical_high_mean = [rating(1, "A", rl=5, ri=5), rating(2, "B", rl=4, ri=4)]  # mean 20.5: Critical
    result = agreement_score(one_critical_high_mean, matrix=STANDARD, rollup=WEIGHTED_WITH_FLOORS)
    assert result.band_rank == RANK["CRITICAL"]  # "at least High" does not pull a Critical mean down
    assert WEIGHTED_WITH_FLOORS.raised_by(ranks=[4, 3], weighted_sum=4100, weight_total=200, matrix=STANDARD) == ()


def test_raised_by_names_the_floor_that_set_the_band():
    ranks, wsum, total = [4, 1, 1, 1], 2000 + 3 * 200, 400  # mean 6.5: Medium
    assert WEIGHTED_WITH_FLOORS.raised_by(ranks=ranks, weighted_sum=wsum, weight_total=total, matrix=STANDARD) == (
        scoring.CountRule(RANK["CRITICAL"], 1, RANK["HIGH"]),)
    ranks, wsum = [4, 4, 1, 1], 2 * 2000 + 2 * 200
    assert WEIGHTED_WITH_FLOORS.raised_by(ranks=ranks, weighted_sum=wsum, weight_total=total, matrix=STANDARD) == (
        scoring.CountRule(RANK["CRITICAL"], 2, RANK["CRITICAL"]),)
    assert WEIGHTED.raised_by(ranks=ranks, weighted_sum=wsum, weight_total=total, matrix=STANDARD) == ()


def test_describe_states_the_floors_in_words():
    labels = {1: "Low", 2: "Medium", 3: "High", 4: "Critical"}
    assert WEIGHTED.describe(labels_by_rank=labels) == "Band of the weighted mean residual score"
    assert WEIGHTED_WITH_FLOORS.describe(labels_by_rank=labels) == (
        "Band of the weighted mean residual score, raised by floors: 1 or more category at Critical or worse "
        "make at least High; 2 or more categories at Critical or worse make at least Critical"
    )
    assert TWO_HIGH_MAKE_CRITICAL.describe(labels_by_rank=labels) == (
        "Worst residual band, raised by count rules: 2 or more categories at High or worse make at least Critical"
    )


def test_weighted_mean_without_floors_reads_empty_parameters():
    for params in (None, {}, {"rules": []}):
        assert Rollup.from_params(scoring.WEIGHTED_MEAN, params, ranks_by_code=RANKS_BY_CODE) == WEIGHTED
    assert WEIGHTED_WITH_FLOORS.rules == (scoring.CountRule(4, 1, 3), scoring.CountRule(4, 2, 4))


@pytest.mark.parametrize(("params", "problems"), [
    ({"rules": [{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIHG"}]},
     [("rollup_params.rules[0].to_band", 'unknown band "HIHG"; use one of LOW, MEDIUM, HIGH, CRITICAL')]),
    ({"rules": [{"escalate_band": "CRITICAL", "min_count": 0, "to_band": "HIGH"}]},
     [("rollup_params.rules[0].min_count", "must be at least 1, not 0")]),
    # The single-rule form of a count rule, or a misspelt key, is no floor: refused, not ignored.
    ({"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"},
     [(f"rollup_params.{key}", 'a weighted mean reads only "rules" (its floors), such as {"rules": '
                               '[{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]}')
      for key in ("escalate_band", "min_count", "to_band")]),
    ({"rule": []}, [("rollup_params.rule", 'a weighted mean reads only "rules" (its floors), such as {"rules": '
                                           '[{"escalate_band": "CRITICAL", "min_count": 1, "to_band": "HIGH"}]}')]),
    ({"rules": "CRITICAL"}, [("rollup_params.rules", 'must be a list of count rules, not "CRITICAL"')]),
    ("CRITICAL", [("rollup_params", 'must be a mapping, not "CRITICAL"')]),
])
def test_every_problem_of_a_floor_is_reported_with_its_place(params, problems):
    with pytest.raises(scoring.RollupError) as refused:
        Rollup.from_params(scoring.WEIGHTED_MEAN, params, ranks_by_code=RANKS_BY_CODE)
    assert list(refused.value.problems) == problems


def test_stored_parameters_from_before_floors_are_read_leniently_as_no_floor():
    """A published weighted-mean catalogue may hold keys that never counted (left from a count rule):
    its scores must not start failing, nor change meaning."""
    leftover = {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}
    assert Rollup.from_params(scoring.WEIGHTED_MEAN, leftover, ranks_by_code=RANKS_BY_CODE, lenient=True) == WEIGHTED


@pytest.mark.parametrize(("params", "problems"), [
    ({"rules": [{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"},
                {"escalate_band": "HIGH", "min_count": 2, "to_band": "CRTICAL"}]},
     [("rollup_params.rules[1].to_band", 'unknown band "CRTICAL"; use one of LOW, MEDIUM, HIGH, CRITICAL')]),
    ({"rules": [{"escalate_band": 3, "min_count": "two"}, "HIGH"]},
     [("rollup_params.rules[0].escalate_band", "unknown band 3; use one of LOW, MEDIUM, HIGH, CRITICAL"),
      ("rollup_params.rules[0].to_band", "missing: name a band"),
      ("rollup_params.rules[0].min_count", "must be a whole number, not \"two\""),
      ("rollup_params.rules[1]", 'must be a count rule such as {"escalate_band": "HIGH", "min_count": 2, '
                                 '"to_band": "CRITICAL"}, not "HIGH"')]),
    ({"escalate_band": "HIGH", "min_count": 0, "to_band": "CRITICAL"},
     [("rollup_params.min_count", "must be at least 1, not 0")]),
    ({"rules": "HIGH"}, [("rollup_params.rules", 'must be a list of count rules, not "HIGH"')]),
    (["HIGH"], [("rollup_params", "must be a mapping, not ['HIGH']")]),
])
def test_every_problem_of_a_count_rule_is_reported_with_its_place(params, problems):
    with pytest.raises(scoring.RollupError) as refused:
        Rollup.from_params(scoring.COUNT_RULE, params, ranks_by_code=RANKS_BY_CODE)
    assert list(refused.value.problems) == problems


def test_an_incomplete_or_oversized_matrix_is_refused():
    with pytest.raises(ValueError, match="no band for 1 cells"):
        Matrix({k: v for k, v in STANDARD.cells.items() if k != (5, 5)})
    with pytest.raises(ValueError, match="Band ranks must be 1 to 6"):
        Matrix({**STANDARD.cells, (5, 5): 7})
    assert STANDARD.is_monotone()
    assert not Matrix({**STANDARD.cells, (5, 5): 1}).is_monotone()


def test_no_ratings_no_score():
    assert agreement_score([], matrix=STANDARD, rollup=WEIGHTED) is None
    assert Tally().score is None and Tally().worst_rank is None


def test_weight_hundredths_and_normalised_weights():
    assert scoring.weight_hundredths(Decimal("1.50")) == 150
    assert scoring.weight_hundredths("0.07") == 7
    assert scoring.normalised_weights([150, 50]) == (Fraction(3, 4), Fraction(1, 4))
    with pytest.raises(ValueError):
        scoring.normalised_weights([0, 1])


def test_partner_and_portfolio_contributions_count_each_agreement_once():
    ratings = [rating(1, "A", rl=4, ri=4), rating(2, "B", rl=2, ri=2)]
    scores = tuple(rating_score(r, matrix=STANDARD) for r in ratings)
    result = scoring.agreement_result(scores, matrix=STANDARD, rollup=WEIGHTED)
    state = AgreementState(1, True, (10, 11), result, scores)

    out = agreement_contributions(state)

    assert out[scoring.PORTFOLIO].n == 1 and out[scoring.partner_key(10)].n == 1
    assert out[scoring.category_key("A")].score_sum_c == 1600
    assert out[scoring.partner_category_key(11, "B")].score_sum_c == 400
    assert agreement_contributions(AgreementState(1, False, (10,), result, scores)) == {}


def test_fingerprints_change_with_inputs_and_weights():
    base = [rating(1, "A", 100), rating(2, "B", 100)]
    moved = [rating(1, "A", 150), rating(2, "B", 50)]  # same total weight, redistributed
    other = [rating(1, "A", 100), rating(3, "B", 100)]
    prints = {agreement_score(r, matrix=STANDARD, rollup=WEIGHTED).fingerprint for r in (base, moved, other)}
    assert len(prints) == 3


# --- Invariants (hypothesis) --------------------------------------------------------------------

levels = st.integers(1, 5)
confidences = st.sampled_from(["low", "medium", "high"])


@st.composite
def monotone_matrices(draw):
    """A monotone 5x5 matrix: the band of (l, i) is a non-decreasing step function of l x i."""
    cuts = sorted(draw(st.lists(st.integers(2, 25), min_size=1, max_size=5, unique=True)))
    return Matrix({(lk, im): 1 + sum(lk * im >= c for c in cuts) for lk in range(1, 6) for im in range(1, 6)})


@st.composite
def rollups(draw):
    """Any method; a count rule with one to three rules, a weighted mean with up to three floors."""
    method = draw(st.sampled_from(scoring.ROLLUP_METHODS))
    if method == scoring.WORST_CASE:
        return Rollup(method)
    rules = draw(st.lists(st.builds(scoring.CountRule, st.integers(1, 6), st.integers(1, 4), st.integers(1, 6)),
                          min_size=1 if method == scoring.COUNT_RULE else 0, max_size=3))
    return Rollup(method, tuple(rules))


@st.composite
def rating_lists(draw, min_size=1):
    n = draw(st.integers(min_size, 8))
    return [
        RatingLevels(i + 1, f"C{i}", draw(st.integers(1, 1000)), draw(levels), draw(levels), draw(levels),
                    draw(levels), draw(confidences))
        for i in range(n)
    ]


def _fields(result):
    return (result.score_c, result.score_low_c, result.score_high_c, result.inherent_score_c,
            result.worst_rank, result.band_rank, result.band_rank_low, result.band_rank_high)


@settings(max_examples=300, deadline=None)
@given(matrix=monotone_matrices(), rollup=rollups(), ratings=rating_lists(), data=st.data())
def test_raising_any_rating_never_lowers_a_score(matrix, rollup, ratings, data):
    index = data.draw(st.integers(0, len(ratings) - 1))
    field = data.draw(st.sampled_from(["inherent_likelihood", "inherent_impact", "residual_likelihood",
                                       "residual_impact"]))
    raised = list(ratings)
    old = raised[index]
    raised[index] = RatingLevels(**{**vars(old), field: min(5, getattr(old, field) + data.draw(st.integers(1, 4)))})

    before = agreement_score(ratings, matrix=matrix, rollup=rollup)
    after = agreement_score(raised, matrix=matrix, rollup=rollup)

    assert all(a >= b for a, b in zip(_fields(after), _fields(before), strict=True))
    # ... and so never lowers a partner's or the portfolio's mean either.
    tally_before = scoring.agreement_tally(before) + scoring.agreement_tally(before)
    tally_after = scoring.agreement_tally(after) + scoring.agreement_tally(before)
    assert tally_after.score >= tally_before.score and tally_after.worst_rank >= tally_before.worst_rank


@settings(max_examples=300, deadline=None)
@given(matrix=monotone_matrices(), rollup=rollups(), ratings=rating_lists())
def test_scores_stay_within_their_bounds(matrix, rollup, ratings):
    result = agreement_score(ratings, matrix=matrix, rollup=rollup)
    assert 100 <= result.score_low_c <= result.score_c <= result.score_high_c <= 2500
    assert 100 <= result.inherent_score_c <= 2500
    assert Decimal("1.00") <= result.score <= Decimal("25.00")
    ranks = set(matrix.cells.values())
    assert min(ranks) <= result.band_rank_low <= result.band_rank <= result.band_rank_high <= scoring.MAX_BAND_RANK
    assert result.worst_rank in ranks
    assert sum(result.band_counts) == result.n_ratings == len(ratings)
    assert 0 <= result.fingerprint < scoring.FINGERPRINT_MODULUS
    min_residual = min(r.residual_likelihood * r.residual_impact for r in ratings)
    max_residual = max(r.residual_likelihood * r.residual_impact for r in ratings)
    assert 100 * min_residual <= result.score_c <= 100 * max_residual


@settings(max_examples=200, deadline=None)
@given(ratings=rating_lists(), factor=st.integers(2, 9))
def test_weights_are_normalised(ratings, factor):
    weights = [r.weight for r in ratings]
    normalised = scoring.normalised_weights(weights)
    assert sum(normalised) == 1 and all(0 < w <= 1 for w in normalised)
    # Only relative weights matter: scaling them all changes no score.
    scaled = [RatingLevels(**{**vars(r), "weight": r.weight * factor}) for r in ratings]
    assert _fields(agreement_score(ratings, matrix=STANDARD, rollup=WEIGHTED)) == _fields(
        agreement_score(scaled, matrix=STANDARD, rollup=WEIGHTED)
    )
    # The weighted mean is the sum of normalised weight x score, exactly.
    exact = sum(w * r.residual_likelihood * r.residual_impact for w, r in zip(normalised, ratings, strict=True))
    result = agreement_score(ratings, matrix=STANDARD, rollup=WEIGHTED)
    assert Fraction(result.residual_wsum, result.weight_total) == exact


@settings(max_examples=200, deadline=None)
@given(matrix=monotone_matrices(), rollup=rollups(), ratings=rating_lists(), seed=st.integers(0, 10**6))
def test_the_result_does_not_depend_on_input_order(matrix, rollup, ratings, seed):
    shuffled = list(ratings)
    random.Random(seed).shuffle(shuffled)
    assert agreement_score(ratings, matrix=matrix, rollup=rollup) == agreement_score(
        shuffled, matrix=matrix, rollup=rollup
    )


@st.composite
def portfolios(draw):
    states = []
    for agreement_id in range(1, draw(st.integers(1, 6)) + 1):
        ratings = draw(rating_lists())
        scores = tuple(rating_score(RatingLevels(**{**vars(r), "rating_id": agreement_id * 100 + r.rating_id}),
                                    matrix=STANDARD) for r in ratings)
        result = scoring.agreement_result(scores, matrix=STANDARD, rollup=WEIGHTED)
        partners = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True)))
        states.append(AgreementState(agreement_id, draw(st.booleans()), partners, result, scores))
    return states


@settings(max_examples=150, deadline=None)
@given(states=portfolios(), seed=st.integers(0, 10**6))
def test_portfolio_tallies_do_not_depend_on_agreement_order(states, seed):
    shuffled = list(states)
    random.Random(seed).shuffle(shuffled)
    assert portfolio_tallies(states) == portfolio_tallies(shuffled)


@settings(max_examples=150, deadline=None)
@given(states=portfolios(), data=st.data())
def test_applying_deltas_equals_recomputing_from_scratch(states, data):
    """The incremental path's algebra: old tallies + (new - old contributions) == new tallies."""
    index = data.draw(st.integers(0, len(states) - 1))
    old = states[index]
    replacement = data.draw(portfolios())[0]
    new = AgreementState(old.agreement_id, data.draw(st.booleans()), old.partner_ids, replacement.result,
                         replacement.ratings)
    updated = [*states[:index], new, *states[index + 1:]]

    tallies = portfolio_tallies(states)
    for key, delta in contributions_delta(agreement_contributions(old), agreement_contributions(new)).items():
        tallies[key] = tallies.get(key, Tally()) + delta
    tallies = {key: tally for key, tally in tallies.items() if not tally.is_zero or key == scoring.PORTFOLIO}

    assert tallies == portfolio_tallies(updated)
    assert all(v >= 0 for tally in tallies.values() for v in (tally.n, *tally.band_counts))


@settings(max_examples=150, deadline=None)
@given(states=portfolios(), data=st.data())
def test_per_team_tallies_add_up_to_the_all_teams_tallies_and_follow_a_team_move(states, data):
    """Keys carry the owner team: summing a key over the teams gives the tally without teams, and a
    move to another team (with any new result and partners) is exactly a delta on the team keys."""
    teams = [replace(s, team_id=data.draw(st.integers(1, 3))) for s in states]
    by_team = portfolio_tallies(teams, by_team=True)
    summed: dict[tuple, Tally] = {}
    for key, tally in by_team.items():
        summed[key[:-1]] = summed.get(key[:-1], Tally()) + tally
    assert summed == {k: t for k, t in portfolio_tallies(states).items() if t.n}
    assert all(t.n > 0 for t in by_team.values())

    index = data.draw(st.integers(0, len(teams) - 1))
    old = teams[index]
    replacement = data.draw(portfolios())[0]
    moved = AgreementState(old.agreement_id, data.draw(st.booleans()), replacement.partner_ids, replacement.result,
                           replacement.ratings, data.draw(st.integers(1, 3)))
    for key, delta in contributions_delta(agreement_contributions(old), agreement_contributions(moved)).items():
        by_team[key] = by_team.get(key, Tally()) + delta
    assert {k: t for k, t in by_team.items() if not t.is_zero} == portfolio_tallies(
        [*teams[:index], moved, *teams[index + 1:]], by_team=True)


def test_a_centi_score_shows_as_its_decimal_does():
    """Pages write hundreds of scores with ``centi_text``: the same text as the Decimal."""
    for centi in [*range(0, 2600), -5, -150, 123_456]:
        assert scoring.centi_text(centi) == str(scoring.centi_to_decimal(centi)), centi
    assert scoring.centi_text(None) == ""
