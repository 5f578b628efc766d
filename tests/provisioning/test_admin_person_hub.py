"""A person's page is the hub: their current access and where it came from, groups,
downstream accounts and open requests; pickers tell namesakes apart; "History" opens the
portal's own history."""

import pytest
from django.urls import reverse

from portal import roles
from provisioning.models import Membership
from tests.factories import (
    AccessGrantFactory,
    GroupFactory,
    PersonEmailFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def change_url(person):
    return reverse("admin:provisioning_person_change", args=[person.pk])


def test_the_page_shows_current_access_with_its_source_and_groups(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    person = PersonFactory(display_name="Nora Lindqvist")
    AccessGrantFactory(person=person, role__name="CRM user", source="template")
    AccessGrantFactory(person=person, role__name="Payroll", source="manual")
    AccessGrantFactory(person=person, role__name="Old role", status="revoked")
    Membership.objects.create(person_id=person.pk, group_id=GroupFactory(display_name="sales").pk)

    body = client.get(change_url(person)).content.decode()

    assert "Current access" in body
    assert "CRM user" in body
    assert "birthright template" in body
    assert "granted by hand" in body
    assert "Old role" not in body
    assert "sales" in body


def test_the_page_costs_the_same_queries_for_many_grants(
    staff_client_for, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.HR)
    person = PersonFactory()
    for _ in range(15):
        AccessGrantFactory(person=person)
    client.get(change_url(person))  # warm the session and content types

    with django_assert_max_num_queries(13):
        response = client.get(change_url(person))

    assert response.status_code == 200


def test_history_opens_the_identity_history_for_those_who_may_read_the_trail(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    person = PersonFactory()

    response = client.get(reverse("admin:provisioning_person_history", args=[person.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:compliance_identity_history", args=[person.pk])


def test_the_manager_picker_tells_namesakes_apart(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    for number, department in ((1, "Sales"), (2, "Engineering")):
        namesake = PersonFactory(display_name="Gustav Kowalski", department=department)
        PersonEmailFactory(person=namesake, value=f"gustav{number}@example.org")

    found = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Gustav",
            "app_label": "provisioning",
            "model_name": "person",
            "field_name": "manager",
        },
    ).json()

    assert sorted(result["text"] for result in found["results"]) == [
        "Gustav Kowalski (gustav1@example.org, Sales)",
        "Gustav Kowalski (gustav2@example.org, Engineering)",
    ]
