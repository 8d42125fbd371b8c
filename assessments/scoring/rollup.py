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

    - ``weighted_mean``: the band of the weighted mean residual score (``Matrix.band_for_mean``);
    - ``worst_case``: the worst residual band;
    - ``count_rule``: the worst residual band, raised by the first matching ``CountRule``s.
    """

    method: str = WEIGHTED_MEAN
    rules: tuple[CountRule, ...] = ()

    @classmethod
    def from_params(cls, method: str, params: Mapping | None, *, ranks_by_code: Mapping[str, int]) -> Rollup:
        """Read ``RiskCatalogue.rollup_method`` and ``rollup_params`` against the catalogue's bands
        (``{code: rank}``); raise ``RollupError`` (a ValueError) listing every problem with its place.

        A count rule reads ``{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}``, or
        ``{"rules": [{...}, ...]}`` for several. Without parameters, two or more ratings in the
        second most severe band raise the agreement to the most severe band. Publishing and
        importing a catalogue check it with this same function.
        """
        if method not in ROLLUP_METHODS:
            raise RollupError([("rollup_method", f"unknown roll-up method {_shown(method)}; use one of "
                                                 f"{', '.join(ROLLUP_METHODS)}")])
        if method != COUNT_RULE:
            return cls(method=method)
        if params is not None and not isinstance(params, Mapping):
            raise RollupError([("rollup_params", f"must be a mapping, not {_shown(params)}")])
        params = dict(params or {})
        several = "rules" in params
        specs = params["rules"] if several else [params] if params else []
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

    def band(self, *, ranks: Iterable[int], weighted_sum: int, weight_total: int, matrix: Matrix) -> int:
        """The agreement band for ratings in bands ``ranks`` with the given weighted residual sum."""
        ranks = list(ranks)
        if self.method == WEIGHTED_MEAN:
            return matrix.band_for_mean(weighted_sum, weight_total)
        worst = worst_rank(ranks)
        for rule in self.rules:
            if sum(1 for rank in ranks if rank >= rule.band_rank) >= rule.min_count:
                worst = max(worst, rule.to_rank)
        return worst

    def describe(self, *, labels_by_rank: Mapping[int, str]) -> str:
        """The method in words, for the explanation page."""
        if self.method == WEIGHTED_MEAN:
            return "Band of the weighted mean residual score"
        if self.method == WORST_CASE:
            return "Worst residual band"
        rules = "; ".join(
            f"{rule.min_count} or more at {labels_by_rank.get(rule.band_rank, rule.band_rank)} or worse make "
            f"at least {labels_by_rank.get(rule.to_rank, rule.to_rank)}"
            for rule in self.rules
        )
        return f"Worst residual band, raised by count rules: {rules}"
