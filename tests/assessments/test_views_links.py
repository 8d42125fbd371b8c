"""Links to the pages of agreements and assessments: their own URLs, and their change history
(shown to those who may read it)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

READERS = {"auditor": True, "administrator": True, "analyst": False, "manager": False}


@pytest.mark.parametrize(("persona", "shown"), READERS.items())
def test_the_agreement_page_links_to_its_history(client, world, persona, shown):
    agreement = world.agreement()
    client.force_login(getattr(world, persona))

    response = client.get(reverse("assessments:agreement-detail", args=[agreement.pk]))

    assert response.status_code == 200
    history = reverse("audit:object", args=["assessments.agreement", agreement.pk])
    assert (f'href="{history}"' in response.content.decode()) is shown


@pytest.mark.parametrize(("persona", "shown"), READERS.items())
def test_the_assessment_page_links_to_its_history(client, world, persona, shown):
    assessment = world.approved()
    client.force_login(getattr(world, persona))

    response = client.get(reverse("assessments:assessment-detail", args=[assessment.pk]))

    assert response.status_code == 200
    history = reverse("audit:object", args=["assessments.assessment", assessment.pk])
    assert (f'href="{history}"' in response.content.decode()) is shown


def test_the_history_link_leads_to_the_records_history(client, world):
    assessment = world.approved()
    client.force_login(world.auditor)
    page = client.get(reverse("assessments:assessment-detail", args=[assessment.pk]))
    history = reverse("audit:object", args=["assessments.assessment", assessment.pk])
    assert f'href="{history}"' in page.content.decode()

    response = client.get(history)

    assert response.status_code == 200
    assert response.context["object_title"] == str(assessment)


def test_agreements_and_assessments_name_their_pages_not_the_admin(client, world):
    assessment = world.approved()
    agreement = assessment.agreement

    assert agreement.get_absolute_url() == reverse("assessments:agreement-detail", args=[agreement.pk])
    assert assessment.get_absolute_url() == reverse("assessments:assessment-detail", args=[assessment.pk])
    client.force_login(world.analyst)
    assert client.get(agreement.get_absolute_url()).status_code == 200
    assert client.get(assessment.get_absolute_url()).status_code == 200
