"""A separation-of-duties rule that changes reviewer hands its open extra stages to the new
reviewer, so that no request waits on someone who no longer answers for the rule."""

import pytest
from django.core import mail

from compliance.audit.models import AuditEvent
from provisioning.models import AccessRequest, Approval, SodRule
from tests.factories import AccessGrantFactory, RoleFactory, SodRuleFactory, StaffUserFactory
from tests.provisioning.approvals.conftest import conflict, link_to, person_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def successor():
    return StaffUserFactory(username="successor", email="successor@example.org")


@pytest.fixture
def change_reviewer(it_saves):
    """IT names another reviewer on the rule's admin page."""

    def change(rule: SodRule, reviewer, description: str = "") -> list[str]:
        shown: list[str] = it_saves(
            rule,
            {
                "role_a": rule.role_a_id,
                "role_b": rule.role_b_id,
                "effect": rule.effect,
                "extra_approver": reviewer.pk,
                "description": description,
            },
        )
        return shown

    return change


def open_review(request: AccessRequest) -> Approval:
    return request.approvals.exclude(decision=Approval.Decision.ESCALATED).get(stage=3)


def test_the_pending_review_goes_to_the_new_reviewer_with_a_fresh_link(
    make_request, rule, successor, change_reviewer, review_pending, client
):
    request = make_request()
    review_pending(request)
    stale = link_to("security@example.org")

    shown = change_reviewer(rule, successor)

    assert "Open reviews handed on to the new reviewer: 1." in shown

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


def test_a_review_another_rule_over_the_same_role_asked_of_the_same_reviewer_stays(
    make_request, rule, colleague, successor, change_reviewer
):
    caught, elsewhere = make_request(), make_request(person=colleague)

    change_reviewer(rule, successor)

    assert open_review(caught).approver_email == "successor@example.org"
    assert open_review(elsewhere).approver_email == "security@example.org"
    assert not elsewhere.approvals.filter(decision="escalated").exists()


def test_of_two_reviews_by_the_same_reviewer_on_one_request_only_the_rule_s_moves(
    make_request, org, rule, successor, change_reviewer
):
    other = conflict(holder=org["hire"], requested=org["role"], reviewer=rule.extra_approver)
    request = make_request()

    change_reviewer(rule, successor)

    reviews = request.approvals.exclude(decision="escalated").filter(kind="sod")
    assert {(review.sod_rule_id, review.approver_email) for review in reviews} == {
        (rule.pk, "successor@example.org"),
        (other.pk, "security@example.org"),
    }
