"""A separation-of-duties rule that is deleted withdraws the open reviews it asked for, so
that no request waits on a review no rule asks for any more; its decided reviews stay."""

import pytest
from django.core import mail
from django.urls import reverse

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.models import AccessGrant, AccessRequest, SodRule
from tests.factories import AccessGrantFactory, StaffUserFactory
from tests.provisioning.approvals.conftest import conflict, decide, link_to, person_with_email

pytestmark = pytest.mark.django_db

REMOVED = "the separation-of-duties rule that asked for this review was removed"


@pytest.fixture
def second_rule(org):
    """The hire holds a second conflicting role, whose rule audit reviews."""
    audit = StaffUserFactory(username="audit", email="audit@example.org")
    return conflict(holder=org["hire"], requested=org["role"], reviewer=audit)


def test_deleting_the_rule_withdraws_the_pending_review_and_the_request_is_granted(
    make_request, rule, review_pending, it_deletes, client
):
    request = make_request()
    review_pending(request)
    review_link = link_to("security@example.org")

    it_deletes(rule)

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    grant = AccessGrant.objects.get(role=request.role, person=request.person)
    assert (grant.status, grant.request_id) == ("active", request.pk)
    review = request.approvals.get(stage=3)
    assert (review.decision, review.comment, review.token_hash) == ("skipped", REMOVED, "")
    assert review.decided_at is not None
    assert client.post(review_link, {"decision": "approve"}).status_code == 410
    assert mail.outbox[-1].to == ["requester@example.org"]


def test_with_another_review_to_come_the_next_one_opens_with_an_email(
    make_request, rule, second_rule, review_pending, it_deletes, client
):
    request = make_request()
    review_pending(request)
    # The two rules' reviews come in no set order; the first one's rule goes.
    withdrawn = SodRule.objects.get(approvals__request=request, approvals__stage=3)
    remaining = SodRule.objects.get(approvals__request=request, approvals__stage=4)
    mail.outbox.clear()

    it_deletes(withdrawn)

    request.refresh_from_db()
    assert request.status == AccessRequest.Status.PENDING
    assert not AccessGrant.objects.filter(role=request.role).exists()
    pending = request.approvals.get(decision="pending")
    assert (pending.stage, pending.sod_rule_id) == (4, remaining.pk)
    assert [message.to for message in mail.outbox] == [[remaining.extra_approver.email]]
    assert (
        client.post(link_to(remaining.extra_approver.email), {"decision": "approve"}).status_code
        == 200
    )


def test_a_waiting_review_is_withdrawn_and_the_owner_s_approval_grants(
    make_request, rule, it_deletes, client, django_capture_on_commit_callbacks
):
    request = make_request()

    it_deletes(rule)

    assert request.approvals.get(stage=1).decision == "pending"
    assert request.approvals.get(stage=3).decision == "skipped"
    decide(client, "manager@example.org", django_capture_on_commit_callbacks)
    decide(client, "owner@example.org", django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    assert AccessGrant.objects.filter(role=request.role, person=request.person).exists()
    assert not any("security@example.org" in message.to for message in mail.outbox)


def test_decided_reviews_keep_their_rows_once_the_rule_is_gone(
    make_request, rule, review_pending, it_deletes, client, django_capture_on_commit_callbacks
):
    request = make_request()
    review_pending(request)
    decide(client, "security@example.org", django_capture_on_commit_callbacks)

    it_deletes(rule)

    assert not SodRule.objects.filter(pk=rule.pk).exists()
    review = request.approvals.get(stage=3)
    assert (review.decision, review.sod_rule_id) == ("approved", None)
    assert not AuditEvent.objects.filter(
        action="approval.decided", data__decision="skipped"
    ).exists()


def test_a_withdrawn_review_keeps_its_row_too(make_request, rule, it_deletes):
    request = make_request()

    it_deletes(rule)

    review = request.approvals.get(stage=3)
    assert (review.decision, review.comment, review.sod_rule_id) == ("skipped", REMOVED, None)


def test_the_withdrawal_is_recorded_in_the_audit_trail(make_request, rule, it_deletes):
    request = make_request()

    it_deletes(rule)

    withdrawn = AuditEvent.objects.get(action="approval.decided")
    assert withdrawn.data == {
        "request": str(request.pk),
        "stage": 3,
        "decision": "skipped",
        "reason": REMOVED,
    }
    assert withdrawn.actor_kind == "staff"
    deleted = AuditEvent.objects.get(action="role.sod_rule_deleted")
    assert deleted.data["reviews_withdrawn"] == 1


def test_another_rule_s_review_by_the_same_reviewer_stays(make_request, org, rule, it_deletes):
    other = conflict(holder=org["hire"], requested=org["role"], reviewer=rule.extra_approver)
    request = make_request()

    it_deletes(rule)

    kept = request.approvals.get(sod_rule=other)
    assert kept.decision == "waiting"
    assert request.approvals.filter(kind="sod", decision="skipped").count() == 1


def test_the_confirmation_page_says_how_many_open_reviews_go(make_request, rule, staff_client_for):
    make_request()
    client, _ = staff_client_for(roles.IT)

    response = client.get(reverse("admin:provisioning_sodrule_delete", args=[rule.pk]))

    assert response.status_code == 200
    assert b"1 open review this rule asked for will be withdrawn" in response.content


def test_withdrawing_costs_a_fixed_number_of_queries_per_request(
    org,
    rule,
    make_request,
    it_deletes,
    client,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    """The admin's delete costs 21 queries; each withdrawal that grants 27: the review
    closed with its event (4), the next stage looked for (1), the request closed with its
    event and its requester's e-mail (8) with its outbox message (1, and 3 once committed:
    handed over, read by the sender, marked delivered), the grant made with its event (9),
    its pushes looked up (1). The stages are read with their request, person, role and
    requester in the one locked query."""
    for number in range(3):
        hire = person_with_email(f"hire{number}@example.org", manager=org["manager"])
        AccessGrantFactory(person=hire, role=rule.role_b)
        make_request(person=hire)
        for approver in ("manager@example.org", "owner@example.org"):
            decide(client, approver, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(21 + 3 * 27):
        it_deletes(rule)

    assert AccessGrant.objects.filter(role=rule.role_a).count() == 3
