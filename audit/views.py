"""History pages for administrators and auditors. Reads only: the trail is append-only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from riskboard.permissions import can_read_audit

from .context import history_is_recorded
from .forms import HistoryFilterForm
from .selectors import (
    AuditCursor,
    AuditPage,
    InvalidCursor,
    audit_events,
    audit_object_events,
    audit_object_title,
    audited_model,
)

PAGE_SIZE = 50
# The query parameters that carry a cursor: the page of entries older than ``after`` or newer than ``before``.
AFTER, BEFORE = "after", "before"


def _require_audit_reader(user) -> None:
    if not can_read_audit(user):
        raise PermissionDenied("Only administrators and auditors may read the audit trail.")


def _cursors(request) -> dict:
    """The page asked for, as ``after`` / ``before`` keyword arguments of the selectors.

    ``InvalidCursor`` when a cursor is malformed or both are given: a link this server never made.
    """
    tokens = {name: request.GET.get(name) for name in (AFTER, BEFORE) if name in request.GET}
    if len(tokens) > 1:
        raise InvalidCursor("both after and before")
    return {name: AuditCursor.from_token(token) for name, token in tokens.items()}


def _render(request, template: str, context: dict, page_of) -> HttpResponse:
    """Render ``template`` with one page of history (``page_of(**cursors)``), or a 400 for a bad cursor."""
    context["history_recorded"] = history_is_recorded()
    try:
        cursors = _cursors(request)
    except InvalidCursor:
        page, status, context["invalid_cursor"] = AuditPage.empty(), 400, True
    else:
        page, status = page_of(**cursors), 200
    filters = request.GET.copy()
    for name in (AFTER, BEFORE):
        filters.pop(name, None)
    context.update(
        page=page,
        entries=page.entries,
        paged=AFTER in request.GET or BEFORE in request.GET,
        newest_url=f"{request.path}?{filters.urlencode()}" if filters else request.path,  # filters kept
    )
    return render(request, template, context, status=status)


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

    def page_of(**cursors) -> AuditPage:
        if form.errors:
            return AuditPage.empty()
        return audit_events(**filters, **cursors, size=PAGE_SIZE)

    return _render(request, "audit/history_global.html", {"form": form}, page_of)


@require_GET
@login_required
def history_object(request, model_label: str, pk: int):
    """One record's changes, with those of the records it owns, newest first."""
    _require_audit_reader(request.user)
    model = audited_model(model_label)
    if model is None:
        raise Http404("No history is kept for this kind of record.")
    context = {
        "model_name": model._meta.verbose_name,
        "object_id": pk,
        "object_title": audit_object_title(model=model, object_id=pk),
    }
    return _render(
        request, "audit/history_object.html", context,
        lambda **cursors: audit_object_events(model=model, object_id=pk, **cursors, size=PAGE_SIZE),
    )
