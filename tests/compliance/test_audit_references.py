"""An audit detail names another person only by their pseudonymous subject id (a
colleague's `person.created` used to carry {"manager": "Farah Petrov"} under the
colleague's key, past Farah's erasure); the identity history shows the name while the
person exists."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.services.persons import person_create, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def farah(actor):
    return person_create(
        actor=actor,
        fields={"user_name": "farah.petrov", "display_name": "Farah Petrov"},
    )


@pytest.fixture
def colleague(actor, farah):
    return person_create(actor=actor, fields={"user_name": "ben", "manager": farah})


def details(person, action):
    event = AuditEvent.objects.get(subject_id=str(person.pk), action=action)
    return crypto.decrypt(event.subject_id, event.ciphertext)


def test_a_colleagues_creation_names_the_manager_by_subject_id(farah, colleague):
    created = details(colleague, "person.created")

    assert created["after"]["manager"] == str(farah.pk)
    assert "Farah" not in json.dumps(created)


def test_a_change_of_manager_names_both_by_subject_id(actor, farah, colleague):
    other = person_create(actor=actor, fields={"user_name": "gus", "display_name": "Gus Ode"})
    person_update(person=colleague, actor=actor, fields={"manager": other})

    updated = details(colleague, "person.updated")

    assert (updated["before"]["manager"], updated["after"]["manager"]) == (
        str(farah.pk),
        str(other.pk),
    )


def test_the_identity_history_shows_the_managers_name_until_she_is_erased(
    staff_client_for, farah, colleague, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.AUDITOR)
    url = reverse("admin:compliance_identity_history", args=[colleague.pk])
    client.get(url)  # warm the session and permission caches

    with django_assert_max_num_queries(9):
        page = client.get(url).content.decode()
    assert "manager=Farah Petrov" in page

    call_command("dsar", "erase", "farah.petrov", stdout=io.StringIO())

    page = client.get(url).content.decode()
    assert "Farah" not in page
    assert "manager=(a person no longer in the portal)" in page
