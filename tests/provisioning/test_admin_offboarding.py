"""HR offboards from the people list: a preview of what the leaver loses, a confirmation
naming who is cut off at once, a message saying what happened, and a scheduled leaver who
can be called off."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from portal import roles
from provisioning.connectors.models import Connector, DownstreamAccount
from provisioning.models import AccessGrant, Membership, Person, ScheduledOffboarding
from tests.factories import AccessGrantFactory, ApplicationFactory, GroupFactory, PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE = reverse("admin:provisioning_person_changelist")
OFFBOARDINGS = reverse("admin:provisioning_scheduledoffboarding_changelist")


@pytest.fixture
def hr(staff_client_for):
    client, _ = staff_client_for(roles.HR)
    return client


@pytest.fixture
def leaver():
    person = PersonFactory(display_name="Yara O'Brien", department="Finance")
    AccessGrantFactory(person=person, role__name="NetSuite controller")
    Membership.objects.create(
        person_id=person.pk, group_id=GroupFactory(display_name="finance-team").pk
    )
    return person


def offboard(client, person, **fields):
    return client.post(
        PEOPLE,
        {"action": "offboard", "_selected_action": [person.pk], "reason": "resigned", **fields},
    )


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def test_the_confirmation_previews_what_the_leaver_loses(hr, leaver):
    page = hr.post(PEOPLE, {"action": "offboard", "_selected_action": [leaver.pk]})

    body = page.content.decode()
    assert "Yara O&#x27;Brien" in body
    assert "NetSuite controller" in body
    assert "finance-team" in body
    assert f'href="{PEOPLE}"' in body  # a way back


def test_the_preview_says_in_plain_words_what_becomes_of_downstream_accounts(hr, leaver):
    for name, deprovision in (("Slack", "deactivate"), ("Jira", "delete")):
        connector = Connector.objects.create(
            application=ApplicationFactory.create(name=name),
            base_url=f"https://{name.lower()}.example/scim/v2",
            deprovision=deprovision,
        )
        DownstreamAccount.objects.create(connector=connector, person=leaver, downstream_id="1")

    body = hr.post(PEOPLE, {"action": "offboard", "_selected_action": [leaver.pk]}).content

    assert "Slack (account switched off, not deleted)" in body.decode()
    assert "Jira (account deleted)" in body.decode()
    assert b"active=" not in body


def test_today_needs_an_explicit_confirmation_naming_the_person(hr, leaver):
    page = offboard(hr, leaver, effective_on=timezone.localdate().isoformat())

    assert page.status_code == 200
    assert "This deactivates Yara O&#x27;Brien today" in page.content.decode()
    assert Person.objects.get(pk=leaver.pk).active


def test_a_past_date_with_confirmation_cuts_off_at_once_and_says_so(hr, leaver):
    yesterday = timezone.localdate() - timedelta(days=1)

    done = offboard(hr, leaver, effective_on=yesterday.isoformat(), confirm_now="on")

    assert done.status_code == 302
    assert not Person.objects.get(pk=leaver.pk).active
    assert AccessGrant.objects.get(person=leaver).status == AccessGrant.Status.REVOKED
    assert messages_of(done) == ["Offboarded now: Yara O'Brien. Their access is revoked."]


def test_a_later_date_schedules_and_says_until_when(hr, leaver):
    later = timezone.localdate() + timedelta(days=10)

    done = offboard(hr, leaver, effective_on=later.isoformat())

    assert Person.objects.get(pk=leaver.pk).active
    assert ScheduledOffboarding.objects.get(person=leaver).effective_on == later
    assert f"scheduled for {later:%d %B %Y}" in messages_of(done)[0]


def test_someone_already_inactive_is_named_and_left_alone(hr):
    gone = PersonFactory(display_name="Gone Already", active=False)

    done = offboard(hr, gone, confirm_now="on")

    assert messages_of(done) == ["Already inactive, left as they were: Gone Already."]
    assert not AuditEvent.objects.filter(action=Action.PERSON_DEACTIVATED).exists()


def test_hr_cancels_a_scheduled_offboarding_with_a_reason(hr, leaver):
    offboard(hr, leaver, effective_on=(timezone.localdate() + timedelta(days=10)).isoformat())
    scheduled = ScheduledOffboarding.objects.get(person=leaver)
    selection = {"action": "cancel", "_selected_action": [scheduled.pk]}

    confirm = hr.post(OFFBOARDINGS, selection)
    without_reason = hr.post(OFFBOARDINGS, {**selection, "reason": " "})
    done = hr.post(OFFBOARDINGS, {**selection, "reason": "stays after all"})

    assert "Yara O&#x27;Brien, last day" in confirm.content.decode()
    assert without_reason.status_code == 200
    assert done.status_code == 302
    assert ScheduledOffboarding.objects.get().status == ScheduledOffboarding.Status.CANCELLED
    event = AuditEvent.objects.get(action=Action.PERSON_OFFBOARD_CANCELLED)
    assert event.subject_id == str(leaver.pk)


def test_a_cancelled_offboarding_is_not_carried_out(hr, leaver, actor):
    from provisioning.services import lifecycle

    day = timezone.localdate() + timedelta(days=10)
    offboard(hr, leaver, effective_on=day.isoformat())
    scheduled = ScheduledOffboarding.objects.get(person=leaver)
    hr.post(
        OFFBOARDINGS,
        {"action": "cancel", "_selected_action": [scheduled.pk], "reason": "stays after all"},
    )

    assert lifecycle.offboardings_due_run(actor=actor, today=day) == 0
    assert Person.objects.get(pk=leaver.pk).active


def test_the_preview_costs_the_same_queries_for_many_leavers(hr, django_assert_max_num_queries):
    people = [AccessGrantFactory().person for _ in range(20)]

    with django_assert_max_num_queries(16):
        page = hr.post(PEOPLE, {"action": "offboard", "_selected_action": [p.pk for p in people]})

    assert page.status_code == 200
