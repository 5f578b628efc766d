import pytest

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from provisioning.errors import UniquenessError, VersionConflictError
from provisioning.services.persons import Contact, person_create, person_set_active, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(actor):
    return person_create(actor=actor, fields={"user_name": "ada", "title": "Engineer"})


def test_records_only_what_changed_with_the_reason_encrypted(actor, person):
    updated = person_update(
        person=person, actor=actor, fields={"title": "Lead", "user_name": "ada"}, reason="promotion"
    )

    assert updated.title == "Lead"
    assert updated.version == 2
    event = AuditEvent.objects.get(action="person.updated")
    assert event.data == {"fields": ["title"]}
    details = crypto.decrypt(event.subject_id, event.ciphertext)
    assert details == {
        "before": {"title": "Engineer"},
        "after": {"title": "Lead"},
        "reason": "promotion",
    }


def test_no_change_writes_nothing(actor, person):
    person_update(person=person, actor=actor, fields={"title": "Engineer"})

    person.refresh_from_db()
    assert person.version == 1
    assert not AuditEvent.objects.filter(action="person.updated").exists()


def test_a_stale_version_is_refused(actor, person):
    person_update(person=person, actor=actor, fields={"title": "Lead"}, expected_version=1)

    with pytest.raises(VersionConflictError):
        person_update(person=person, actor=actor, fields={"title": "CTO"}, expected_version=1)


def test_renaming_onto_another_user_name_in_other_case_is_refused(actor, person):
    other = person_create(actor=actor, fields={"user_name": "ben"})

    with pytest.raises(UniquenessError):
        person_update(person=other, actor=actor, fields={"user_name": "ADA"})


def test_replacing_emails_is_recorded(actor, person):
    person_update(person=person, actor=actor, fields={}, emails=[Contact("a@example.org")])

    assert list(person.emails.values_list("value", flat=True)) == ["a@example.org"]
    assert AuditEvent.objects.get(action="person.updated").data == {"fields": ["emails"]}


def test_a_deactivation_reason_is_kept_out_of_the_clear_data(actor, person):
    person_set_active(person=person, actor=actor, active=False, reason="Ada resigned")

    event = AuditEvent.objects.get(action="person.deactivated")
    assert event.data == {}
    assert crypto.decrypt(event.subject_id, event.ciphertext) == {"reason": "Ada resigned"}


def test_deactivation_is_recorded_once(actor, person):
    person_set_active(person=person, actor=actor, active=False, reason="left")
    person_set_active(person=person, actor=actor, active=False, reason="left")

    person.refresh_from_db()
    assert not person.active
    assert AuditEvent.objects.filter(action="person.deactivated").count() == 1


def test_deactivation_records_when_the_person_left_and_reactivation_clears_it(actor, person):
    person_set_active(person=person, actor=actor, active=False)
    person.refresh_from_db()
    assert person.deactivated_at is not None

    person_set_active(person=person, actor=actor, active=True)
    person.refresh_from_db()
    assert person.deactivated_at is None
