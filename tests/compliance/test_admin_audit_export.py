"""Auditors export what they filtered: CSV, JSON Lines or OCSF JSON, streamed, by POST."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.http import StreamingHttpResponse
from django.urls import reverse

from compliance.audit import crypto, export
from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel, Outcome
from portal import roles
from provisioning.services.groups import group_create
from provisioning.services.persons import person_create, person_update
from tests.conftest import verified_client
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:compliance_auditevent_changelist")
EXPORT = reverse("admin:compliance_auditevent_export")


@pytest.fixture
def auditor(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)
    return client


@pytest.fixture
def ada(actor):
    scim = Actor.system("okta", channel=Channel.SCIM)
    ada = person_create(actor=scim, fields={"user_name": "ada", "given_name": "Ada"})
    person_update(person=ada, actor=scim, fields={"title": "Lead"})
    person_update(person=ada, actor=actor, fields={"title": "Director"})
    grace = person_create(actor=scim, fields={"user_name": "grace"})
    group_create(actor=scim, display_name="eng", member_ids=[ada.pk, grace.pk])
    return ada


def download(response):
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def export_url(**filters):
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return f"{EXPORT}?{query}" if query else EXPORT


def test_a_csv_export_of_a_filtered_selection_has_exactly_its_rows(auditor, ada):
    filters = {"subject": str(ada.pk), "channel__exact": "scim"}
    selection = auditor.get(CHANGELIST, filters).context["cl"].result_count

    rows = list(
        csv.DictReader(
            io.StringIO(download(auditor.post(export_url(**filters), {"format": "csv"})))
        )
    )

    assert selection == 3  # created, first update, joined the group
    assert len(rows) == selection
    assert {(row["subject_id"], row["channel"]) for row in rows} == {(str(ada.pk), "scim")}
    assert [int(row["sequence"]) for row in rows] == sorted(int(row["sequence"]) for row in rows)


def test_the_export_is_itself_an_event_with_its_filters_and_row_count(auditor, ada):
    before = AuditEvent.objects.count()

    body = download(auditor.post(export_url(subject=ada.pk), {"format": "jsonl"}))

    recorded = AuditEvent.objects.get(action=Action.AUDIT_EXPORTED)
    assert recorded.data == {
        "format": "jsonl",
        "filters": {"subject": str(ada.pk)},
        "rows": 4,
        "through_sequence": before,
    }
    assert recorded.channel == Channel.ADMIN
    assert len(body.splitlines()) == 4


def test_an_unfiltered_export_does_not_contain_its_own_event(auditor, ada):
    body = download(auditor.post(EXPORT, {"format": "jsonl"}))

    exported = [json.loads(line)["action"] for line in body.splitlines()]
    assert Action.AUDIT_EXPORTED not in exported
    assert len(exported) == AuditEvent.objects.count() - 1


def test_a_get_exports_nothing_and_records_nothing(auditor, ada):
    before = AuditEvent.objects.count()

    response = auditor.get(EXPORT, {"format": "csv"})

    assert response.status_code == 405
    assert AuditEvent.objects.count() == before


def test_the_export_needs_a_csrf_token(staff_client_for, ada):
    _, user = staff_client_for(roles.AUDITOR)
    client = verified_client(user)
    client.handler.enforce_csrf_checks = True

    response = client.post(EXPORT, {"format": "csv"})

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_the_changelist_offers_the_export_form_with_the_current_filters(auditor, ada):
    response = auditor.get(CHANGELIST, {"channel__exact": "scim"})

    body = response.content.decode()
    assert f'action="{EXPORT}?channel__exact=scim"' in body
    assert "csrfmiddlewaretoken" in body
    assert "Personal details are included decrypted" in body


def test_staff_who_may_view_but_not_export_get_no_export(ada):
    user = StaffUserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = verified_client(user)

    assert client.get(CHANGELIST).context["export_form"] is None
    assert client.post(EXPORT, {"format": "csv"}).status_code == 403


def test_privacy_officers_may_export(staff_client_for, ada):
    client, _ = staff_client_for(roles.PRIVACY_OFFICER)

    assert download(client.post(export_url(subject=ada.pk), {"format": "csv"}))


def test_an_unknown_format_is_a_message_not_a_crash(auditor, ada):
    response = auditor.post(export_url(subject=ada.pk), {"format": "xlsx"}, follow=True)

    assert "Choose an export format" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_json_lines_carry_decrypted_details_or_say_erased(auditor, ada, actor):
    crypto.destroy_subject_key(str(ada.pk))

    body = download(auditor.post(EXPORT + "?action__exact=person.created", {"format": "jsonl"}))

    lines = {line["target_id"]: line for line in map(json.loads, body.splitlines())}
    grace = next(line for key, line in lines.items() if key != str(ada.pk))
    assert grace["personal"]["after"]["user_name"] == "grace"
    assert grace["personal_status"] == "decrypted"
    assert lines[str(ada.pk)]["personal"] is None
    assert lines[str(ada.pk)]["personal_status"] == "erased"


def test_ocsf_events_map_our_fields_to_ocsf_attributes(auditor, ada):
    body = download(
        auditor.post(export_url(**{"action__exact": "group.members_added"}), {"format": "ocsf"})
    )

    events = json.loads(body)
    joined = next(e for e in events if e["user"]["uid"] == str(ada.pk))
    recorded = AuditEvent.objects.get(action="group.members_added", subject_id=str(ada.pk))
    assert joined["class_uid"] == 3006
    assert joined["category_uid"] == 3
    assert (joined["activity_id"], joined["activity_name"]) == (3, "Add User")
    assert joined["type_uid"] == 300603
    assert joined["time"] == int(recorded.occurred_at.timestamp() * 1000)
    assert joined["actor"]["user"]["name"] == "okta"
    assert (joined["status_id"], joined["status"]) == (1, "Success")
    assert joined["metadata"]["uid"] == recorded.hash
    assert joined["metadata"]["sequence"] == recorded.sequence
    assert joined["group"]["uid"] == recorded.target_id
    assert joined["unmapped"]["channel"] == "scim"


def test_ocsf_carries_the_client_address_and_a_failure(auditor):
    event_record(
        actor=Actor(
            kind=ActorKind.STAFF,
            identifier="unknown",
            label="mallory",
            channel=Channel.ADMIN,
            client_address="203.0.113.9",
        ),
        action=Action.STAFF_LOGIN_FAILED,
        target=("portal.staffuser", "mallory"),
        outcome=Outcome.DENIED,
    )

    body = download(auditor.post(export_url(actor="mallory"), {"format": "ocsf"}))

    (failed,) = json.loads(body)
    assert failed["src_endpoint"] == {"ip": "203.0.113.9"}
    assert (failed["class_uid"], failed["activity_name"]) == (3002, "Logon")
    assert (failed["status"], failed["status_detail"]) == ("Failure", "denied")


def test_an_empty_selection_is_an_empty_ocsf_array(auditor):
    body = download(auditor.post(export_url(subject="nobody"), {"format": "ocsf"}))

    assert json.loads(body) == []


def test_csv_cells_that_look_like_formulas_are_defused(auditor):
    event_record(
        actor=Actor(
            kind=ActorKind.STAFF, identifier="unknown", label="=HYPERLINK(1)", channel=Channel.ADMIN
        ),
        action=Action.STAFF_LOGIN_FAILED,
        target=("portal.staffuser", "x"),
        outcome=Outcome.DENIED,
    )

    body = download(
        auditor.post(export_url(**{"action__exact": "staff.login_failed"}), {"format": "csv"})
    )

    (row,) = csv.DictReader(io.StringIO(body))
    assert row["actor_label"] == "'=HYPERLINK(1)"


def test_each_chunk_reads_its_subject_keys_in_one_query(
    auditor, actor, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(export, "CHUNK", 10)
    for n in range(35):
        person_create(actor=actor, fields={"user_name": f"p{n}"})
    response = auditor.post(export_url(**{"action__exact": "person.created"}), {"format": "csv"})

    # The events (one cursor, fetched in 4 chunks on PostgreSQL) and one key read per chunk.
    with django_assert_max_num_queries(8):
        rows = list(csv.DictReader(io.StringIO(download(response))))

    assert len(rows) == 35


def test_the_csv_columns_keep_their_order(auditor, ada):
    """Auditors' tools read the columns by position."""
    header = download(auditor.post(export_url(), {"format": "csv"})).splitlines()[0]

    assert header.split(",") == [
        "sequence",
        "occurred_at",
        "action",
        "outcome",
        "actor_kind",
        "actor_id",
        "actor_label",
        "channel",
        "target_type",
        "target_id",
        "subject_id",
        "request_id",
        "client_address",
        "data",
        "personal",
        "personal_status",
        "previous_hash",
        "hash",
    ]
