"""The agreement FilterSet (``assessments.filtersets``) on its own: each filter, sorting, what it
offers the user, and bad values (reported as errors, never applied)."""

import pytest
from django.test import RequestFactory

from assessments import selectors
from assessments.choices import AgreementStatus
from assessments.filtersets import AgreementFilterSet
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreements(world, django_capture_on_commit_callbacks):
    """Agreements of both teams; approvals are scored once committed, as the workflow does."""
    with django_capture_on_commit_callbacks(execute=True):
        norway, chile = PartnerFactory(name="Norwegian Signals Agency"), PartnerFactory(name="Chilean Navy")
        hidden = PartnerFactory(name="Hidden Partner")
        a = world.agreement(reference="AGR-A", title="Maritime awareness", partners=[norway])
        b = world.agreement(reference="AGR-B", title="Cyber training", partners=[chile],
                            status=AgreementStatus.PROPOSED)
        c = world.agreement(reference="AGR-C", title="Liaison office", partners=[norway, chile])
        d = world.agreement(reference="AGR-D", title="Training exchange", partners=[chile])
        x = world.agreement(team=world.other_team, reference="AGR-X", title="Another team's", partners=[hidden])
        world.approved(a, residual=(5, 5))  # Critical
        world.approved(b, residual=(1, 1))  # Low
        world.submitted(c)
        world.draft(d)
    return {"a": a, "b": b, "c": c, "d": d, "x": x, "norway": norway, "chile": chile, "hidden": hidden}


def filtered(user, data):
    request = RequestFactory().get("/agreements/", data)
    request.user = user
    filterset = AgreementFilterSet(data, queryset=selectors.agreement_list(user=user).order_by("reference"),
                                   request=request)
    return filterset, [agreement.reference for agreement in filterset.qs]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]),
        ({"q": "agr-c"}, ["AGR-C"]),  # reference, any case
        ({"q": "TRAINING"}, ["AGR-B", "AGR-D"]),  # title
        ({"q": "norwegian"}, ["AGR-A", "AGR-C"]),  # a partner's name, each agreement once
        ({"q": "   "}, ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]),  # blank: no search
        ({"q": "another team"}, []),  # what the user may not see stays unseen
        ({"status": "proposed"}, ["AGR-B"]),
        ({"band": "CRITICAL"}, ["AGR-A"]),
        ({"band": "LOW"}, ["AGR-B"]),
        ({"band": "HIGH"}, []),
        ({"assessment": "draft"}, ["AGR-D"]),
        ({"assessment": "submitted"}, ["AGR-C"]),
        ({"assessment": "returned"}, []),
        ({"assessment": "none"}, ["AGR-A", "AGR-B"]),
        ({"q": "a", "status": "active", "band": "CRITICAL"}, ["AGR-A"]),
    ],
)
def test_each_filter(world, agreements, data, expected):
    filterset, references = filtered(world.analyst, data)
    assert filterset.is_valid()
    assert references == expected


def test_partner_and_team_filters(world, agreements):
    assert filtered(world.analyst, {"partner": agreements["chile"].pk})[1] == ["AGR-B", "AGR-C", "AGR-D"]
    assert filtered(world.administrator, {"team": world.other_team.pk})[1] == ["AGR-X"]
    assert filtered(world.administrator, {"team": world.team.pk, "partner": agreements["norway"].pk})[1] == [
        "AGR-A", "AGR-C"]


def test_the_choices_offered_are_what_the_user_may_see(world, agreements):
    form = filtered(world.analyst, {})[0].form

    assert set(form.fields["partner"].queryset) == {agreements["norway"], agreements["chile"]}
    assert list(form.fields["team"].queryset) == [world.team]
    assert [code for code, _ in form.fields["band"].choices if code] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    assert set(filtered(world.auditor, {})[0].form.fields["team"].queryset) == {world.team, world.other_team}
    assert not filtered(world.nobody, {})[0].form.fields["partner"].queryset.exists()
    without_request = AgreementFilterSet({}, queryset=selectors.agreement_list(user=world.analyst))
    assert not without_request.form.fields["partner"].queryset.exists()
    assert not without_request.form.fields["team"].queryset.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "archived"}, "status"),
        ({"band": "PURPLE"}, "band"),
        ({"assessment": "approved"}, "assessment"),  # approved is not an open assessment
        # An id that names no visible partner is reported at the text box the user can correct.
        ({"partner": "abc"}, "partner_name"),
        ({"partner": "999999"}, "partner_name"),
        ({"partner_name": "x" * 201}, "partner_name"),
        ({"team": "-1"}, "team"),
        ({"ordering": "secret_field"}, "ordering"),
    ],
)
def test_a_bad_value_is_an_error_and_filters_nothing_out(world, agreements, data, field):
    filterset, references = filtered(world.analyst, data)

    assert not filterset.is_valid() and field in filterset.errors
    assert references == ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]


def test_a_partner_or_team_the_user_may_not_see_cannot_be_chosen(world, agreements):
    hidden_partner, other_team = {"partner": agreements["hidden"].pk}, {"team": world.other_team.pk}
    for data, field in ((hidden_partner, "partner_name"), (other_team, "team")):
        filterset, references = filtered(world.analyst, data)
        assert list(filterset.errors) == [field]
        assert "AGR-X" not in references


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Without JavaScript: the typed text matches part of a partner's name, any case.
        ({"partner_name": "NORWEGIAN"}, ["AGR-A", "AGR-C"]),
        ({"partner_name": "navy"}, ["AGR-B", "AGR-C", "AGR-D"]),
        ({"partner_name": "  "}, ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]),
        ({"partner_name": "hidden partner"}, []),  # another team's partner: nothing, not its agreement
        ({"partner_name": "no such partner"}, []),
    ],
)
def test_a_typed_partner_name_filters_without_javascript(world, agreements, data, expected):
    filterset, references = filtered(world.analyst, data)
    assert filterset.is_valid()
    assert references == expected


def test_the_chosen_partner_filters_by_id_unless_another_name_was_typed_over_it(world, agreements):
    norway = agreements["norway"]
    # The combobox sends the id and the chosen name: the id decides.
    assert filtered(world.analyst, {"partner": norway.pk, "partner_name": norway.name.upper()})[1] == ["AGR-A", "AGR-C"]
    # Without JavaScript the hidden id stays while the user types another name: the text decides.
    assert filtered(world.analyst, {"partner": norway.pk, "partner_name": "chilean"})[1] == ["AGR-B", "AGR-C", "AGR-D"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("reference", ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]),
        ("-reference", ["AGR-D", "AGR-C", "AGR-B", "AGR-A"]),
        ("title", ["AGR-B", "AGR-C", "AGR-A", "AGR-D"]),
        ("band", ["AGR-B", "AGR-A", "AGR-C", "AGR-D"]),  # Low, Critical; never assessed last
        ("-band", ["AGR-A", "AGR-B", "AGR-C", "AGR-D"]),  # ... last either way, by reference
        ("status", ["AGR-A", "AGR-C", "AGR-D", "AGR-B"]),  # active, then proposed; ties by reference
        ("-next_review", ["AGR-B", "AGR-A", "AGR-C", "AGR-D"]),  # Low is due later than Critical
    ],
)
def test_sorting_puts_rows_without_a_value_last_and_breaks_ties_by_reference(world, agreements, ordering, expected):
    assert filtered(world.analyst, {"ordering": ordering})[1] == expected
