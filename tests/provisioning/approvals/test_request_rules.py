"""The rules a request must pass before anyone is asked to approve it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning.errors import (
    AlreadyGrantedError,
    InactivePersonError,
    NoIndependentApproverError,
    RequestRefusedError,
    SelfApprovalError,
    SodConflictError,
)
from provisioning.models import AccessRequest, Approval, SodRule
from provisioning.services.requests import approval_decide_as_staff
from tests.factories import (
    AccessGrantFactory,
    PersonFactory,
    RoleFactory,
    SodRuleFactory,
    StaffUserFactory,
)
from tests.provisioning.approvals.conftest import person_with_email

pytestmark = pytest.mark.django_db


def test_a_duration_longer_than_the_role_allows_is_refused(make_request):
    with pytest.raises(RequestRefusedError, match="30 days"):
        make_request(duration=timedelta(days=31))
    assert not AccessRequest.objects.exists()


def test_a_role_that_is_not_requestable_is_refused(make_request):
    with pytest.raises(RequestRefusedError, match="cannot be requested"):
        make_request(role=RoleFactory(requestable=False))


def test_an_inactive_person_cannot_be_requested_for(make_request):
    with pytest.raises(InactivePersonError):
        make_request(person=PersonFactory(active=False))


def test_a_second_pending_request_for_the_same_role_is_refused(make_request):
    make_request()
    with pytest.raises(RequestRefusedError, match="already pending"):
        make_request()


def test_a_role_held_without_end_cannot_be_requested(make_request, org):
    AccessGrantFactory(person=org["hire"], role=org["role"])
    with pytest.raises(AlreadyGrantedError):
        make_request()


def test_a_conflicting_role_under_a_refuse_rule_is_refused(make_request, org):
    held = RoleFactory(name="Accounts payable")
    AccessGrantFactory(person=org["hire"], role=held)
    SodRuleFactory(role_a=held, role_b=org["role"], effect=SodRule.Effect.REFUSE)

    with pytest.raises(SodConflictError, match="Accounts payable"):
        make_request()


def test_a_conflict_under_an_extra_approval_rule_adds_a_stage(make_request, org):
    held = RoleFactory()
    AccessGrantFactory(person=org["hire"], role=held)
    reviewer = StaffUserFactory(email="security@example.org")
    SodRuleFactory(
        role_a=org["role"],
        role_b=held,
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=reviewer,
    )

    request = make_request()

    stages = list(request.approvals.values_list("kind", "approver_email"))
    assert stages == [
        ("manager", "manager@example.org"),
        ("owner", "owner@example.org"),
        ("sod", "security@example.org"),
    ]


def test_a_requester_who_is_the_manager_is_replaced_by_their_manager(make_request, org):
    manager_login = StaffUserFactory(email="manager@example.org")

    request = make_request(requested_by=manager_login)

    first = request.approvals.get(stage=1)
    assert first.approver_email == "boss@example.org"


def test_a_request_with_no_independent_approver_is_refused(make_request, org):
    owner = org["owner"]
    person_with_email("owner@example.org")  # the owner has no manager to turn to

    with pytest.raises(NoIndependentApproverError):
        make_request(requested_by=owner)


def test_nobody_approves_a_request_for_themselves_from_the_inbox(make_request, org, actor):
    request = make_request()
    approval = request.approvals.get(stage=1)
    # the hire's own address is made the approver's, as a tampered row would be
    Approval.objects.filter(pk=approval.pk).update(approver_email="hire@example.org")
    hire_login = StaffUserFactory(email="hire@example.org")

    with pytest.raises(SelfApprovalError):
        approval_decide_as_staff(
            approval=approval, user=hire_login, approve=True, comment="", actor=actor
        )
    assert Approval.objects.get(pk=approval.pk).decision == "pending"


def test_an_extension_runs_from_the_current_end(make_request, org, actor):
    ends = timezone.now() + timedelta(days=3)
    AccessGrantFactory(person=org["hire"], role=org["role"], source="request", expires_at=ends)
    request = make_request(duration=timedelta(days=10))
    manager = StaffUserFactory(email="manager@example.org")

    approval_decide_as_staff(
        approval=request.approvals.get(stage=1), user=manager, approve=True, comment="", actor=actor
    )
    approval_decide_as_staff(
        approval=request.approvals.get(stage=2),
        user=org["owner"],
        approve=True,
        comment="",
        actor=actor,
    )

    grants = request.person.grants.order_by("created")
    assert [g.status for g in grants] == ["revoked", "active"]
    assert grants.last().expires_at == ends + timedelta(days=10)
