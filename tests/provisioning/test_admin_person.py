"""HR onboards people through the admin's own forms; the services write them."""

import pytest
from django.urls import reverse

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:provisioning_person_add")


def form(**fields):
    data = {
        "user_name": "new.hire",
        "active": "on",
        "given_name": "New",
        "family_name": "Hire",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-value": "new.hire@example.org",
        "emails-0-type": "work",
        "emails-0-primary": "on",
        "phone_numbers-TOTAL_FORMS": "0",
        "phone_numbers-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_hr_adds_a_person_with_an_email(staff_client_for):
    client, user = staff_client_for(roles.HR)

    response = client.post(ADD, form())

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    person = Person.objects.get(user_name="new.hire")
    assert person.emails.get().value == "new.hire@example.org"
    created = AuditEvent.objects.get(action="person.created")
    assert (created.actor_id, created.channel) == (str(user.pk), "admin")


def test_a_user_name_taken_in_another_case_is_a_form_error(staff_client_for):
    PersonFactory(user_name="new.hire")
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(user_name="NEW.HIRE"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["user_name"]  # once, on the field, not again as a constraint
    assert "already taken" in str(errors["user_name"])
    assert "person_user_name_ci_unique" not in response.content.decode()
    assert Person.objects.count() == 1


def test_two_primary_emails_are_a_form_error_and_nothing_is_written(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    data = form(
        **{
            "emails-TOTAL_FORMS": "2",
            "emails-1-value": "other@example.org",
            "emails-1-type": "home",
            "emails-1-primary": "on",
        }
    )

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert "Only one can be primary." in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not Person.objects.exists()


@pytest.mark.parametrize("address", ["ops@corp.local", "ops@localhost", "not an address"])
def test_an_address_scim_cannot_carry_is_a_form_error_and_nothing_is_written(
    staff_client_for, address
):
    """Django's own e-mail check lets `ops@localhost` through; SCIM's does not, and every
    stored address must go out over SCIM."""
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(**{"emails-0-value": address}))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert "This is not a valid e-mail address." in str(errors["value"])
    assert "value is not" not in str(errors["value"])  # pydantic's wording stays out
    assert not Person.objects.exists()


def test_a_mailbox_the_mail_server_cannot_deliver_to_is_a_form_error(staff_client_for, settings):
    settings.EMAIL_SMTPUTF8 = False
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(**{"emails-0-value": "chloé.schmidt6@example.org"}))

    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert "outside plain ASCII" in str(errors["value"])
    assert not Person.objects.exists()


def test_a_mail_server_with_smtputf8_takes_a_non_ascii_mailbox(staff_client_for, settings):
    settings.EMAIL_SMTPUTF8 = True
    client, _ = staff_client_for(roles.HR)

    response = client.post(ADD, form(**{"emails-0-value": "chloé.schmidt6@example.org"}))

    assert response.status_code == 302
    assert Person.objects.get().emails.get().value == "chloé.schmidt6@example.org"


def test_the_changelist_is_paginated_and_searchable(
    staff_client_for, django_assert_max_num_queries
):
    PersonFactory.create_batch(60, department="Sales")
    client, _ = staff_client_for(roles.AUDITOR)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:provisioning_person_changelist"), {"q": "person"})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50


def test_a_group_links_to_its_members_as_a_filtered_person_list(staff_client_for, actor):
    from provisioning.services.groups import group_create

    member, _outsider = PersonFactory(), PersonFactory()
    group = group_create(actor=actor, display_name="sales", member_ids=[member.pk])
    client, _ = staff_client_for(roles.IT)

    page = client.get(reverse("admin:provisioning_group_change", args=[group.pk]))
    link = (
        reverse("admin:provisioning_person_changelist")
        + f"?memberships__group__id__exact={group.pk}"
    )
    assert link in page.content.decode()

    response = client.get(link)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [member]
