"""The agreements list and an agreement's page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import ListView, TemplateView

from riskboard.dashboards import charts
from riskboard.dashboards.selectors import agreement_score_history
from riskboard.permissions import Action, can

from .. import selectors
from ..filtersets import AgreementFilterSet
from .common import assessment_rating_views


class CountedPaginator(Paginator):
    """A paginator told how many rows there are, so it does not count them."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached property: this is its value


class AgreementListView(ListView):
    template_name = "assessments/agreement_list.html"
    context_object_name = "agreements"
    paginate_by = 25

    def get_queryset(self):
        self.filterset = AgreementFilterSet(
            self.request.GET or None,
            queryset=selectors.agreement_list(user=self.request.user).order_by("reference"),
            request=self.request,
        )
        return self.filterset.qs

    def get_paginator(self, queryset, per_page, **kwargs):
        # Without a filter the list is every agreement the user may see: their teams' stored
        # counts say how many, where counting the rows would read all of them.
        if not self._filtered():
            return CountedPaginator(queryset, per_page, count=selectors.agreement_count_visible(
                user=self.request.user), **kwargs)
        return super().get_paginator(queryset, per_page, **kwargs)

    def _filtered(self) -> bool:
        form = self.filterset.form
        return any(form.data.get(name) for name in form.fields if name != "ordering")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        form = self.filterset.form
        context.update(
            filterset=self.filterset,
            freshness=selectors.agreements_stored_scores(agreements=context["agreements"]),
            filter_form=form,
            partner_chosen=getattr(form, "cleaned_data", {}).get("partner"),
            filtered=self._filtered(),
            ordering=self.request.GET.get("ordering", ""),
            page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            has_teams=selectors.teams_visible_to(user=self.request.user).exists(),
            columns=self.columns(),
        )
        return context

    def columns(self) -> dict[str, dict]:
        """Per sortable column: the ordering its header link applies and its aria-sort state."""
        current = self.request.GET.get("ordering", "")
        columns = {}
        for key in ("reference", "title", "team", "status", "band", "next_review", "end_date"):
            if current == key:
                columns[key] = {"ordering": f"-{key}", "aria_sort": "ascending"}
            elif current == f"-{key}":
                columns[key] = {"ordering": key, "aria_sort": "descending"}
            else:
                columns[key] = {"ordering": key, "aria_sort": ""}
        if not current:  # the default order
            columns["reference"] = {"ordering": "-reference", "aria_sort": "ascending"}
        return columns


class AgreementDetailView(TemplateView):
    template_name = "assessments/agreement_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        # The list's row: which assessments are current and open, and the stored score, in one query.
        agreement = get_object_or_404(selectors.agreement_list(user=user), pk=kwargs["pk"])
        selectors.agreements_stored_scores(agreements=[agreement])
        history = list(selectors.agreement_history(agreement=agreement))
        by_id = {assessment.pk: assessment for assessment in history}
        current = by_id.get(agreement.current_assessment_id)
        current_ratings = assessment_rating_views(assessment=current) if current else []
        score_history = agreement_score_history(agreement=agreement)
        return super().get_context_data(
            agreement=agreement,
            partners=list(agreement.partners.all()),
            history=history,
            current=current,
            current_ratings=current_ratings,
            score_history=score_history,
            category_figure=_category_figure(current, current_ratings),
            history_figure=charts.score_history_figure(score_history, link=_assessment_url)
            if len(score_history) > 1 else None,
            open_assessment=by_id.get(agreement.open_assessment_id),
            stored=agreement.stored,
            freshness=agreement.stored.freshness,
            can_edit=can(user, Action.EDIT, agreement.owner_team_id),
            can_review=can(user, Action.REVIEW, agreement.owner_team_id),
            **kwargs,
        )


def _assessment_url(pk: int) -> str:
    return reverse("assessments:assessment-detail", args=[pk])


def _category_figure(current, views) -> dict | None:
    """Inherent against residual per category of the current assessment, each bar leading to its rating."""
    if current is None or not any(view.complete for view in views):
        return None
    url = _assessment_url(current.pk)
    return charts.category_bars_figure(views, link=lambda code: f"{url}#category-{code}")
