"""Reads for the API's score endpoints, in the shape its clients get: plain dicts, built in bulk.

No number is computed here. Agreement scores are the stored rows as the agreement pages read them
(``selectors.agreement_list`` and ``agreements_stored_scores``: bands, freshness). Partner,
category and portfolio scores are the stored per-team tallies of the teams the caller may see,
added up by the score pages' selectors (``scoped_tally_rows``, ``scoped_tallies``,
``scoped_tallies_as_of``); their means, range and band distribution are ``scoring.Tally``'s, and
the band of a mean is the dashboard's (``DisplayScale.band_of_mean``). Every function serves a
page of rows in a fixed number of queries, whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, QuerySet

from riskboard.dashboards.selectors.scope import DisplayScale, scoring_rules

from .. import scoring
from ..models import Agreement, ScoreLevel
from ..selectors import (
    agreement_list,
    agreements_stored_scores,
    bands_by_catalogue,
    partners_visible_to,
    scoped_computed_at_as_of,
    scoped_freshness,
    scoped_pending,
    scoped_pending_partners,
    scoped_tallies,
    scoped_tallies_as_of,
    tally_of_sums,
)
from ..selectors.scores import PORTFOLIO_KEY


def _centi(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _code(bands, rank) -> str | None:
    band = bands.get(rank) if rank else None
    return band.code if band else None


# --- Agreements ----------------------------------------------------------------------------------


def agreement_scores_for_api(*, user) -> QuerySet[Agreement]:
    """The agreements ``user`` may see that have a stored score, as the agreement list reads them
    (its annotations serve its filters), with ``computed_at``: the sync order of scores."""
    return (
        agreement_list(user=user).prefetch_related(None).filter(score__isnull=False)
        .annotate(computed_at=F("score__computed_at"))
    )


def agreement_score_rows(agreements: Iterable[Agreement]) -> list[dict]:
    """Rows of ``agreement_scores_for_api``: each stored score with its bands and freshness as the
    agreement pages show them (no query while the catalogues' bands are cached)."""
    agreements = list(agreements)
    agreements_stored_scores(agreements=agreements)  # sets .stored: bands and freshness, as the pages
    bands = bands_by_catalogue(a.score.catalogue_id for a in agreements)
    out = []
    for a in agreements:
        score, stored = a.score, a.stored

        def code(rank, catalogue_id=score.catalogue_id):
            band = bands.get((catalogue_id, rank))
            return band.code if band else None

        out.append({
            "agreement": {"id": a.pk, "reference": a.reference, "title": a.title, "status": a.status},
            "team": {"id": a.owner_team_id, "slug": a.owner_team.slug, "name": a.owner_team.name},
            "assessment": score.assessment_id,
            "catalogue": score.catalogue_id,
            "counted": score.is_active,
            "ratings": score.n_ratings,
            "score": _centi(score.score),
            "score_low": _centi(score.score_low),
            "score_high": _centi(score.score_high),
            "inherent_score": _centi(score.inherent_score),
            "band": stored.band.code if stored.band else None,
            "band_low": code(score.band_rank_low),
            "band_high": code(score.band_rank_high),
            "worst_band": stored.worst_band.code if stored.worst_band else None,
            "band_counts": {code(rank): count for rank, count in enumerate(score.band_counts, 1) if count},
            "fingerprint": score.fingerprint,
            "computed_at": stored.freshness.computed_at,
            "pending": stored.freshness.pending,
        })
    return out


# --- Partners, categories, the portfolio ---------------------------------------------------------


def tally_fields(tally: scoring.Tally, scale: DisplayScale) -> dict:
    """What a tally shows, as the score pages and the dashboard show it: counted, the means and
    their range, the band of the mean, the worst band counted and the distribution by band."""
    band = scale.band_of_mean(tally)
    return {
        "counted": tally.n,
        "score": _centi(tally.score),
        "score_low": _centi(tally.score_low),
        "score_high": _centi(tally.score_high),
        "inherent_score": _centi(tally.inherent_score),
        "band": band.code if band else None,
        "worst_band": _code(scale.bands, tally.worst_rank),
        "band_counts": {_code(scale.bands, rank) or str(rank): count
                        for rank, count in enumerate(tally.band_counts, 1) if count},
        "fingerprint": tally.fingerprint,
    }


def partner_score_rows(rows: Iterable[dict], *, column: str, user, team_ids, day: dt.date | None) -> list[dict]:
    """Rows of ``scoped_tally_rows`` at the partner level, with each partner's name and freshness
    (two queries). A partner is named only while the caller may see it, as on the dashboard."""
    rows = list(rows)
    ids = [int(row[column]) for row in rows]
    names = dict(partners_visible_to(user=user).filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    pending = scoped_pending_partners(team_ids=team_ids, partner_ids=ids) if day is None else set()
    scale = scoring_rules().scale
    return [
        {
            "partner": {"id": pk, "name": names.get(pk)},
            **tally_fields(tally_of_sums(row), scale),
            "computed_at": row["computed"],
            "pending": pk in pending,
            "as_of": day,
        }
        for pk, row in zip(ids, rows, strict=True)
    ]


def category_score_rows(rows: Iterable[dict], *, column: str, team_ids, day: dt.date | None) -> list[dict]:
    """Rows of ``scoped_tally_rows`` at the category level, with each category's name (from the
    cached scoring rules) and freshness (one query)."""
    rows = list(rows)
    rules = scoring_rules()
    names = rules.category_names
    pending = scoped_pending(team_ids=team_ids) if rows and day is None else False
    return [
        {
            "category": {"code": row[column], "name": names.get(row[column], row[column])},
            **tally_fields(tally_of_sums(row), rules.scale),
            "computed_at": row["computed"],
            "pending": pending,
            "as_of": day,
        }
        for row in rows
    ]


def portfolio_score(*, team_ids: frozenset[int] | None, day: dt.date | None) -> dict:
    """The portfolio of ``team_ids``: live (and its freshness, as the score pages say it), or as it
    stood on a past ``day`` from the snapshots. Two queries."""
    scale = scoring_rules().scale
    if day is None:
        tally = scoped_tallies(team_ids=team_ids, level=ScoreLevel.PORTFOLIO)
        freshness = scoped_freshness(team_ids=team_ids, level=ScoreLevel.PORTFOLIO)
        computed_at, pending = freshness.computed_at, freshness.pending
    else:
        tally = scoped_tallies_as_of(team_ids=team_ids, level=ScoreLevel.PORTFOLIO, day=day)
        computed_at, pending = scoped_computed_at_as_of(team_ids=team_ids, level=ScoreLevel.PORTFOLIO, day=day), False
    return {**tally_fields(tally[PORTFOLIO_KEY], scale), "computed_at": computed_at, "pending": pending, "as_of": day}


__all__ = [
    "agreement_score_rows", "agreement_scores_for_api", "category_score_rows", "partner_score_rows", "portfolio_score",
    "tally_fields",
]
