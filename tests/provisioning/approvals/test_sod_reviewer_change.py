"""A separation-of-duties rule that changes reviewer hands its open extra stages to the new
reviewer, so that no request waits on someone who no longer answers for the rule."""

import pytest
from django.core import mail

from compliance.audit.models import AuditEvent
from provisioning.models import AccessRequest, Approval, SodRule
from tests.factories import AccessGrantFactory, RoleFactory, SodRuleFactory, StaffUserFactory
from tests.provisioning.approvals.conftest import link_to, person_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(org):
    """The hire already holds a role that conflicts with the one requested; security reviews."""
    held = RoleFactory(name="Accounts payable")
    AccessGrantFactory(person=org["hire"], role=held)
    return SodRuleFactory(
        role_a=org["role"],
        role_b=held,
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=StaffUserFactory(username="security", email="security@example.org"),
    )


@pytest.fixture
def successor():
    return StaffUserFactory(username="successor", email="successor@example.org")


@pytest.fixture
def change_reviewer(it_saves):
    """IT names another reviewer on the rule's admin page."""

    def change(rule: SodRule, reviewer, description: str = "") -> None:
        it_saves(
            rule,
            {
                "role_a": rule.role_a_id,
                "role_b": rule.role_b_id,
                "effect": rule.effect,
                "extra_approver": reviewer.pk,
                "description": description,
            },
        )

    return change


@pytest.fixture
def review_pending(client, django_capture_on_commit_callbacks):
    """The manager and the owner approve, so that the rule's stage (the third) is pending."""

    def approve_up_to_review(request: AccessRequest) -> None:
        for approver in ("manager@example.org", "owner@example.org"):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(link_to(approver), {"decision": "approve"})
        assert request.approvals.get(stage=3).decision == Approval.Decision.PENDING

    return approve_up_to_review


def open_review(request: AccessRequest) -> Approval:
    return request.approvals.exclude(decision=Approval.Decision.ESCALATED).get(stage=3)


def test_the_pending_review_goes_to_the_new_reviewer_with_a_fresh_link(
    make_request, rule, successor, change_reviewer, review_pending, client
):
    request = make_request()
    review_pending(request)
    stale = link_to("security@example.org")

    change_reviewer(rule, successor)

    pending = request.approvals.get(decision="pending")
    assert (pending.stage, pending.kind, pending.approver_email) == (
        3,
        Approval.Kind.SOD,
        "successor@example.org",
    )
    assert mail.outbox[-1].to == ["successor@example.org"]
    assert client.post(stale, {"decision": "approve"}).status_code in (400, 404, 410)
    assert client.post(link_to("successor@example.org"), {"decision": "approve"}).status_code == 200


def test_a_waiting_review_is_readdressed_without_an_email(
    make_request, rule, successor, change_reviewer
):
    request = make_request()
    mail.outbox.clear()

    change_reviewer(rule, successor)

    review = open_review(request)
    assert (review.decision, review.approver_email) == ("waiting", "successor@example.org")
    assert request.approvals.get(stage=1).decision == "pending"
    assert mail.outbox == []


def test_a_reviewer_who_is_the_requester_is_passed_over_for_their_manager(
    make_request, org, rule, change_reviewer
):
    lead = person_with_email("lead@example.org")
    person_with_email("requester@example.org", manager=lead)
    request = make_request()

    change_reviewer(rule, org["requester"])

    assert open_review(request).approver_email == "lead@example.org"
    assert not request.approvals.filter(approver_email="requester@example.org").exists()


def test_the_hand_on_is_recorded_in_the_audit_trail(make_request, rule, successor, change_reviewer):
    request = make_request()

    change_reviewer(rule, successor)

    event = AuditEvent.objects.get(action="approval.escalated")
    assert event.data == {
        "request": str(request.pk),
        "stage": 3,
        "to": str(open_review(request).pk),
        "reason": "the separation-of-duties rule changed reviewer",
    }
    saved = AuditEvent.objects.filter(action="role.sod_rule_saved").latest("sequence")
    assert saved.data["extra_approver"] == str(successor.pk)


def test_saving_the_rule_again_with_the_same_reviewer_hands_nothing_on(
    make_request, rule, successor, change_reviewer
):
    request = make_request()
    change_reviewer(rule, successor)

    change_reviewer(rule, successor, description="Payments are made and approved apart")

    assert request.approvals.filter(decision="escalated").count() == 1
    assert open_review(request).approver_email == "successor@example.org"


def test_only_reviews_of_requests_for_the_rule_s_roles_move(
    make_request, org, rule, successor, change_reviewer
):
    """The same reviewer answers for another rule, over roles this one does not name."""
    other, held = RoleFactory(owner=org["owner"]), RoleFactory()
    AccessGrantFactory(person=org["hire"], role=held)
    SodRuleFactory(
        role_a=other,
        role_b=held,
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=rule.extra_approver,
    )
    caught, elsewhere = make_request(), make_request(role=other)

    change_reviewer(rule, successor)

    assert open_review(caught).approver_email == "successor@example.org"
    assert open_review(elsewhere).approver_email == "security@example.org"


def test_a_rule_given_other_roles_and_a_new_reviewer_at_once_hands_on_the_reviews_it_added(
    make_request, rule, successor, it_saves
):
    request = make_request()

    it_saves(
        rule,
        {
            "role_a": RoleFactory(name="Treasury").pk,
            "role_b": RoleFactory(name="Audit").pk,
            "effect": rule.effect,
            "extra_approver": successor.pk,
            "description": "",
        },
    )

    assert open_review(request).approver_email == "successor@example.org"
