"""Access governance through the admin pages HR, IT and approvers use."""

import re
from datetime import timedelta

import factory
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from portal import roles
from provisioning.models import AccessGrant, AccessRequest, Person, Role, SodRule
from tests.factories import (
    AccessGrantFactory,
    EntitlementFactory,
    PersonEmailFactory,
    PersonFactory,
    RoleFactory,
    RoleTemplateFactory,
    SodRuleFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

ONBOARD = reverse("admin:provisioning_onboard")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def test_it_creates_a_role_with_its_entitlements(staff_client_for):
    client, user = staff_client_for(roles.IT)
    entitlement = EntitlementFactory()

    response = client.post(
        reverse("admin:provisioning_role_add"),
        {
            "name": "Developers",
            "owner": user.pk,
            "risk_level": "medium",
            "max_duration": "30",
            "requestable": "on",
            "on_timeout": "escalate",
            "entitlements": [entitlement.pk],
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(name="Developers")
    assert list(role.entitlements.all()) == [entitlement]
    event = AuditEvent.objects.get(action="role.created")
    assert event.data["entitlements"] == [str(entitlement.pk)]


def role_form(owner, **fields):
    return {
        "name": "Developers",
        "owner": owner.pk,
        "risk_level": "medium",
        "max_duration": "30",
        "on_timeout": "escalate",
        **fields,
    }


def test_durations_are_typed_and_shown_in_days(staff_client_for):
    client, user = staff_client_for(roles.IT)

    client.post(reverse("admin:provisioning_role_add"), role_form(user, max_duration="1.5"))
    role = Role.objects.get(name="Developers")
    page = client.get(reverse("admin:provisioning_role_change", args=[role.pk]))
    listing = client.get(reverse("admin:provisioning_role_changelist"))

    assert role.max_duration == timedelta(hours=36)
    assert 'name="max_duration" value="1.5"' in page.content.decode()
    assert '<td class="field-max_days">1.5</td>' in listing.content.decode()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("0", "Ensure this value is greater than or equal to 0.01."),
        ("thirty", "Enter a number."),
        ("30 00:00:00", "Enter a number."),
    ],
)
def test_a_duration_that_is_not_a_number_of_days_is_a_form_error(staff_client_for, typed, error):
    client, user = staff_client_for(roles.IT)

    response = client.post(
        reverse("admin:provisioning_role_add"), role_form(user, max_duration=typed)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["max_duration"] == [error]
    assert not Role.objects.exists()


def test_a_clashing_name_is_said_in_plain_words(staff_client_for):
    client, user = staff_client_for(roles.IT)
    RoleFactory(name="developers")

    response = client.post(reverse("admin:provisioning_role_add"), role_form(user))

    body = response.content.decode()
    assert "A role with this name already exists (names ignore case)." in body
    assert "role_name_ci_unique" not in body


def test_hr_cannot_change_roles(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    assert client.get(reverse("admin:provisioning_role_add")).status_code == 403


@pytest.fixture
def template():
    return RoleTemplateFactory(
        name="Engineers", department="Engineering", roles=[RoleFactory(name="GitHub")]
    )


def hire(template, **extra):
    return {"template": template.pk, "user_name": "new.hire", "email": "new@example.org", **extra}


def test_the_onboarding_preview_lists_the_grants_and_writes_nothing(staff_client_for, template):
    client, _ = staff_client_for(roles.HR)

    response = client.post(ONBOARD, {**hire(template), "action": "Preview"})

    assert response.status_code == 200
    assert [p.role.name for p in response.context["preview"]] == ["GitHub"]
    assert not Person.objects.exists()


def test_confirming_the_onboarding_creates_the_hire_with_the_previewed_grants(
    staff_client_for, template
):
    client, _ = staff_client_for(roles.HR)

    response = client.post(ONBOARD, {**hire(template), "action": "Confirm"})

    person = Person.objects.get(user_name="new.hire")
    assert response.status_code == 302
    assert person.department == "Engineering"
    assert person.emails.get().value == "new@example.org"
    assert list(person.grants.values_list("role__name", flat=True)) == ["GitHub"]


def test_a_hire_contradicting_the_template_is_a_form_error(staff_client_for, template):
    client, _ = staff_client_for(roles.HR)

    response = client.post(ONBOARD, {**hire(template, department="Sales"), "action": "Preview"})

    assert response.status_code == 200
    assert "does not match" in str(response.context["form"].non_field_errors())


def test_only_staff_who_may_add_people_onboard(staff_client_for):
    client, _ = staff_client_for(roles.IT)
    assert client.get(ONBOARD).status_code == 403


@pytest.fixture
def requestable():
    owner = StaffUserFactory(email="owner@example.org")
    return RoleFactory(name="Payroll", owner=owner, max_duration=timedelta(days=30))


def test_hr_requests_access_and_the_owner_is_emailed(
    staff_client_for, requestable, django_capture_on_commit_callbacks
):
    client, user = staff_client_for(roles.HR)
    person = PersonFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:provisioning_accessrequest_add"),
            {"person": person.pk, "role": requestable.pk, "justification": "audit", "days": 10},
        )

    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert request.requested_by == user
    assert mail.outbox[0].to == ["owner@example.org"]


def test_the_request_page_shows_days_and_names_its_stages_without_ids(
    staff_client_for, requestable, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.HR)
    person = PersonFactory(display_name="Nia Okafor")
    client.post(
        reverse("admin:provisioning_accessrequest_add"),
        {"person": person.pk, "role": requestable.pk, "justification": "audit", "days": 5},
    )
    url = reverse("admin:provisioning_accessrequest_change", args=[AccessRequest.objects.get().pk])
    client.get(url)  # warm the session and permission caches

    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('id="content-main"')[1]))

    assert UUID.findall(shown) == []
    assert "Days asked: 5" in shown
    assert "0:00:00" not in shown
    assert "Payroll for Nia Okafor: stage 1 (the role owner)" in shown


def test_a_duration_beyond_the_role_maximum_is_a_form_error(staff_client_for, requestable):
    client, _ = staff_client_for(roles.HR)

    response = client.post(
        reverse("admin:provisioning_accessrequest_add"),
        {"person": PersonFactory().pk, "role": requestable.pk, "justification": "x", "days": 31},
    )

    assert response.status_code == 200
    assert "30 days at most" in str(response.context["form"].errors["days"])
    assert not AccessRequest.objects.exists()


def test_the_approver_inbox_lists_and_decides_their_approvals(
    staff_client_for, requestable, actor, django_capture_on_commit_callbacks
):
    from provisioning.services.requests import access_request

    client, approver = staff_client_for(roles.APPROVER, email="owner@example.org")
    request = access_request(
        person=PersonFactory(),
        role=requestable,
        requested_by=StaffUserFactory(),
        justification="audit",
        duration=timedelta(days=5),
        actor=actor,
    )
    inbox = reverse("admin:provisioning_inbox")
    approval = request.approvals.get()

    listed = client.get(inbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(inbox, {"approval": approval.pk, "decision": "approve"})

    assert list(listed.context["page_obj"]) == [approval]
    assert AccessGrant.objects.get().request == request
    decided = AuditEvent.objects.get(action="approval.decided")
    assert (decided.actor_kind, decided.actor_id) == ("staff", str(approver.pk))


def test_an_approver_cannot_decide_someone_elses_approval(staff_client_for, requestable, actor):
    from provisioning.services.requests import access_request

    client, _ = staff_client_for(roles.APPROVER, email="someone@example.org")
    request = access_request(
        person=PersonFactory(),
        role=requestable,
        requested_by=StaffUserFactory(),
        justification="audit",
        duration=timedelta(days=5),
        actor=actor,
    )

    client.post(
        reverse("admin:provisioning_inbox"),
        {"approval": request.approvals.get().pk, "decision": "approve"},
    )

    assert not AccessGrant.objects.exists()


def test_it_grants_by_hand_with_a_reason(staff_client_for):
    client, _ = staff_client_for(roles.IT)
    person, role = PersonFactory(), RoleFactory()

    response = client.post(
        reverse("admin:provisioning_grant_manual"),
        {"person": person.pk, "role": role.pk, "reason": "incident response"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="grant.created")
    assert event.data["source"] == "manual"


def test_revoking_asks_for_a_reason_then_revokes(staff_client_for):
    client, _ = staff_client_for(roles.IT)
    grants = AccessGrantFactory.create_batch(2)
    url = reverse("admin:provisioning_accessgrant_changelist")
    selection = {"action": "revoke", "_selected_action": [g.pk for g in grants]}

    confirm = client.post(url, selection)
    done = client.post(url, {**selection, "reason": "no longer needed"})

    assert confirm.status_code == 200
    assert b"Give the reason" in confirm.content
    assert done.status_code == 302
    assert set(AccessGrant.objects.values_list("status", flat=True)) == {"revoked"}


def test_hr_offboards_from_the_people_list(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    grant = AccessGrantFactory()
    url = reverse("admin:provisioning_person_changelist")

    client.post(
        url,
        {
            "action": "offboard",
            "_selected_action": [grant.person_id],
            "reason": "resigned",
            "confirm_now": "on",
        },
    )

    assert not Person.objects.get(pk=grant.person_id).active
    assert AccessGrant.objects.get().status == "revoked"


def report(client, name):
    return client.get(reverse("admin:provisioning_report", args=[name]))


def test_the_expiring_report_lists_grants_ending_within_7_days(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    soon = AccessGrantFactory(expires_at=timezone.now() + timedelta(days=3))
    AccessGrantFactory(expires_at=timezone.now() + timedelta(days=9))

    response = report(client, "expiring")

    assert [row[0] for row in response.context["rows"]] == [soon.person]


def test_the_manual_report_lists_only_grants_made_by_hand(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    manual = AccessGrantFactory(source="manual")
    AccessGrantFactory(source="template")

    response = report(client, "manual")

    assert [row[0] for row in response.context["rows"]] == [manual.person]


def test_the_shared_report_finds_generic_and_reused_addresses(
    staff_client_for, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.AUDITOR)
    PersonEmailFactory(value="info@example.org")
    PersonEmailFactory(value="Same@example.org")
    PersonEmailFactory(value="same@example.org")
    PersonEmailFactory(value="ada@example.org")

    with django_assert_max_num_queries(12):
        response = report(client, "shared")

    assert response.context["rows"] == [("same@example.org", 2), ("info@example.org", 1)]


def test_the_sod_report_lists_people_holding_conflicting_roles(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    rule = SodRuleFactory(effect=SodRule.Effect.REFUSE)
    both = AccessGrantFactory(role=rule.role_a)
    AccessGrantFactory(person=both.person, role=rule.role_b)
    AccessGrantFactory(role=rule.role_a)  # holds one side only

    response = report(client, "sod")

    assert response.context["rows"] == [(both.person, rule.role_a, rule.role_b.name)]


def test_the_stale_report_lists_people_idle_for_longer_than_the_setting(staff_client_for, settings):
    client, _ = staff_client_for(roles.AUDITOR)
    idle = PersonFactory()
    Person.objects.filter(pk=idle.pk).update(modified=timezone.now() - timedelta(days=120))
    PersonFactory()

    response = report(client, "stale")

    assert [row[0] for row in response.context["rows"]] == [idle]


def test_the_reports_are_paginated(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    AccessGrantFactory.create_batch(55, source="manual")

    response = report(client, "manual")

    assert len(response.context["rows"]) == 50
    assert response.context["page_obj"].paginator.num_pages == 2


def test_the_grant_list_links_to_the_reports_and_costs_few_queries(
    staff_client_for, django_assert_max_num_queries
):
    client, _ = staff_client_for(roles.AUDITOR)
    AccessGrantFactory.create_batch(15)
    AccessGrantFactory.create_batch(
        15, role=None, entitlement=factory.SubFactory(EntitlementFactory)
    )

    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:provisioning_accessgrant_changelist"))

    assert reverse("admin:provisioning_reports").encode() in response.content


def test_the_approval_list_links_to_the_inbox(staff_client_for):
    client, _ = staff_client_for(roles.APPROVER)

    response = client.get(reverse("admin:provisioning_approval_changelist"))

    assert reverse("admin:provisioning_inbox").encode() in response.content


def test_changing_a_department_in_the_admin_moves_the_persons_birthright(staff_client_for, actor):
    from provisioning.services.persons import person_create

    RoleTemplateFactory(department="Engineering", roles=[RoleFactory(name="GitHub")])
    RoleTemplateFactory(department="Sales", roles=[RoleFactory(name="CRM")])
    person = person_create(actor=actor, fields={"user_name": "ada", "department": "Engineering"})
    client, _ = staff_client_for(roles.HR)
    url = reverse("admin:provisioning_person_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "department": "Sales",
            "manager": "",
            "active": "on",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "phone_numbers-TOTAL_FORMS": "0",
            "phone_numbers-INITIAL_FORMS": "0",
        }
    )

    assert client.post(url, data).status_code == 302

    held = AccessGrant.objects.filter(person=person, status="active")
    assert list(held.values_list("role__name", flat=True)) == ["CRM"]
