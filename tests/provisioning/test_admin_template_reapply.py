"""IT re-applies a changed template from the admin: people gain or lose its roles as they
match it now."""

import pytest
from django.urls import reverse

from portal import roles
from provisioning.models import AccessGrant
from provisioning.services.persons import person_create
from provisioning.services.roles import template_update
from tests.factories import RoleFactory, RoleTemplateFactory

pytestmark = pytest.mark.django_db

ACTIVE = AccessGrant.Status.ACTIVE


def holds(person, role) -> bool:
    return AccessGrant.objects.filter(person=person, role=role, status=ACTIVE).exists()


def test_reapplying_a_changed_template_moves_its_roles_to_who_matches_now(
    staff_client_for, actor, django_capture_on_commit_callbacks
):
    role = RoleFactory(name="CRM user")
    template = RoleTemplateFactory(name="Sales staff", department="Sales", roles=[role])
    seller = person_create(actor=actor, fields={"user_name": "sam", "department": "Sales"})
    engineer = person_create(actor=actor, fields={"user_name": "eve", "department": "Engineering"})
    assert holds(seller, role)
    template.department = "Engineering"
    template_update(template=template, actor=actor)
    assert holds(seller, role)  # saving alone re-evaluates nobody
    client, _ = staff_client_for(roles.IT)

    with django_capture_on_commit_callbacks(execute=True):  # the task is relayed on commit
        response = client.post(
            reverse("admin:provisioning_roletemplate_changelist"),
            {"action": "reapply", "_selected_action": [str(template.pk)]},
        )

    assert response.status_code == 302
    assert not holds(seller, role)
    assert holds(engineer, role)


def test_hr_cannot_reapply_a_template(staff_client_for, actor):
    template = RoleTemplateFactory(department="Sales", roles=[RoleFactory()])
    person = person_create(actor=actor, fields={"user_name": "sam", "department": "Sales"})
    template.department = "Legal"
    template_update(template=template, actor=actor)
    client, _ = staff_client_for(roles.HR)

    client.post(
        reverse("admin:provisioning_roletemplate_changelist"),
        {"action": "reapply", "_selected_action": [str(template.pk)]},
    )

    assert AccessGrant.objects.filter(person=person, status=ACTIVE).exists()


def test_saving_a_template_says_that_people_it_concerns_need_a_reapply(staff_client_for):
    role = RoleFactory(name="CRM user")
    template = RoleTemplateFactory(name="Sales staff", department="Sales", roles=[role])
    client, _ = staff_client_for(roles.IT)

    response = client.post(
        reverse("admin:provisioning_roletemplate_change", args=[template.pk]),
        {"name": "Sales staff", "department": "Engineering", "roles": [role.pk], "active": "on"},
        follow=True,
    )

    shown = [str(message) for message in response.context["messages"]]
    assert any("Re-apply to everyone it concerns" in message for message in shown), shown
