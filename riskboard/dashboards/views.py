"""The dashboards: the manager's (also the administrator's and, read-only, the auditor's), the
analyst's home, a partner's page, the drill-downs behind the charts, and each chart's CSV.

Views are thin: filters and scope from ``filtersets``, numbers from ``selectors``, figures from
``charts``, CSV rows from ``exports``. Every number starts from what the user may see.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments.models import Agreement, DirtyAgreement, ScoreLevel
from assessments.selectors import Freshness
from assessments.selectors.explain import category_known
from assessments.views.common import assessment_rating_views
from riskboard.permissions import Action, grants_for

from . import charts, exports, selectors
from .filtersets import DashboardFilters, dashboard_filters
from .selectors.work import DUE_WITHIN_DAYS

MATRIX_PAGE_SIZE = 25
LEVELS = range(1, 6)


def _link(name: str, *args, query: str = "") -> str:
    url = reverse(name, args=args)
    return f"{url}?{query}" if query else url


def _link_maker(name: str, *kinds: type, query: str = "") -> Callable[..., str]:
    """``make(*args)``: the URL of ``name`` with ``args``, plus ``query``, as ``_link`` gives it. The
    URL is resolved once, with placeholder arguments, then filled in: a dashboard links every cell
    of its charts and tables, and resolving a URL each time costs more than the rest of the page.
    ``kinds``: the type of each argument: int (an ``<id:>``), or str (a ``<str:>`` or ``<slug:>``)."""
    placeholders = [9_876_543_210 + i if kind is int else f"PLACEHOLDER{i}X" for i, kind in enumerate(kinds)]
    pattern = reverse(name, args=placeholders)
    # The pattern cut at its placeholders (positional arguments fill it in their order): the text
    # before the first, then the text after each.
    parts = [pattern]
    for placeholder in placeholders:
        parts[-1:] = parts[-1].split(str(placeholder), 1)
    parts[-1] += f"?{query}" if query else ""
    fillers = [(kind is int, after) for kind, after in zip(kinds, parts[1:], strict=True)]

    def make(*args) -> str:
        url = parts[0]
        for value, (is_int, after) in zip(args, fillers, strict=True):
            url += (str(int(value)) if is_int else quote(str(value), safe="")) + after
        return url

    return make


def _has_role(user) -> bool:
    grants = grants_for(user)
    return bool(grants.everywhere) or bool(grants.per_team)


def _heatmap_link(filters: DashboardFilters) -> Callable[[int, str], str]:
    # Cached: the table and the figure link the same cells.
    return functools.cache(_link_maker("dashboards:heatmap-cell", int, str, query=filters.querystring))


def _matrix_link(filters: DashboardFilters) -> Callable[[str, int, int], str]:
    """``link(side, likelihood, impact)``: a matrix cell's URL, as ``_link`` gives it. The URL is
    resolved once: the side by a placeholder (as ``_link_maker`` does), the two levels (whose
    pattern admits 1 to 5 only) by the path's last two segments."""
    placeholder = "PLACEHOLDERSIDEX"
    pattern = reverse("dashboards:matrix-cell", args=[placeholder, 1, 1])
    head = pattern[:pattern.rindex("/1/1/")]
    suffix = f"?{filters.querystring}" if filters.querystring else ""

    def link(side: str, likelihood: int, impact: int) -> str:
        return f"{head.replace(placeholder, quote(str(side), safe=''), 1)}/{int(likelihood)}/{int(impact)}/{suffix}"

    return link


def _mover_link(mover) -> str:
    if mover.level == "partner":
        return reverse("dashboards:partner-detail", args=[int(mover.key)])
    return reverse("scores:category", args=[mover.key])


def _freshness(filters: DashboardFilters):
    """When the scores were last recomputed, and whether a change to an agreement counted is waiting."""
    computed = assessment_selectors.scoped_computed_at(team_ids=filters.team_ids, level=ScoreLevel.PORTFOLIO)
    pending = DirtyAgreement.objects.filter(agreement_id__in=filters.agreements.values("pk")).exists()
    return Freshness(computed, pending)


# --- The dashboard --------------------------------------------------------------------------------


def dashboard(request):
    """The portfolio at a glance: what needs attention, the heatmap, the matrix, bands, top
    agreements, trends and movers, all filtered alike (filters in the URL)."""
    user = request.user
    filters = dashboard_filters(user=user, data=request.GET)
    rules = selectors.scoring_rules()
    scale = rules.scale
    # The teams' summaries when current (a few rows whatever the portfolio's size), else the same
    # numbers computed from the stored scores.
    summaries = selectors.current_summaries(filters=filters)
    heatmap = selectors.partner_heatmap(
        filters=filters, rules=rules, page=request.GET.get("page"),
        order=summaries.partner_order if summaries else None, dates_kept=summaries is not None,
    )
    heatmap_link, partner_link = _heatmap_link(filters), _link_maker("dashboards:partner-detail", int)
    matrix_link = _matrix_link(filters)
    matrix = summaries.matrix(rules) if summaries else selectors.risk_matrix_counts(filters=filters, rules=rules)
    distribution = summaries.distribution() if summaries else selectors.band_distribution(filters=filters)
    portfolio = summaries.portfolio() if summaries else selectors.portfolio_tally(filters=filters)
    top = selectors.top_agreements(filters=filters, rules=rules,
                                   agreement_ids=summaries.top_candidates() if summaries else None,
                                   changes=summaries.top_changes() if summaries else None)
    trend_partners, trend_codes = selectors.trend_choices(filters=filters, data=request.GET)
    typed = selectors.trend_partners_typed(filters=filters, data=request.GET, chosen=trend_partners)
    trend_partners += typed.found
    trends = selectors.dashboard_trends(filters=filters, rules=rules, partners=trend_partners, codes=trend_codes,
                                        portfolio_today=portfolio if filters.team_only else None)
    movers = summaries and summaries.movers(period_days=filters.period_days, rules=rules,
                                            partner_names=selectors.visible_partner_names(user))
    movers = movers or selectors.dashboard_movers(filters=filters, rules=rules)
    approvals = selectors.approvals_queue(user=user, agreements=filters.agreements, limit=5)
    if summaries:
        overdue, due_soon = summaries.reviews_due_counts()
        reviews = selectors.reviews_due_known(overdue=overdue, due_soon=due_soon,
                                              candidates=summaries.review_candidates(), limit=5)
    else:
        reviews = selectors.reviews_due(user=user, agreements=filters.agreements, limit=5)
    bands = scale.ordered
    band_by_rank = dict(scale.bands)
    page = heatmap.page
    scores_partner = _link_maker("scores:partner", int)
    context = {
        "filters": filters,
        "filter_form": filters.form,
        "has_role": _has_role(user),
        "rules": rules,
        "bands": bands,
        "band_by_rank": band_by_rank,
        "portfolio": portfolio,
        "portfolio_band": scale.band_of_mean(portfolio),
        "severe": _severe_counts(distribution, bands),
        "heatmap": heatmap,
        "heatmap_table": heatmap.grid(link=heatmap_link),
        "partner_links": {row.partner_id: (partner_link(row.partner_id), scores_partner(row.partner_id))
                          for row in heatmap.rows},
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "matrix": matrix,
        "matrix_rows": _matrix_table(matrix, matrix_link),
        "distribution": distribution,
        "distribution_rows": [(band, distribution.headline[band.rank - 1], distribution.worst[band.rank - 1])
                              for band in bands],
        "top": top,
        "trends": trends,
        "trend_partners": trend_partners,
        "trend_codes": trend_codes,
        "trend_typed": typed,
        "trend_max": selectors.MAX_SERIES,
        "trend_query": urlencode([*(("trend_partner", pk) for pk, _ in trend_partners),
                                  *(("trend_category", code) for code in trend_codes)]),
        "movers": movers,
        "approvals": approvals,
        "reviews": reviews,
        "freshness": _freshness(filters),
        "can_review": Action.REVIEW in grants_for(user).everywhere or bool(grants_for(user).team_ids(Action.REVIEW)),
        "figures": {
            "heatmap": charts.heatmap_figure(heatmap, link=heatmap_link, partner_link=partner_link)
            if heatmap.rows else None,
            "matrix": charts.risk_matrix_figure(matrix, link=matrix_link) if matrix.total else None,
            "bands": charts.band_distribution_figure(distribution, bands=bands) if distribution.total else None,
            "top": charts.top_agreements_figure(top, bands=band_by_rank,
                                                link=_link_maker("assessments:agreement-detail", int))
            if top else None,
            "trends": charts.trend_figure(trends.series) if trends.has_history else None,
            "movers": charts.movers_figure(movers.all, link=_mover_link) if movers.all else None,
        },
    }
    return render(request, "dashboards/dashboard.html", context)


def _severe_counts(distribution, bands) -> list[tuple]:
    """The two most severe bands with their counts, most severe first: the headline tiles."""
    return [(band, distribution.headline[band.rank - 1], distribution.worst[band.rank - 1])
            for band in reversed(bands[-2:])]


def _matrix_table(matrix, link: Callable[[str, int, int], str]) -> list[dict]:
    """The matrix as table rows, most likely first: per cell its band and both counts with links."""
    scale = matrix.rules.scale
    rows = []
    for likelihood in reversed(LEVELS):
        for impact in LEVELS:
            rank = scale.matrix.band(likelihood, impact) if scale.matrix else None
            rows.append({
                "likelihood": likelihood, "impact": impact, "band": scale.band(rank),
                "sides": [(side, matrix.side(side).get((likelihood, impact), 0), link(side, likelihood, impact))
                          for side in selectors.SIDES],
            })
    return rows


# --- Drill-downs ---------------------------------------------------------------------------------------


def heatmap_cell(request, partner_id: int, code: str):
    """The agreements and ratings behind one heatmap cell, with their rationale."""
    partner = get_object_or_404(assessment_selectors.partners_visible_to(user=request.user), pk=partner_id)
    if not category_known(code):
        raise Http404("No such category.")
    filters = dashboard_filters(user=request.user, data=request.GET)
    rules = selectors.scoring_rules()
    cells = selectors.partner_category_cells(filters=filters, rules=rules, partner_ids=[partner.pk])
    cell = cells.get((partner.pk, code))
    ratings = selectors.heatmap_cell_ratings(filters=filters, partner=partner, code=code)
    bands_by_catalogue = {cid: r.bands for cid, r in rules.by_catalogue.items()}
    for rating in ratings:
        catalogue_bands = bands_by_catalogue.get(rating.assessment.catalogue_id, {})
        score = rating.agreement_score
        rating.residual = rating.residual_likelihood * rating.residual_impact
        rating.band = catalogue_bands.get(_rank(rules, rating))
        rating.headline_band = catalogue_bands.get(score.band_rank)
        rating.worst_band = catalogue_bands.get(score.worst_band_rank)
    return render(request, "dashboards/heatmap_cell.html", {
        "partner": partner, "code": code, "category_name": rules.category_names.get(code, code),
        "cell": cell, "cell_band": rules.scale.band_of_mean(cell.tally) if cell else None,
        "ratings": ratings, "filters": filters,
        "dashboard_url": _link("dashboards:dashboard", query=filters.querystring),
    })


def _rank(rules, rating) -> int | None:
    catalogue = rules.by_catalogue.get(rating.assessment.catalogue_id)
    return catalogue.matrix.band(rating.residual_likelihood, rating.residual_impact) if catalogue else None


def matrix_cell(request, side: str, likelihood: int, impact: int):
    """The ratings in one cell of the likelihood x impact matrix, a page at a time."""
    if side not in selectors.SIDES or likelihood not in LEVELS or impact not in LEVELS:
        raise Http404("No such cell.")
    filters = dashboard_filters(user=request.user, data=request.GET)
    rules = selectors.scoring_rules()
    ratings = selectors.matrix_cell_ratings(filters=filters, side=side, likelihood=likelihood, impact=impact)
    page = Paginator(ratings, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    scale = rules.scale
    band = scale.band(scale.matrix.band(likelihood, impact)) if scale.matrix else None
    return render(request, "dashboards/matrix_cell.html", {
        "side": side, "likelihood": likelihood, "impact": impact, "band": band, "filters": filters,
        "page_obj": page, "ratings": page.object_list,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "dashboard_url": _link("dashboards:dashboard", query=filters.querystring),
    })


# --- A partner's page -------------------------------------------------------------------------------------


def partner_detail(request, pk: int):
    """A partner as the user's teams see it: their agreements with it, its score over them, and its
    category profile against the median of their portfolio."""
    user = request.user
    partner = get_object_or_404(assessment_selectors.partners_visible_to(user=user), pk=pk)
    filters = dashboard_filters(user=user, data={})  # the partner's score: its visible active agreements
    rules = selectors.scoring_rules()
    profile = selectors.partner_profile(filters=filters, rules=rules, partner=partner)
    agreements = list(assessment_selectors.agreement_list(user=user).filter(partners=partner).order_by("reference"))
    freshness = assessment_selectors.agreements_stored_scores(agreements=agreements)
    link = lambda code: _link("dashboards:heatmap-cell", partner.pk, code)  # noqa: E731
    return render(request, "dashboards/partner_detail.html", {
        "partner": partner, "profile": profile, "agreements": agreements, "freshness": freshness,
        "band": rules.scale.band_of_mean(profile.tally), "scale": rules.scale,
        "profile_bands": [(row, rules.scale.band_of_mean(row.tally)) for row in profile.categories],
        "distribution": [(band, profile.tally.band_counts[band.rank - 1]) for band in rules.scale.ordered],
        "figure": charts.category_profile_figure(profile, scale=rules.scale, link=link) if profile.categories
        else None,
    })


# --- The analyst's home --------------------------------------------------------------------------------


def analyst_home(request):
    """What to do next: assessments returned or in draft, reviews falling due, recent approvals."""
    user = request.user
    grants = grants_for(user)
    if _has_role(user) and Action.EDIT not in grants.everywhere and not grants.team_ids(Action.EDIT):
        raise PermissionDenied("Your role does not assess agreements: see the dashboard instead.")
    visible = Agreement.objects.restrict(user, Action.VIEW)
    return render(request, "dashboards/analyst_home.html", {
        "has_role": _has_role(user),
        "work": selectors.my_assessments(user=user),
        "reviews": selectors.reviews_due(user=user, agreements=visible, limit=10),
        "approved": selectors.recently_approved(user=user, limit=8),
        "unassessed": selectors.unassessed_count(user=user),
        "due_days": DUE_WITHIN_DAYS,
    })


# --- CSV ------------------------------------------------------------------------------------------------

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+\-]?\d+(\.\d+)?$")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if _FORMULA.match(text) and not _NUMBER.match(text) else text


def _csv(name: str, header: list[str], rows: list[list], described: list[tuple[str, str]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="riskboard-{name}-{day}.csv"'
    writer = csv.writer(response)
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    if described:
        writer.writerow([])
        writer.writerow(["Filters", "; ".join(f"{label}: {value}" for label, value in described)])
    return response


def export(request, chart: str):
    """One dashboard chart's data as CSV, with the same filters and scope as the page."""
    user = request.user
    filters = dashboard_filters(user=user, data=request.GET)
    rules = selectors.scoring_rules()
    scale = rules.scale
    if chart == "heatmap":
        partners = selectors.partner_rows(filters=filters)
        cells = selectors.partner_category_cells(filters=filters, rules=rules,
                                                 partner_ids=[p.partner_id for p in partners])
        header, rows = exports.heatmap_rows(partners=partners, cells=cells, categories=rules.categories, scale=scale)
    elif chart == "partners":
        header, rows = exports.partner_scores_rows(partners=selectors.partner_rows(filters=filters), scale=scale)
    elif chart == "matrix":
        header, rows = exports.matrix_rows(counts=selectors.risk_matrix_counts(filters=filters, rules=rules))
    elif chart == "bands":
        header, rows = exports.band_rows(distribution=selectors.band_distribution(filters=filters),
                                         bands=scale.ordered)
    elif chart == "top-agreements":
        top = selectors.top_agreements(filters=filters, rules=rules)
        header, rows = exports.top_agreement_rows(rows=top, bands=dict(scale.bands))
    elif chart == "trends":
        partners, codes = selectors.trend_choices(filters=filters, data=request.GET)
        header, rows = exports.trend_rows(trends=selectors.dashboard_trends(
            filters=filters, rules=rules, partners=partners, codes=codes))
    elif chart == "movers":
        header, rows = exports.mover_rows(movers=selectors.dashboard_movers(filters=filters, rules=rules,
                                                                             limit=10_000))
    elif chart == "reviews":
        due = selectors.reviews_due(user=user, agreements=filters.agreements, limit=10_000)
        header, rows = exports.review_rows(agreements=due.rows, today=due.today)
    elif chart == "approvals":
        queue = selectors.approvals_queue(user=user, agreements=filters.agreements, limit=10_000)
        header, rows = exports.approval_rows(assessments=queue.rows)
    else:
        raise Http404("No such chart.")
    return _csv(chart, header, rows, filters.described)


def partner_export(request, pk: int):
    """The partner's category profile as CSV."""
    user = request.user
    partner = get_object_or_404(assessment_selectors.partners_visible_to(user=user), pk=pk)
    rules = selectors.scoring_rules()
    profile = selectors.partner_profile(filters=dashboard_filters(user=user, data={}), rules=rules, partner=partner)
    header, rows = exports.category_profile_rows(profile=profile, scale=rules.scale)
    return _csv(f"partner-{partner.pk}-profile", header, rows, [])


def agreement_export(request, pk: int, chart: str):
    """An agreement page's chart as CSV: risk by category of its current assessment, or its score over time."""
    agreement = get_object_or_404(assessment_selectors.agreement_list(user=request.user), pk=pk)
    if chart == "categories":
        current = (assessment_selectors.assessment_for_page(user=request.user).filter(
            pk=agreement.current_assessment_id).first() if agreement.current_assessment_id else None)
        views = assessment_rating_views(assessment=current) if current else []
        header, rows = exports.category_bar_rows(views=views)
    elif chart == "history":
        header, rows = exports.score_history_rows(points=selectors.agreement_score_history(agreement=agreement))
    else:
        raise Http404("No such chart.")
    return _csv(f"{agreement.reference}-{chart}", header, rows, [])


__all__ = [
    "agreement_export", "analyst_home", "dashboard", "export", "heatmap_cell", "matrix_cell", "partner_detail",
    "partner_export",
]
