"""Reads of stored scores for pages and endpoints, each with its freshness.

Every read says when its numbers were computed (``computed_at``) and whether a recompute is
pending (``pending``: a dirty mark exists for an agreement the number depends on), so a page
never shows an aggregate without saying how fresh it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from riskboard.permissions import Action

from ..models import (
    Agreement,
    AgreementScore,
    CategoryScore,
    DirtyAgreement,
    Partner,
    PartnerCategoryScore,
    PartnerScore,
    PortfolioScore,
)


@dataclass(frozen=True)
class Freshness:
    computed_at: dt.datetime | None
    pending: bool


def _any_dirty():
    return Exists(DirtyAgreement.objects.all())


def agreements_visible(*, user) -> QuerySet[Agreement]:
    return Agreement.objects.restrict(user, Action.VIEW)


def agreement_score_read(*, agreement: Agreement) -> tuple[AgreementScore | None, Freshness]:
    """The agreement's stored score and its freshness (two queries)."""
    score = AgreementScore.objects.select_related("assessment", "catalogue").filter(agreement=agreement).first()
    pending = DirtyAgreement.objects.filter(agreement=agreement).exists()
    return score, Freshness(score.computed_at if score else None, pending)


def partner_scores() -> QuerySet[PartnerScore]:
    """Partner scores with ``pending``: an agreement of the partner awaits a recompute."""
    return PartnerScore.objects.select_related("partner").annotate(
        pending=Exists(DirtyAgreement.objects.filter(agreement__partners=OuterRef("partner_id")))
    )


def partner_category_scores(*, partner: Partner) -> QuerySet[PartnerCategoryScore]:
    return PartnerCategoryScore.objects.filter(partner=partner).order_by("category_code")


def category_scores() -> QuerySet[CategoryScore]:
    """Category scores with ``pending``: any agreement awaits a recompute (it may rate any category)."""
    return CategoryScore.objects.annotate(pending=_any_dirty()).order_by("category_code")


def portfolio_score_read() -> tuple[PortfolioScore | None, Freshness]:
    """The portfolio score (None before the first recompute) and its freshness (one query)."""
    row = PortfolioScore.objects.annotate(pending=_any_dirty()).first()
    if row is None:
        return None, Freshness(None, DirtyAgreement.objects.exists())
    return row, Freshness(row.computed_at, row.pending)
