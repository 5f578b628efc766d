"""The rules a request must pass before anyone is asked to approve it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import roles
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
from tests.provisioning.approvals.conftest import conflict, link_to, person_with_email

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


def test_the_extra_stage_records_the_rule_that_asked_for_it(make_request, rule):
    request = make_request()

    assert request.approvals.get(kind="sod").sod_rule == rule
    assert not request.approvals.exclude(kind="sod").exclude(sod_rule=None).exists()


def test_a_reviewer_who_is_also_the_owner_decides_the_rule_s_review_apart(make_request, org, rule):
    """The review follows its rule (a new reviewer, a refusal, its removal); merged into
    the owner's stage, it would take the owner's approval along."""
    rule.extra_approver = org["owner"]
    rule.save()

    request = make_request()

    stages = list(request.approvals.values_list("kind", "approver_email", "sod_rule"))
    assert stages == [
        ("manager", "manager@example.org", None),
        ("owner", "owner@example.org", None),
        ("sod", "owner@example.org", rule.pk),
    ]


def test_two_rules_with_one_reviewer_each_ask_for_their_own_review(make_request, org, rule):
    other = conflict(holder=org["hire"], requested=org["role"], reviewer=rule.extra_approver)

    request = make_request()

    reviews = request.approvals.filter(kind="sod").order_by("stage")
    assert [(r.stage, r.sod_rule_id) for r in reviews] in (
        [(3, rule.pk), (4, other.pk)],
        [(3, other.pk), (4, rule.pk)],
    )


def test_a_manager_who_is_also_the_owner_still_decides_once(make_request, org):
    org["role"].owner = StaffUserFactory(email="manager@example.org")
    org["role"].save()

    request = make_request()

    assert list(request.approvals.values_list("kind", flat=True)) == ["manager"]


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


def test_the_reviewer_s_link_page_names_the_rule(make_request, rule, review_pending, client):
    review_pending(make_request())

    page = client.get(link_to("security@example.org"))

    assert b"separation-of-duties reviewer for Payroll / Accounts payable" in page.content


def test_the_reviewer_s_inbox_names_the_rules_in_one_query(
    make_request, org, rule, review_pending, staff_client_for, django_assert_num_queries
):
    """The owner reviews the rule too: once as owner, then for the rule, named with its
    roles in the page's one query."""
    rule.extra_approver = org["owner"]
    rule.save()
    client, _ = staff_client_for(roles.APPROVER, email="owner@example.org")
    review_pending(make_request())
    inbox = reverse("admin:provisioning_inbox")
    client.get(inbox)  # the session and permissions, once

    # The session, the user, their device, their permissions (2), the count and the page.
    with django_assert_num_queries(7):
        page = client.get(inbox)

    assert b"separation-of-duties reviewer for Payroll / Accounts payable" in page.content
