"""Starting a campaign freezes the access in scope as items and routes each to a reviewer
who is neither its holder nor in conflict with it; the start costs the same number of
queries however many items it freezes."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.audit.models import AuditEvent
from provisioning.errors import ReviewError
from provisioning.models import ReviewAssignment, ReviewItem
from provisioning.services.reviews import CampaignScope
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    EntitlementFactory,
    GroupFactory,
    PersonFactory,
    RoleFactory,
    SodRuleFactory,
)
from tests.provisioning.approvals.conftest import person_with_email
from tests.provisioning.reviews.conftest import links_in_mail

pytestmark = pytest.mark.django_db


def items(run):
    return {(item.person.user_name, item.held): item for item in run.items.select_related()}


def test_the_start_freezes_each_active_grant_in_scope_with_its_history(org, define, start):
    run = start(define())

    frozen = items(run)
    assert set(frozen) == {
        ("ada@example.org", "Payroll"),
        ("ada@example.org", "Reporting"),
        ("bob@example.org", "Reporting"),
    }
    payroll = frozen[("ada@example.org", "Payroll")]
    grant = org["grants"]["ada-payroll"]
    assert (payroll.grant_id, payroll.granted_by, payroll.granted_at) == (
        grant.pk,
        "tests",
        grant.starts_at,
    )
    assert (payroll.grant_reason, payroll.source, payroll.risk_level) == (
        "runs payroll",
        "request",
        "high",
    )
    assert run.item_count == 3
    assert AuditEvent.objects.filter(action="review.started", data__items=3).exists()


def test_revoked_grants_and_inactive_people_are_not_reviewed(org, define, start):
    org["grants"]["bob-reporting"].status = "revoked"
    org["grants"]["bob-reporting"].save()
    PersonFactory(active=False)  # holds nothing active anyway
    run = start(define())

    assert {key[0] for key in items(run)} == {"ada@example.org"}


@pytest.mark.parametrize(
    ("scope", "fields", "expected"),
    [
        ({}, {"risk_levels": ["high"]}, {("ada@example.org", "Payroll")}),
        ({}, {"manual_only": True}, {("bob@example.org", "Reporting")}),
        ("roles", {}, {("ada@example.org", "Reporting"), ("bob@example.org", "Reporting")}),
        ({}, {"person": "bob"}, {("bob@example.org", "Reporting")}),
    ],
)
def test_the_scope_filters_what_is_frozen(org, define, start, scope, fields, expected):
    scope = CampaignScope(roles=[org["reporting"]]) if scope == "roles" else CampaignScope()
    if fields.get("person"):
        fields["person"] = org[fields["person"]]
    run = start(define(scope=scope, **fields))

    assert set(items(run)) == expected


def test_a_department_scope_leaves_out_other_departments(org, define, start):
    AccessGrantFactory(person=PersonFactory(department="Sales"), role=org["reporting"])
    run = start(define(department="finance"))

    assert run.item_count == 3


def test_an_application_scope_takes_roles_and_entitlements_in_it(org, define, start):
    crm = ApplicationFactory(name="CRM")
    seat = EntitlementFactory(application=crm, name="seat")
    org["reporting"].entitlements.add(seat)
    licence = EntitlementFactory(application=crm, name="licence")
    AccessGrantFactory(person=org["bob"], role=None, entitlement=licence)
    AccessGrantFactory(person=org["ada"], role=None, entitlement=EntitlementFactory(name="other"))
    run = start(define(scope=CampaignScope(applications=[crm])))

    assert set(items(run)) == {
        ("ada@example.org", "Reporting"),
        ("bob@example.org", "Reporting"),
        ("bob@example.org", "CRM: licence"),
    }


def test_group_memberships_in_scope_are_frozen_too(org, define, start):
    group = GroupFactory(display_name="Finance share")
    group.members.add(org["bob"])
    run = start(define(scope=CampaignScope(roles=[org["payroll"]], groups=[group])))

    kinds = sorted(item.kind for item in run.items.all())
    assert kinds == ["grant", "membership"]


def test_each_reviewer_gets_one_email_with_a_link_to_their_items(org, define, start):
    start(define())

    assert list(links_in_mail()) == ["manager@example.org"]
    (message,) = mail.outbox
    assert "Finance review" in message.subject


def test_nobody_reviews_their_own_access(org, define, start):
    AccessGrantFactory(person=org["manager"], role=org["reporting"])
    run = start(define(reviewer_kind="named", named_reviewer=_staff_for(org["manager"])))

    own = run.items.get(person=org["manager"])
    assert (own.reviewer_email, own.routing) == ("fallback@example.org", "self")


def test_a_reviewer_holding_a_conflicting_role_is_routed_to_the_fallback(org, define, start):
    approver = RoleFactory(name="Payroll approver")
    SodRuleFactory(role_a=org["payroll"], role_b=approver)
    AccessGrantFactory(person=org["manager"], role=approver)
    run = start(define())

    payroll = run.items.get(role=org["payroll"])
    reporting = run.items.filter(role=org["reporting"]).first()
    assert (payroll.reviewer_email, payroll.routing) == ("fallback@example.org", "conflict")
    assert (reporting.reviewer_email, reporting.routing) == ("manager@example.org", "chosen")


def test_a_person_with_no_manager_is_reviewed_by_the_fallback(org, define, start):
    loner = person_with_email("loner@example.org")
    AccessGrantFactory(person=loner, role=org["reporting"])
    run = start(define())

    item = run.items.get(person=loner)
    assert (item.reviewer_email, item.routing) == ("fallback@example.org", "no-reviewer")


def test_owners_review_their_roles(org, define, start):
    run = start(define(reviewer_kind="owner"))

    assert set(run.items.values_list("reviewer_email", flat=True)) == {"owner@example.org"}
    assert ReviewAssignment.objects.filter(run=run).count() == 1


def test_an_inactive_campaign_does_not_start(define, start):
    with pytest.raises(ReviewError):
        start(define(active=False))


def _staff_for(person):
    from tests.factories import StaffUserFactory

    return StaffUserFactory(username="mgr", email=person.user_name)


def _people(count, role, manager):
    for _ in range(count):
        AccessGrantFactory(person=PersonFactory(manager=manager), role=role)


@pytest.mark.postgresql
def test_the_start_costs_the_same_queries_for_ten_or_sixty_items(org, define, start):
    """Set-based: INSERT ... SELECT and UPDATEs, not a query per item (100,000 in the
    benchmark)."""
    counts = []
    for size in (10, 60):
        ReviewItem.objects.all().delete()
        _people(size, org["reporting"], org["manager"])
        campaign = define(name=f"Sized {size}")
        with CaptureQueriesContext(connection) as queries:
            run = start(campaign)
        assert run.item_count >= size
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert counts[0] <= 30, counts
