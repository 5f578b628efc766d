"""Staff cannot edit a person whose processing is restricted: the person's page says so
in a banner, and a save is a form error, not a change."""

import pytest
from django.urls import reverse

from portal import roles
from provisioning.models import Person
from provisioning.services import privacy
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def form_data(person, **changes):
    data = {
        "user_name": person.user_name,
        "external_id": person.external_id,
        "active": "on" if person.active else "",
        "given_name": person.given_name,
        "family_name": person.family_name,
        "display_name": person.display_name,
        "title": person.title,
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "phone_numbers-TOTAL_FORMS": "0",
        "phone_numbers-INITIAL_FORMS": "0",
        **changes,
    }
    return {key: value for key, value in data.items() if value != ""}


@pytest.fixture
def hr(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    return client


def test_an_hr_edit_of_a_restricted_person_is_a_form_error(hr, actor):
    person = privacy.person_restrict(person=PersonFactory(title="Engineer"), actor=actor)

    response = hr.post(
        reverse("admin:provisioning_person_change", args=[person.pk]),
        form_data(person, title="CTO"),
    )

    assert response.status_code == 200
    assert "restricted at their request (GDPR Art. 18)" in response.content.decode()
    assert Person.objects.get(pk=person.pk).title == "Engineer"


def test_hr_still_edits_someone_unrestricted(hr):
    person = PersonFactory(title="Engineer")

    response = hr.post(
        reverse("admin:provisioning_person_change", args=[person.pk]),
        form_data(person, title="CTO"),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    assert Person.objects.get(pk=person.pk).title == "CTO"


def test_hr_sees_the_restriction_banner(hr, actor):
    person = privacy.person_restrict(person=PersonFactory(), actor=actor)

    html = hr.get(reverse("admin:provisioning_person_change", args=[person.pk])).content

    assert b"Processing restricted since" in html
