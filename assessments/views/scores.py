""""Explain a score" pages: how each stored score was made, and how fresh it is.

Who may see what: an agreement's score, whoever may see the agreement (404 otherwise); a
partner's, whoever may see one of its agreements (404 otherwise); category and portfolio
scores, anyone with a role (404 without one). Partner, category and portfolio scores count
the agreements of the teams the viewer may see, and nothing else: the listed agreements are
exactly the ones counted (``selectors.explain``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from riskboard.permissions import Action, grants_for

from .. import selectors
from ..models import Partner


def _require_some_role(user) -> None:
    grants = grants_for(user)
    if Action.VIEW not in grants.everywhere and not grants.team_ids(Action.VIEW):
        raise Http404("No scores to show.")


@login_required
def agreement_score(request, pk: int):
    visible = selectors.agreements_visible(user=request.user)
    agreement = get_object_or_404(visible.select_related("owner_team"), pk=pk)
    explanation = selectors.agreement_explain(agreement=agreement)
    return render(request, "scores/agreement.html", {
        "agreement": agreement, "explanation": explanation, "freshness": explanation.freshness,
        "partners": agreement.partners.filter(agreements__in=visible).distinct(),
    })


@login_required
def partner_score(request, pk: int):
    visible = Partner.objects.filter(agreements__in=selectors.agreements_visible(user=request.user)).distinct()
    partner = get_object_or_404(visible, pk=pk)
    explanation = selectors.partner_explain(partner=partner, user=request.user)
    return render(request, "scores/partner.html", {
        "partner": partner, "explanation": explanation, "freshness": explanation.freshness,
    })


@login_required
def category_score(request, code: str):
    _require_some_role(request.user)
    explanation = selectors.category_explain(code=code, user=request.user)
    if explanation.tally.n == 0 and not selectors.category_known(code):
        raise Http404("No such category.")
    return render(request, "scores/category.html", {
        "code": code, "explanation": explanation, "freshness": explanation.freshness,
    })


@login_required
def portfolio_score(request):
    _require_some_role(request.user)
    explanation = selectors.portfolio_explain(user=request.user)
    return render(request, "scores/portfolio.html", {"explanation": explanation, "freshness": explanation.freshness})


__all__ = ["agreement_score", "category_score", "partner_score", "portfolio_score"]
