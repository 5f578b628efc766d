"""A separation-of-duties rule that asked for a review and now refuses the combination
rejects the pending requests its reviews are open on: approving the other stages must not
grant what the rule now refuses."""

import pytest
from django.core import mail

from compliance.audit.models import AuditEvent
from provisioning.models import AccessGrant, AccessRequest, SodRule
from tests.factories import AccessGrantFactory, SodRuleFactory
from tests.provisioning.approvals.conftest import decide, link_to, person_with_email

pytestmark = pytest.mark.django_db

REFUSES = "the separation-of-duties rule now refuses this combination"


@pytest.fixture
def make_refuse(it_saves):
    """IT makes the rule refuse on its admin page."""

    def refuse(rule: SodRule, description: str = "") -> list[str]:
        shown: list[str] = it_saves(
            rule,
            {
                "role_a": rule.role_a_id,
                "role_b": rule.role_b_id,
                "effect": SodRule.Effect.REFUSE,
                "extra_approver": "",
                "description": description,
            },
        )
        return shown

    return refuse


def test_the_pending_request_is_rejected_and_the_review_says_why(make_request, rule, make_refuse):
    request = make_request()

    shown = make_refuse(rule)

    assert any("Pending requests rejected, as the rule now refuses them: 1." in m for m in shown)

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REJECTED
    review = request.approvals.get(sod_rule=rule)
    assert (review.decision, review.comment, review.token_hash) == ("skipped", REFUSES, "")
    assert not request.approvals.filter(decision__in=["waiting", "pending"]).exists()


def test_approving_the_other_stages_afterwards_grants_nothing(
    make_request, rule, make_refuse, client, django_capture_on_commit_callbacks
):
    make_request()
    decide(client, "manager@example.org", django_capture_on_commit_callbacks)
    owner_link = link_to("owner@example.org")

    make_refuse(rule)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(owner_link, {"decision": "approve"})
    assert response.status_code == 410
    assert not AccessGrant.objects.filter(role=rule.role_a).exists()


def test_a_pending_review_s_link_stops_working(
    make_request, rule, make_refuse, review_pending, client
):
    request = make_request()
    review_pending(request)
    review_link = link_to("security@example.org")

    make_refuse(rule)

    assert client.post(review_link, {"decision": "approve"}).status_code == 410
    assert not AccessGrant.objects.filter(role=rule.role_a).exists()


def test_the_requester_is_told_as_of_any_rejection(make_request, rule, make_refuse):
    make_request()
    mail.outbox.clear()

    make_refuse(rule)

    (message,) = mail.outbox
    assert message.to == ["requester@example.org"]
    assert "rejected" in message.subject
    assert f"Why: {REFUSES}." in message.body


def test_the_rejection_is_recorded_in_the_audit_trail_with_its_reason(
    make_request, rule, make_refuse
):
    request = make_request()

    make_refuse(rule)

    event = AuditEvent.objects.get(action="request.decided")
    assert event.data == {
        "request": str(request.pk),
        "role": str(request.role_id),
        "status": "rejected",
        "reason": REFUSES,
    }
    assert event.actor_kind == "staff"


def test_requests_under_another_rule_with_the_same_reviewer_stay_pending(
    make_request, rule, colleague, make_refuse
):
    caught, elsewhere = make_request(), make_request(person=colleague)

    make_refuse(rule)

    caught.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (caught.status, elsewhere.status) == ("rejected", "pending")


def test_changing_only_the_description_of_a_refusing_rule_rejects_nothing(
    make_request, org, make_refuse
):
    rule = SodRuleFactory(role_a=org["role"], effect=SodRule.Effect.REFUSE)
    request = make_request()  # the hire does not hold the other role

    make_refuse(rule, description="Payments are made and approved apart")

    request.refresh_from_db()
    assert request.status == "pending"


def test_rejecting_requests_costs_a_fixed_number_of_queries_each(
    org, rule, make_request, make_refuse, django_assert_max_num_queries
):
    """The admin's save costs 30 queries; each rejection 13: the request's status, its
    stages skipped, the comment, the event (3), the e-mail's record (3), its outbox
    message written (1) and, once committed, handed over, read by the sender and marked
    delivered (3). The stages are read with their request, person, role and requester in
    the one locked query."""
    for number in range(3):
        hire = person_with_email(f"hire{number}@example.org", manager=org["manager"])
        AccessGrantFactory(person=hire, role=rule.role_b)
        make_request(person=hire)

    with django_assert_max_num_queries(30 + 3 * 13):
        make_refuse(rule)

    assert AccessRequest.objects.filter(status="rejected").count() == 3
