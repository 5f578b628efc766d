"""Staff accounts in the admin: a role owner or a separation-of-duties reviewer cannot be
deactivated while named, and only active staff can be chosen to own a role or an
application or review a rule."""

import pytest
from django.urls import reverse

from portal import roles
from portal.models import StaffUser
from provisioning.models import SodRule
from tests.conftest import verified_client
from tests.factories import RoleFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    return verified_client(StaffUserFactory(is_superuser=True))


def deactivate(client, user):
    """Post the staff user's change form with 'active' unticked and the rest as it was."""
    joined = user.date_joined
    return client.post(
        reverse("admin:portal_staffuser_change", args=[user.pk]),
        {
            "username": user.username,
            "email": user.email,
            "is_staff": "on",
            "groups": [group.pk for group in user.groups.all()],
            "date_joined_0": joined.date().isoformat(),
            "date_joined_1": joined.time().strftime("%H:%M:%S"),
        },
    )


def test_a_role_owner_cannot_be_deactivated_while_they_own_roles(superuser_client):
    owner = StaffUserFactory(username="owner")
    RoleFactory(name="Payroll", owner=owner)
    RoleFactory(name="Vault", owner=owner)

    response = deactivate(superuser_client, owner)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["is_active"]
    assert errors == ["owner owns the roles Payroll, Vault: give them another owner first."]
    assert StaffUser.objects.get(pk=owner.pk).is_active


def test_staff_who_own_no_role_are_deactivated(superuser_client):
    leaver = StaffUserFactory(username="leaver")

    response = deactivate(superuser_client, leaver)

    assert response.status_code == 302
    assert not StaffUser.objects.get(pk=leaver.pk).is_active


@pytest.mark.parametrize(
    ("page", "field"),
    [
        ("provisioning_role_add", "owner"),
        ("provisioning_sodrule_add", "extra_approver"),
        ("provisioning_application_add", "owner"),
    ],
)
def test_only_active_staff_are_offered_to_approve(staff_client_for, page, field):
    """A role's owner and a separation-of-duties rule's reviewer answer approvals, an
    application's owner reviews its accounts."""
    client, it = staff_client_for(roles.IT)
    gone = StaffUserFactory(username="gone", is_active=False)

    form = client.get(reverse(f"admin:{page}")).context["adminform"].form

    choices = set(form.fields[field].queryset)
    assert it in choices
    assert gone not in choices


def test_a_separation_of_duties_reviewer_cannot_be_deactivated_while_named(superuser_client):
    reviewer = StaffUserFactory.create(username="reviewer")
    SodRule.objects.create(
        role_a=RoleFactory.create(name="Payments"),
        role_b=RoleFactory.create(name="Vendors"),
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=reviewer,
    )

    response = deactivate(superuser_client, reviewer)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_active"] == [
        "reviewer gives the extra approval of the separation-of-duties rules"
        " Payments / Vendors: name another reviewer first."
    ]
    assert StaffUser.objects.get(pk=reviewer.pk).is_active
