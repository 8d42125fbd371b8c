"""Small JSON answers behind the choosers (comboboxes) that replace selects of every row."""

from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .. import selectors

# A chooser shows a handful of names; "more" tells the user to type further.
CHOOSER_LIMIT = 20


class ChooserQueryForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)


@require_GET
def partner_search(request):
    """``?q=``: up to CHOOSER_LIMIT partners of the agreements the user may see whose name
    contains q, as ``{"results": [{"id", "name", "country"}], "more": bool}``; 400 on bad input."""
    form = ChooserQueryForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    rows = selectors.partner_search(user=request.user, text=form.cleaned_data["q"], limit=CHOOSER_LIMIT + 1)
    response = JsonResponse({"results": rows[:CHOOSER_LIMIT], "more": len(rows) > CHOOSER_LIMIT})
    response["Cache-Control"] = "private, no-cache"
    return response
