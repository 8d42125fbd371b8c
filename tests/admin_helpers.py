"""Helpers for the admin tests: staff accounts by role, and the POST data of an admin page as shown."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from riskboard.roles import GLOBAL_ROLES
from tests.factories import MembershipFactory, TeamFactory, UserFactory

RISKBOARD_APPS = ("catalogue", "assessments", "audit", "security")


def staff_user(role: str | None, *, username: str | None = None, superuser: bool = False):
    """A staff account holding every Django permission of Riskboard's apps, and ``role`` (if any):
    what it may do in the admin is then decided by the role alone."""
    user = UserFactory(is_staff=True, is_superuser=superuser, **({"username": username} if username else {}))
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=RISKBOARD_APPS))
    if role is not None:
        MembershipFactory(user=user, role=role, team=None if role in GLOBAL_ROLES else TeamFactory())
    return user


def _value(form, name):
    value = form[name].value()
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return "on" if value else None
    return str(value)


def form_data(response, **changes) -> dict:
    """The POST data of the admin form in ``response`` as the browser would send it unchanged
    (main form, inline forms and their management forms), then ``changes`` applied."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = _value(form, name)
            if value is not None:
                data[form.add_prefix(name)] = value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
