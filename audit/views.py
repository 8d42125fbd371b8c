"""History pages for administrators and auditors. Reads only: the trail is append-only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from riskboard.permissions import can_read_audit

from .context import history_is_recorded
from .forms import HistoryFilterForm
from .selectors import audit_entries, audit_events, audit_object_events, audit_object_title, audited_model

PAGE_SIZE = 50


def _require_audit_reader(user) -> None:
    if not can_read_audit(user):
        raise PermissionDenied("Only administrators and auditors may read the audit trail.")


def _page_context(request, rows) -> dict:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "entries": audit_entries(page.object_list),
        "history_recorded": history_is_recorded(),
    }


@require_GET
@login_required
def history_global(request):
    """Every change, newest first, filtered by record type, actor and dates."""
    _require_audit_reader(request.user)
    form = HistoryFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "model_label": data["model"] or None,
            "actor_id": data["actor"].pk if data["actor"] else None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    rows = audit_events(**filters) if not form.errors else audit_events().none()
    return render(request, "audit/history_global.html", {"form": form, **_page_context(request, rows)})


@require_GET
@login_required
def history_object(request, model_label: str, pk: int):
    """One record's changes, with those of the records it owns, newest first."""
    _require_audit_reader(request.user)
    model = audited_model(model_label)
    if model is None:
        raise Http404("No history is kept for this kind of record.")
    return render(
        request,
        "audit/history_object.html",
        {
            "model_name": model._meta.verbose_name,
            "object_id": pk,
            "object_title": audit_object_title(model=model, object_id=pk),
            **_page_context(request, audit_object_events(model=model, object_id=pk)),
        },
    )
