"""One person's record from creation to deletion: what happened, when, how and by whom."""

import csv
import io
import json

import pytest
from django.urls import reverse

from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, Channel
from portal import roles
from provisioning.services.groups import group_create
from provisioning.services.persons import person_create, person_set_active, person_update
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def history_url(subject):
    return reverse("admin:compliance_identity_history", args=[subject])


def export_url(subject):
    return reverse("admin:compliance_identity_history_export", args=[subject])


@pytest.fixture
def auditor(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    return client


@pytest.fixture
def ada(actor):
    """Hired by HR in the admin, renamed by the IdP, given a team, then leaves."""
    hr = Actor.staff(StaffUserFactory(username="harriet"))
    okta = Actor.system("okta", channel=Channel.SCIM)
    ada = person_create(actor=hr, fields={"user_name": "ada", "title": "Engineer"})
    person_update(person=ada, actor=okta, fields={"title": "Lead"})
    group_create(actor=okta, display_name="eng", member_ids=[ada.pk])
    person_set_active(person=ada, actor=actor, active=False, reason="resigned")
    person_create(actor=hr, fields={"user_name": "grace"})
    return ada


def test_the_page_tells_the_story_in_order(auditor, ada):
    response = auditor.get(history_url(ada.pk))

    assert response.status_code == 200
    entries = response.context["entries"]
    assert [(e.action, e.channel, e.actor_label) for e in entries] == [
        (Action.PERSON_CREATED, "admin", "harriet"),
        (Action.PERSON_UPDATED, "scim", "okta"),
        (Action.GROUP_MEMBERS_ADDED, "scim", "okta"),
        (Action.PERSON_DEACTIVATED, "cli", "tests"),
    ]
    assert (
        entries[0].what
        == "Person created: emails=(empty), phoneNumbers=(empty), title=Engineer, user_name=ada"
    )
    assert entries[1].what == "Person changed: title: Engineer → Lead"
    assert entries[3].what == "Person deactivated: reason=resigned"


def test_once_the_key_is_destroyed_the_story_remains_without_details(auditor, ada):
    crypto.destroy_subject_key(str(ada.pk))

    entries = auditor.get(history_url(ada.pk)).context["entries"]

    assert entries[1].what == "Person changed (details erased)"
    assert entries[1].details_status == "erased"
    assert len(entries) == 4


def test_the_page_is_paginated_at_a_flat_query_cost(auditor, actor, django_assert_max_num_queries):
    ada = person_create(actor=actor, fields={"user_name": "ada"})
    for n in range(59):
        person_update(person=ada, actor=actor, fields={"title": f"T{n}"})
    url = history_url(ada.pk)
    auditor.get(url)  # warm the session and permission caches of the client

    # Session, user, device, permissions (2), the person, count, page, the subject's key.
    with django_assert_max_num_queries(9):
        first = auditor.get(url)
    second = auditor.get(url, {"page": 2})

    assert len(first.context["entries"]) == 50
    assert [e.sequence for e in second.context["entries"]][-1] == AuditEvent.objects.filter(
        subject_id=str(ada.pk)
    ).latest("sequence").sequence
    assert len(second.context["entries"]) == 10


def test_the_person_page_links_to_the_history_for_auditors(auditor, ada):
    response = auditor.get(reverse("admin:provisioning_person_change", args=[ada.pk]))

    assert history_url(ada.pk) in response.content.decode()


def test_staff_who_may_not_read_the_trail_get_neither_link_nor_page(staff_client_for, ada):
    client, _ = staff_client_for(roles.HR)

    person_page = client.get(reverse("admin:provisioning_person_change", args=[ada.pk]))

    assert history_url(ada.pk) not in person_page.content.decode()
    assert client.get(history_url(ada.pk)).status_code == 403


def test_a_csv_export_has_one_row_per_event_and_is_recorded_in_the_history(auditor, ada):
    response = auditor.post(export_url(ada.pk), {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == [
        "person.created",
        "person.updated",
        "group.members_added",
        "person.deactivated",
    ]
    assert json.loads(rows[1]["details"]) == {
        "after": {"title": "Lead"},
        "before": {"title": "Engineer"},
    }
    recorded = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert recorded.subject_id == str(ada.pk)
    assert recorded.data["rows"] == 4
    assert recorded.data["filters"] == {"report": "identity-history", "subject": str(ada.pk)}


def test_a_json_export_names_the_subject_and_lists_the_events(auditor, ada):
    response = auditor.post(export_url(ada.pk), {"format": "json"})

    document = json.loads(b"".join(response.streaming_content))
    assert document["subject_id"] == str(ada.pk)
    assert [e["channel"] for e in document["events"]] == ["admin", "scim", "scim", "cli"]
    assert document["events"][0]["details"]["after"]["user_name"] == "ada"


def test_the_history_export_is_post_only(auditor, ada):
    response = auditor.get(export_url(ada.pk), {"format": "csv"})

    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_a_subject_with_no_events_has_an_empty_history(auditor):
    response = auditor.get(history_url("00000000-0000-0000-0000-000000000001"))

    assert response.status_code == 200
    assert "No events about this subject." in response.content.decode()
    assert "no longer in the portal" in response.content.decode()
