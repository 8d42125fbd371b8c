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
        """Read ``RiskCatalogue.rollup_method`` and ``rollup_params``; raise ValueError if unusable.

        A count rule reads ``{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}``, or
        ``{"rules": [{...}, ...]}`` for several. Without parameters, two or more ratings in the
        second most severe band raise the agreement to the most severe band.
        """
        if method not in ROLLUP_METHODS:
            raise ValueError(f"Unknown roll-up method {method!r}; use one of {', '.join(ROLLUP_METHODS)}.")
        if method != COUNT_RULE:
            return cls(method=method)
        params = dict(params or {})
        specs = params.get("rules", [params] if params else [])
        if not specs:
            ranks = sorted(ranks_by_code.values())
            if len(ranks) < 2:
                raise ValueError("A count rule needs at least two bands.")
            return cls(method=method, rules=(CountRule(band_rank=ranks[-2], min_count=2, to_rank=ranks[-1]),))
        rules = []
        for spec in specs:
            try:
                band, to_band, min_count = spec["escalate_band"], spec["to_band"], int(spec["min_count"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(
                    "A count rule needs escalate_band, min_count and to_band, e.g. "
                    '{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"}.'
                ) from exc
            unknown = [code for code in (band, to_band) if code not in ranks_by_code]
            if unknown:
                raise ValueError(f"The count rule names unknown bands: {', '.join(map(str, unknown))}.")
            if min_count < 1:
                raise ValueError("The count rule's min_count must be at least 1.")
            rules.append(CountRule(ranks_by_code[band], min_count, ranks_by_code[to_band]))
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
