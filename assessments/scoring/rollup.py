"""How the category ratings of one assessment roll up into its agreement's band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .matrix import Matrix, worst_rank

# Values of catalogue.choices.RollupMethod (a test keeps them in step; importing it would pull in
# django.db).
WEIGHTED_MEAN = "weighted_mean"
WORST_CASE = "worst_case"
COUNT_RULE = "count_rule"
ROLLUP_METHODS = (WEIGHTED_MEAN, WORST_CASE, COUNT_RULE)


@dataclass(frozen=True)
class CountRule:
    """When at least ``min_count`` categories are rated at ``band_rank`` or worse, the agreement's band
    is at least ``to_rank`` ("two or more High make Critical")."""

    band_rank: int
    min_count: int
    to_rank: int


class RollupError(ValueError):
    """Unusable roll-up method or parameters. ``problems`` lists ``(place, message)``, the place being
    where in the catalogue's fields it is, e.g. ``rollup_params.rules[1].to_band``."""

    def __init__(self, problems: Iterable[tuple[str, str]]):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{place}: {message}" for place, message in self.problems))


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class Rollup:
    """How category ratings roll up into an agreement's band; chosen per catalogue version.

    - ``weighted_mean``: the band of the weighted mean residual score (``Matrix.band_for_mean``),
      raised by its optional ``CountRule``s used as floors ("one or more Critical make at least
      High"), so that a severe category never vanishes into an average;
    - ``worst_case``: the worst residual band;
    - ``count_rule``: the worst residual band, raised by every matching ``CountRule``.

    Whatever the method, the band is ``max(base band, to_rank of every matching rule)``: the
    rules only ever raise it (``raised_by`` names the ones that did).
    """

    method: str = WEIGHTED_MEAN
    rules: tuple[CountRule, ...] = ()

    @classmethod
    def from_params(
        cls, method: str, params: Mapping | None, *, ranks_by_code: Mapping[str, int], lenient: bool = False
    ) -> Rollup:
        """Read ``RiskCatalogue.rollup_method`` and ``rollup_params`` against the catalogue's bands
        (``{code: rank}``); raise ``RollupError`` (a ValueError) listing every problem with its place.

        A count rule reads ``{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}``, or
        ``{"rules": [{...}, ...]}`` for several. Without parameters, two or more ratings in the
        second most severe band raise the agreement to the most severe band. Publishing and
        importing a catalogue check it with this same function.

        A weighted mean takes its floors in the same form, as ``{"rules": [...]}`` only; without
        parameters (``{}``) it has none. A key other than ``rules`` is refused, so that a misspelt
        floor is not silently dropped, unless ``lenient``: the scores read stored catalogues
        leniently, since a published catalogue may carry keys from before floors existed, which
        never counted and must not now stop its scores. ``worst_case`` takes no parameters.
        """
        if method not in ROLLUP_METHODS:
            raise RollupError([("rollup_method", f"unknown roll-up method {_shown(method)}; use one of "
                                                 f"{', '.join(ROLLUP_METHODS)}")])
        if method == WORST_CASE:
            return cls(method=method)
        if params is not None and not isinstance(params, Mapping):
            raise RollupError([("rollup_params", f"must be a mapping, not {_shown(params)}")])
        params = dict(params or {})
        if method == WEIGHTED_MEAN:
            unknown = sorted(str(key) for key in params if key != "rules")
            if unknown and not lenient:
                raise RollupError([
                    (f"rollup_params.{key}", 'a weighted mean reads only "rules" (its floors), such as '
                                             '{"rules": [{"escalate_band": "CRITICAL", "min_count": 1, '
                                             '"to_band": "HIGH"}]}')
                    for key in unknown
                ])
            if "rules" not in params:
                return cls(method=method)
            params = {"rules": params["rules"]}
        several = "rules" in params
        specs = params["rules"] if several else [params] if params else []
        if not specs and method == WEIGHTED_MEAN:
            return cls(method=method)  # "rules": [] is no floor
        if not specs:
            ranks = sorted(ranks_by_code.values())
            if len(ranks) < 2:
                raise RollupError([("rollup_params", "a count rule without parameters needs at least two bands")])
            return cls(method=method, rules=(CountRule(band_rank=ranks[-2], min_count=2, to_rank=ranks[-1]),))
        if not isinstance(specs, list | tuple):
            raise RollupError([("rollup_params.rules", f"must be a list of count rules, not {_shown(specs)}")])
        rules, problems = [], []
        codes = ", ".join(ranks_by_code)
        for index, spec in enumerate(specs):
            place = f"rollup_params.rules[{index}]" if several else "rollup_params"
            if not isinstance(spec, Mapping):
                problems.append((place, 'must be a count rule such as {"escalate_band": "HIGH", "min_count": 2, '
                                        f'"to_band": "CRITICAL"}}, not {_shown(spec)}'))
                continue
            found: dict[str, int] = {}
            for key in ("escalate_band", "to_band"):
                code = spec.get(key)
                if key not in spec:
                    problems.append((f"{place}.{key}", "missing: name a band"))
                elif not isinstance(code, str) or code not in ranks_by_code:
                    problems.append((f"{place}.{key}", f"unknown band {_shown(code)}; use one of {codes}"))
                else:
                    found[key] = ranks_by_code[code]
            try:
                min_count = int(spec["min_count"])
            except KeyError:
                problems.append((f"{place}.min_count", "missing: how many categories escalate"))
            except (TypeError, ValueError, OverflowError):
                problems.append((f"{place}.min_count", f"must be a whole number, not {_shown(spec['min_count'])}"))
            else:
                if min_count < 1:
                    problems.append((f"{place}.min_count", f"must be at least 1, not {min_count}"))
                elif len(found) == 2:
                    rules.append(CountRule(found["escalate_band"], min_count, found["to_band"]))
        if problems:
            raise RollupError(problems)
        return cls(method=method, rules=tuple(rules))

    def base_band(self, *, ranks: Iterable[int], weighted_sum: int, weight_total: int, matrix: Matrix) -> int:
        """The band before any rule raises it: the weighted mean's band, or the worst residual band."""
        if self.method == WEIGHTED_MEAN:
            return matrix.band_for_mean(weighted_sum, weight_total)
        return worst_rank(ranks)

    def matching_rules(self, *, ranks: Iterable[int]) -> tuple[CountRule, ...]:
        """The rules whose condition holds for ratings in bands ``ranks``."""
        ranks = list(ranks)
        return tuple(
            rule for rule in self.rules if sum(1 for rank in ranks if rank >= rule.band_rank) >= rule.min_count
        )

    def band(self, *, ranks: Iterable[int], weighted_sum: int, weight_total: int, matrix: Matrix) -> int:
        """The agreement band (its headline band) for ratings in bands ``ranks`` with the given
        weighted residual sum (weights in hundredths): the base band, raised to the ``to_rank`` of
        every matching rule. A rank of the catalogue's bands, 1 = least severe."""
        ranks = list(ranks)
        base = self.base_band(ranks=ranks, weighted_sum=weighted_sum, weight_total=weight_total, matrix=matrix)
        return max([base, *(rule.to_rank for rule in self.matching_rules(ranks=ranks))])

    def raised_by(self, *, ranks: Iterable[int], weighted_sum: int, weight_total: int, matrix: Matrix
                  ) -> tuple[CountRule, ...]:
        """The matching rules that set the band above the base band (those with the highest
        ``to_rank``, when it is above); empty when no rule raised it. For the explanation page."""
        ranks = list(ranks)
        base = self.base_band(ranks=ranks, weighted_sum=weighted_sum, weight_total=weight_total, matrix=matrix)
        matching = self.matching_rules(ranks=ranks)
        top = max((rule.to_rank for rule in matching), default=base)
        return tuple(rule for rule in matching if rule.to_rank == top) if top > base else ()

    def describe_rule(self, rule: CountRule, *, labels_by_rank: Mapping[int, str]) -> str:
        """One rule in words: "1 or more categories at Critical or worse make at least High"."""
        def label(rank: int) -> str:
            return str(labels_by_rank.get(rank, rank))

        categories = "category" if rule.min_count == 1 else "categories"
        return (f"{rule.min_count} or more {categories} at {label(rule.band_rank)} or worse make at least "
                f"{label(rule.to_rank)}")

    def describe(self, *, labels_by_rank: Mapping[int, str]) -> str:
        """The method in words, for the explanation page."""
        if self.method == WORST_CASE:
            return "Worst residual band"
        rules = "; ".join(self.describe_rule(rule, labels_by_rank=labels_by_rank) for rule in self.rules)
        if self.method == WEIGHTED_MEAN:
            base = "Band of the weighted mean residual score"
            return f"{base}, raised by floors: {rules}" if rules else base
        return f"Worst residual band, raised by count rules: {rules}"
