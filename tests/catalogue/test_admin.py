"""The catalogue admin: administrators only, and a published catalogue cannot be changed through it.

Every save goes through ``catalogue.services``; what they refuse shows on the form (never a 500),
and choices offer only what the services would accept.
"""

import json
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from catalogue.choices import CatalogueStatus
from catalogue.models import Band, MatrixCell, RiskCatalogue, RiskCategory, Safeguard, ScaleLevel
from riskboard.roles import Role
from tests.admin_helpers import form_data, staff_user
from tests.factories import CatalogueFactory, DraftCatalogueFactory

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [RiskCatalogue, RiskCategory, Safeguard, Band, ScaleLevel, MatrixCell]


def _url(model, view, *args):
    return reverse(f"admin:catalogue_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_user():
    return staff_user(Role.ADMINISTRATOR, username="administrator")


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def published():
    return CatalogueFactory(name="Published")


@pytest.fixture
def draft():
    return DraftCatalogueFactory(name="Draft")


def _errors(response) -> str:
    """Every error message on the admin page, as one string."""
    assert response.status_code == 200, response.status_code
    adminform = response.context["adminform"].form
    return " ".join([*(m for errors in adminform.errors.values() for m in errors)])


# --- Who may use it -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "superuser", "allowed"), [
    (Role.ADMINISTRATOR, False, True),
    (None, True, True),
    (Role.MANAGER, False, False),
    (Role.ANALYST, False, False),
    (Role.AUDITOR, False, False),
    (None, False, False),
])
@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_only_administrators_may_use_the_catalogue_admin(client, draft, role, superuser, allowed, model):
    client.force_login(staff_user(role, superuser=superuser))
    obj = draft if model is RiskCatalogue else model.objects.filter(catalogue=draft).first()

    expected = 200 if allowed else 403
    assert client.get(_url(model, "changelist")).status_code == expected
    assert client.get(_url(model, "change", obj.pk)).status_code == expected
    assert client.get(_url(model, "add")).status_code == expected


def test_staff_without_the_role_do_not_see_the_catalogue_app(client):
    client.force_login(staff_user(Role.MANAGER))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Risk catalogues" not in response.content.decode()
    assert client.get(reverse("admin:app_list", args=["catalogue"])).status_code == 404


def test_every_riskboard_model_admin_can_be_searched():
    riskboard = [(m, a) for m, a in admin.site._registry.items()
                 if m._meta.app_label in ("catalogue", "assessments", "audit")]
    assert riskboard
    assert [m.__name__ for m, a in riskboard if not a.search_fields] == []


# --- The freeze: standalone pages ---------------------------------------------------------------


def test_a_category_cannot_be_added_to_a_published_catalogue(client_admin, published):
    before = published.categories.count()

    response = client_admin.post(_url(RiskCategory, "add"), {
        "catalogue": published.pk, "code": "NEW", "name": "New", "description": "New.", "guidance": "[]",
        "weight": "1.00", "display_order": "9",
    })

    assert "Select a valid choice" in _errors(response)
    assert published.categories.count() == before


def test_a_band_cannot_be_added_to_a_published_catalogue(client_admin, published):
    response = client_admin.post(_url(Band, "add"), {
        "catalogue": published.pk, "code": "EXTREME", "label": "Extreme", "rank": "9", "colour": "#000000",
        "description": "",
    })

    assert "Select a valid choice" in _errors(response)
    assert not published.bands.filter(code="EXTREME").exists()


def test_add_pages_offer_only_draft_catalogues(client_admin, published, draft):
    for model in (RiskCategory, Band, Safeguard, ScaleLevel, MatrixCell):
        field = client_admin.get(_url(model, "add")).context["adminform"].form.fields["catalogue"]
        assert list(field.queryset) == [draft], model


def test_a_category_is_added_to_a_draft_through_the_service(client_admin, draft):
    response = client_admin.post(_url(RiskCategory, "add"), {
        "catalogue": draft.pk, "code": "NEW", "name": "New", "description": "New.", "guidance": '["Why?"]',
        "weight": "2.50", "display_order": "9",
    })

    assert response.status_code == 302
    category = draft.categories.get(code="NEW")
    assert (category.weight, category.guidance) == (Decimal("2.50"), ["Why?"])


def test_what_the_service_refuses_shows_on_the_form_not_as_a_server_error(client_admin, draft):
    # The model accepts any JSON; the service wants a list of questions.
    response = client_admin.post(_url(RiskCategory, "add"), {
        "catalogue": draft.pk, "code": "NEW", "name": "New", "description": "New.", "guidance": '["", 3]',
        "weight": "1.00", "display_order": "9",
    })

    assert "Must be a list of questions" in str(response.context["adminform"].form.errors["guidance"])
    assert not draft.categories.filter(code="NEW").exists()


def test_a_weight_changed_in_the_admin_is_saved(client_admin, draft):
    category = draft.categories.first()
    page = client_admin.get(_url(RiskCategory, "change", category.pk))

    response = client_admin.post(_url(RiskCategory, "change", category.pk), form_data(page, weight="3.00"))

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.weight == Decimal("3.00")


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_published_content_is_read_only(client_admin, published, model):
    obj = published if model is RiskCatalogue else model.objects.filter(catalogue=published).first()
    page = client_admin.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert client_admin.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert client_admin.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_bulk_delete_refuses_rows_of_a_published_catalogue(client_admin, published, draft):
    bands = list(Band.objects.filter(catalogue__in=[published, draft], code="CRITICAL"))
    MatrixCell.objects.filter(band__in=bands).delete()

    response = client_admin.post(_url(Band, "changelist"), {
        "action": "delete_selected", "_selected_action": [b.pk for b in bands], "post": "yes",
    })

    assert response.status_code in (200, 403)
    assert Band.objects.filter(pk__in=[b.pk for b in bands]).count() == 2


def test_a_drafts_band_can_be_deleted(client_admin, draft):
    band = draft.bands.get(code="CRITICAL")
    band.cells.all().delete()

    response = client_admin.post(_url(Band, "delete", band.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Band.objects.filter(pk=band.pk).exists()


# --- Choices limited to the object's own catalogue ----------------------------------------------


def test_a_safeguard_is_offered_only_its_own_catalogues_categories(client_admin, draft, published):
    safeguard = draft.safeguards.first()
    field = client_admin.get(_url(Safeguard, "change", safeguard.pk)).context["adminform"].form.fields["categories"]
    assert set(field.queryset) == set(draft.categories.all())


def test_a_drafts_safeguard_cannot_be_linked_to_a_published_category(client_admin, draft, published):
    safeguard = draft.safeguards.first()
    foreign = published.categories.first()
    page = client_admin.get(_url(Safeguard, "change", safeguard.pk))

    response = client_admin.post(_url(Safeguard, "change", safeguard.pk), form_data(page, categories=[foreign.pk]))

    assert "categories" in response.context["adminform"].form.errors
    assert foreign not in safeguard.categories.all()


def test_a_new_safeguard_with_another_drafts_category_is_refused_on_the_form(client_admin, draft):
    other = DraftCatalogueFactory(name="Other draft")

    response = client_admin.post(_url(Safeguard, "add"), {
        "catalogue": draft.pk, "code": "SG_NEW", "name": "New", "description": "",
        "categories": [other.categories.first().pk],
    })

    assert "Not categories of" in str(response.context["adminform"].form.errors["categories"])
    assert not Safeguard.objects.filter(code="SG_NEW").exists()


def test_a_safeguard_change_goes_through_the_service(client_admin, draft):
    safeguard = draft.safeguards.first()
    categories = list(draft.categories.all())
    page = client_admin.get(_url(Safeguard, "change", safeguard.pk))

    response = client_admin.post(
        _url(Safeguard, "change", safeguard.pk), form_data(page, name="Renamed", categories=[c.pk for c in categories])
    )

    assert response.status_code == 302
    safeguard.refresh_from_db()
    assert safeguard.name == "Renamed"
    assert set(safeguard.categories.all()) == set(categories)


def test_a_matrix_cell_is_offered_only_its_own_catalogues_bands(client_admin, draft, published):
    cell = draft.matrix_cells.first()
    field = client_admin.get(_url(MatrixCell, "change", cell.pk)).context["adminform"].form.fields["band"]
    assert set(field.queryset) == set(draft.bands.all())


def test_a_matrix_cell_cannot_take_another_catalogues_band(client_admin, draft):
    other = DraftCatalogueFactory(name="Other draft")
    cell = draft.matrix_cells.get(likelihood=1, impact=1)
    page = client_admin.get(_url(MatrixCell, "change", cell.pk))

    response = client_admin.post(
        _url(MatrixCell, "change", cell.pk), form_data(page, band=other.bands.get(code="CRITICAL").pk)
    )

    assert "band" in response.context["adminform"].form.errors
    cell.refresh_from_db()
    assert cell.band.catalogue_id == draft.pk


def test_a_matrix_cell_change_goes_through_the_service(client_admin, draft):
    cell = draft.matrix_cells.get(likelihood=1, impact=1)
    critical = draft.bands.get(code="CRITICAL")
    page = client_admin.get(_url(MatrixCell, "change", cell.pk))

    response = client_admin.post(_url(MatrixCell, "change", cell.pk), form_data(page, band=critical.pk))

    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.band == critical


def test_a_scale_level_keeps_its_value(client_admin, draft):
    level = draft.scale_levels.get(scale="likelihood", value=1)
    page = client_admin.get(_url(ScaleLevel, "change", level.pk))
    assert {"scale", "value", "catalogue"}.isdisjoint(page.context["adminform"].form.fields)

    response = client_admin.post(_url(ScaleLevel, "change", level.pk), form_data(page, label="Barely", value="5"))

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.label, level.value) == ("Barely", 1)


# --- The catalogue page and its inlines ---------------------------------------------------------


def test_a_drafts_name_is_changed_through_the_service_and_its_version_is_fixed(client_admin, draft):
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    assert "version" not in page.context["adminform"].form.fields

    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), form_data(page, name="Renamed"))

    assert response.status_code == 302, _errors(response)
    draft.refresh_from_db()
    assert (draft.name, draft.version, draft.status) == ("Renamed", 1, CatalogueStatus.DRAFT)


def test_a_category_added_inline_goes_through_the_service(client_admin, draft):
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    n = draft.categories.count()
    data = form_data(page, **{
        "categories-TOTAL_FORMS": str(n + 1), f"categories-{n}-code": "INLINE", f"categories-{n}-name": "Inline",
        f"categories-{n}-description": "Added inline.", f"categories-{n}-guidance": '["Why?"]',
        f"categories-{n}-weight": "1.50", f"categories-{n}-display_order": "9",
    })

    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), data)

    assert response.status_code == 302, _errors(response)
    assert draft.categories.get(code="INLINE").weight == Decimal("1.50")


def test_an_inline_refused_by_the_service_shows_on_the_page_and_nothing_is_saved(client_admin, draft):
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    n = draft.categories.count()
    data = form_data(page, name="Renamed", **{
        "categories-TOTAL_FORMS": str(n + 1), f"categories-{n}-code": "INLINE", f"categories-{n}-name": "Inline",
        f"categories-{n}-description": "Added inline.", f"categories-{n}-guidance": json.dumps({"not": "a list"}),
        f"categories-{n}-weight": "1.00", f"categories-{n}-display_order": "9",
    })

    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), data)

    assert "Must be a list of questions" in _errors(response)
    draft.refresh_from_db()
    assert draft.name == "Draft"  # the whole save was rolled back
    assert not draft.categories.filter(code="INLINE").exists()


def test_an_inline_scale_level_cannot_change_its_value(client_admin, draft):
    draft.scale_levels.filter(scale="likelihood", value=5).delete()  # so that the value 5 is free
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    [levels] = [f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is ScaleLevel]
    [level] = [f for f in levels.forms if (f.instance.scale, f.instance.value) == ("likelihood", 1)]

    response = client_admin.post(
        _url(RiskCatalogue, "change", draft.pk), form_data(page, **{level.add_prefix("value"): "5"})
    )

    assert "cannot be changed" in _errors(response)
    assert ScaleLevel.objects.get(pk=level.instance.pk).value == 1


def test_the_matrix_inline_offers_only_the_catalogues_bands(client_admin, draft):
    DraftCatalogueFactory(name="Other draft")
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    [matrix] = [f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is MatrixCell]
    assert set(matrix.forms[0].fields["band"].queryset) == set(draft.bands.all())


# --- Every write goes through its service -------------------------------------------------------

REFUSAL = "Refused by the service."
SERVICES = {  # model: (create, update, delete) service names
    RiskCatalogue: ("catalogue_create", "catalogue_update", "catalogue_delete"),
    RiskCategory: ("category_create", "category_update", "category_delete"),
    Safeguard: ("safeguard_create", "safeguard_update", "safeguard_delete"),
    Band: ("band_create", "band_update", "band_delete"),
    ScaleLevel: ("scale_level_create", "scale_level_update", "scale_level_delete"),
    MatrixCell: ("matrix_cell_set", "matrix_cell_set", "matrix_cell_delete"),
}


def _refuse(monkeypatch, name):
    def refuse(**kwargs):
        raise ValidationError(REFUSAL)

    monkeypatch.setattr(f"catalogue.services.{name}", refuse)


def _state() -> list:
    """Every catalogue row, to tell that nothing changed."""
    rows = [sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]))
            for model in CONTENT_MODELS]
    return [*rows, sorted(Safeguard.categories.through.objects.values_list("safeguard_id", "riskcategory_id"))]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _spare(model, draft):
    """A row of ``draft`` that may be changed and deleted alone."""
    if model is RiskCatalogue:
        return draft
    if model is Band:  # the standard bands all colour cells
        return Band.objects.create(catalogue=draft, code="EXTRA", label="Extra", rank=9, colour="#000000")
    return model.objects.filter(catalogue=draft).order_by("pk").first()


def _new_values(model, draft) -> dict:
    """The add page's values of a new row of ``draft`` (freeing the slot a level or a cell needs)."""
    if model is RiskCatalogue:
        return {"name": "Brand new", "version": "1", "description": "", "rollup_method": "weighted_mean",
                "rollup_params": "{}"}
    if model is ScaleLevel:
        draft.scale_levels.filter(scale="likelihood", value=5).delete()
        return {"catalogue": draft.pk, "scale": "likelihood", "value": "5", "label": "Certain", "description": "Sure."}
    if model is MatrixCell:
        draft.matrix_cells.filter(likelihood=1, impact=1).delete()
        return {"catalogue": draft.pk, "likelihood": "1", "impact": "1", "band": draft.bands.get(code="LOW").pk}
    return {"catalogue": draft.pk, **{
        RiskCategory: {"code": "NEW", "name": "New", "description": "New.", "guidance": "[]", "weight": "1.00",
                       "display_order": "9"},
        Safeguard: {"code": "SG_NEW", "name": "New", "description": ""},
        Band: {"code": "EXTREME", "label": "Extreme", "rank": "9", "colour": "#000000", "description": ""},
    }[model]}


def _changes(model, draft) -> dict:
    if model is MatrixCell:
        return {"band": draft.bands.get(code="CRITICAL").pk}
    return {"label" if model in (Band, ScaleLevel) else "name": "Renamed"}


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_an_add_in_the_admin_goes_through_the_create_service(client_admin, draft, monkeypatch, model):
    data = form_data(client_admin.get(_url(model, "add")), **_new_values(model, draft))
    before = _state()
    _refuse(monkeypatch, SERVICES[model][0])

    refused = client_admin.post(_url(model, "add"), data)

    assert REFUSAL in _errors(refused)
    assert _state() == before
    monkeypatch.undo()  # the same form, without the refusal, is saved
    assert client_admin.post(_url(model, "add"), data).status_code == 302
    assert _state() != before


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_a_change_in_the_admin_goes_through_the_update_service(client_admin, draft, monkeypatch, model):
    obj = _spare(model, draft)
    data = form_data(client_admin.get(_url(model, "change", obj.pk)), **_changes(model, draft))
    before = _state()
    _refuse(monkeypatch, SERVICES[model][1])

    refused = client_admin.post(_url(model, "change", obj.pk), data)

    assert REFUSAL in _errors(refused)
    assert _state() == before
    monkeypatch.undo()
    assert client_admin.post(_url(model, "change", obj.pk), data).status_code == 302
    assert _state() != before


@pytest.mark.parametrize("bulk", [False, True], ids=["delete page", "delete selected"])
@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_a_delete_in_the_admin_goes_through_the_delete_service(client_admin, draft, monkeypatch, model, bulk):
    obj = _spare(model, draft)
    bulk_data = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    url, data = (_url(model, "changelist"), bulk_data) if bulk else (_url(model, "delete", obj.pk), {"post": "yes"})
    before = _state()
    _refuse(monkeypatch, SERVICES[model][2])

    refused = client_admin.post(url, data, follow=True)

    assert _messages(refused) == [REFUSAL]
    assert _state() == before
    monkeypatch.undo()
    client_admin.post(url, data)
    assert not model.objects.filter(pk=obj.pk).exists()


INLINES = {  # model: (prefix, values of a new row, changes to an existing row)
    RiskCategory: ("categories", {"code": "INLINE", "name": "Inline", "description": "Added inline.",
                                  "guidance": '["Why?"]', "weight": "1.50", "display_order": "9"}, {"name": "Renamed"}),
    ScaleLevel: ("scale_levels", {"scale": "impact", "value": "5", "label": "Severe", "description": "Bad."},
                 {"label": "Renamed"}),
    Band: ("bands", {"code": "EXTREME", "label": "Extreme", "rank": "8", "colour": "#000000", "description": ""},
           {"label": "Renamed"}),
    MatrixCell: ("matrix_cells", {"likelihood": "5", "impact": "5", "band": None}, {"band": None}),
}


@pytest.mark.parametrize("operation", ["create", "update", "delete"])
@pytest.mark.parametrize("model", INLINES, ids=lambda m: m.__name__)
def test_the_catalogue_pages_rows_go_through_their_services(client_admin, draft, monkeypatch, model, operation):
    prefix, new, changes = INLINES[model]
    draft.scale_levels.filter(scale="impact", value=5).delete()
    draft.matrix_cells.filter(likelihood=5, impact=5).delete()
    band = draft.bands.get(code="HIGH").pk
    new = {k: band if v is None else v for k, v in new.items()}
    changes = {k: band if v is None else v for k, v in changes.items()}
    row_obj = _spare(model, draft)
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    [formset] = [f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is model]
    row = next(f for f in formset.forms if f.instance.pk == row_obj.pk)
    n = len(formset.forms)
    data = form_data(page, name="Renamed draft", **{
        "create": {f"{prefix}-TOTAL_FORMS": str(n + 1), **{f"{prefix}-{n}-{k}": v for k, v in new.items()}},
        "update": {row.add_prefix(k): v for k, v in changes.items()},
        "delete": {row.add_prefix("DELETE"): "on"},
    }[operation])
    before = _state()
    service = SERVICES[model][("create", "update", "delete").index(operation)]
    _refuse(monkeypatch, service)

    refused = client_admin.post(_url(RiskCatalogue, "change", draft.pk), data)

    assert REFUSAL in _errors(refused)
    assert _state() == before  # the catalogue's own change rolled back too
    monkeypatch.undo()
    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), data)
    assert response.status_code == 302, _errors(response)
    assert _state() != before


# --- What the services refuse, as the administrator sees it -------------------------------------


def test_a_band_that_cells_give_is_not_deleted_and_the_admin_says_why(client_admin, draft):
    band = draft.bands.get(code="CRITICAL")

    response = client_admin.post(_url(Band, "changelist"), {
        "action": "delete_selected", "_selected_action": [band.pk], "post": "yes",
    })

    # The cells protect their band: the admin lists them and deletes nothing (the service, for any
    # other caller, refuses in words: tests/catalogue/test_services.py).
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert Band.objects.filter(pk=band.pk).exists()


def test_a_draft_catalogue_is_deleted_with_its_contents(client_admin, draft):
    page = client_admin.get(_url(RiskCatalogue, "delete", draft.pk))
    assert "protected" not in page.content.decode()

    response = client_admin.post(_url(RiskCatalogue, "delete", draft.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not RiskCatalogue.objects.filter(pk=draft.pk).exists()


def test_a_catalogue_edit_by_a_role_the_service_refuses_shows_on_the_form(client_admin, draft, monkeypatch):
    # The admin lets administrators in; were a service to refuse the actor, the form says so.
    monkeypatch.setattr("catalogue.services._require_administrator", lambda actor: (_ for _ in ()).throw(
        PermissionDenied("Your role does not allow you to administer this.")))
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))

    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), form_data(page, name="Renamed"))

    assert "Your role does not allow you to administer this." in _errors(response)
    assert RiskCatalogue.objects.get(pk=draft.pk).name == "Draft"


def test_a_rollup_rule_the_scores_cannot_use_is_refused_on_the_form(client_admin, draft):
    page = client_admin.get(_url(RiskCatalogue, "change", draft.pk))
    rules = {"rules": [{"escalate_band": "HIGH", "min_count": 2, "to_band": "CRITICAL"},
                       {"escalate_band": "HIGH", "min_count": 3, "to_band": "CRTICAL"}]}

    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), form_data(
        page, name="Renamed", rollup_method="count_rule", rollup_params=json.dumps(rules)))

    assert response.context["adminform"].form.errors["rollup_params"] == [
        'rollup_params.rules[1].to_band: unknown band "CRTICAL"; use one of LOW, MEDIUM, HIGH, CRITICAL',
    ]
    draft.refresh_from_db()
    assert (draft.name, draft.rollup_method, draft.rollup_params) == ("Draft", "weighted_mean", {})

    rules["rules"][1]["to_band"] = "CRITICAL"
    response = client_admin.post(_url(RiskCatalogue, "change", draft.pk), form_data(
        page, rollup_method="count_rule", rollup_params=json.dumps(rules)))
    assert response.status_code == 302, _errors(response)
    draft.refresh_from_db()
    assert draft.rollup_params == rules


def test_publishing_from_the_admin_names_what_the_scores_could_not_use(client_admin, draft):
    RiskCatalogue.objects.filter(pk=draft.pk).update(
        rollup_method="count_rule", rollup_params={"escalate_band": "SEVERE", "min_count": 2, "to_band": "CRITICAL"})

    response = client_admin.post(_url(RiskCatalogue, "changelist"), {
        "action": "publish", "_selected_action": [draft.pk]}, follow=True)

    page = response.content.decode()
    assert "cannot be published: the scores could not use it." in page
    assert "rollup_params.escalate_band: unknown band &quot;SEVERE&quot;" in page
    assert RiskCatalogue.objects.get(pk=draft.pk).status == CatalogueStatus.DRAFT
