"""The access-governance panels on the admin home: pending approvals and grants expiring
this week, each shown to the roles that may see them, at a fixed query cost."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import roles
from provisioning.models import AccessRequest, Approval
from tests.factories import AccessGrantFactory, PersonFactory, RoleFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
PENDING = 'id="panel-pending_approvals"'
EXPIRING = 'id="panel-grants_expiring"'


def pending_approval(approver_email, *, role_name="Payroll", age=timedelta(0)):
    role = RoleFactory(name=role_name)
    request = AccessRequest.objects.create(
        person_id=PersonFactory(display_name=f"Holder of {role_name}").pk,
        role_id=role.pk,
        requested_by_id=role.owner_id,
        justification="needs it",
        duration=timedelta(days=7),
    )
    approval = Approval.objects.create(
        request=request,
        stage=1,
        kind=Approval.Kind.OWNER,
        approver_email=approver_email,
        decision=Approval.Decision.PENDING,
    )
    Approval.objects.filter(pk=approval.pk).update(created=timezone.now() - age)
    return approval


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        (roles.APPROVER, {PENDING}),
        (roles.HR, {PENDING, EXPIRING}),
        (roles.IT, {PENDING, EXPIRING}),
        (roles.PRIVACY_OFFICER, set()),
    ],
)
def test_each_role_sees_the_governance_panels_its_permissions_allow(staff_client_for, role, seen):
    client, _ = staff_client_for(role)

    page = client.get(INDEX).content.decode()

    assert {panel for panel in (PENDING, EXPIRING) if panel in page} == seen


def test_pending_approvals_shows_the_count_the_viewers_share_and_the_oldest(staff_client_for):
    client, _ = staff_client_for(roles.APPROVER, email="approver@example.org")
    pending_approval("APPROVER@example.org", role_name="Vault", age=timedelta(days=3))
    pending_approval("someone@example.org", role_name="Payroll", age=timedelta(days=1))

    page = client.get(INDEX).content.decode()

    assert '<td class="pending-total">2</td>' in page
    assert f'href="{reverse("admin:provisioning_inbox")}">1</a>' in page
    assert "Vault for Holder of Vault" in page


def test_grants_expiring_lists_only_those_ending_within_seven_days(staff_client_for):
    client, _ = staff_client_for(roles.IT)
    now = timezone.now()
    AccessGrantFactory(role=RoleFactory(name="Soon"), expires_at=now + timedelta(days=6))
    AccessGrantFactory(role=RoleFactory(name="Later"), expires_at=now + timedelta(days=9))
    AccessGrantFactory(role=RoleFactory(name="Forever"), expires_at=None)

    page = client.get(INDEX).content.decode()

    assert "<td>Soon</td>" in page
    assert "<td>Later</td>" not in page
    assert "<td>Forever</td>" not in page


@pytest.mark.postgresql
def test_the_governance_panels_cost_the_same_queries_for_1_or_20_rows(
    staff_client_for, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.HR)
    now = timezone.now()
    for number in range(20):
        pending_approval(f"a{number}@example.org", role_name=f"Approval role {number}")
        AccessGrantFactory(expires_at=now + timedelta(days=2))
    client.get(INDEX)  # warm the session and permission caches as a real visit would

    # session, user, device, two permission lookups, approvals (count, oldest),
    # expiring grants (list, count past the cap), admin log
    with django_assert_max_num_queries(10):
        assert client.get(INDEX).status_code == 200
