import pytest

from compliance.audit import crypto
from compliance.audit.chain import GENESIS, verify
from compliance.audit.models import AppendOnlyError, AuditEvent
from provisioning.services.persons import person_create, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(actor):
    person = person_create(actor=actor, fields={"user_name": "ada", "given_name": "Ada"})
    person_update(person=person, actor=actor, fields={"title": "Lead"})
    return person


def test_each_event_follows_the_one_before(person):
    first, second = AuditEvent.objects.order_by("sequence")

    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash
    assert verify().ok
    assert verify().verified == 2


def test_altering_a_row_breaks_the_chain_at_that_event(person, tamper):
    event = AuditEvent.objects.get(sequence=2)
    tamper(
        f"UPDATE {AuditEvent._meta.db_table} SET actor_label = 'mallory' WHERE id = %s",
        [event.pk],
    )

    result = verify()

    assert not result.ok
    assert result.first_broken == 2


def test_the_model_refuses_changes_and_deletes(person):
    event = AuditEvent.objects.first()
    assert event is not None

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(actor_label="x")


def test_destroying_the_subject_key_hides_details_and_the_chain_still_verifies(person):
    event = AuditEvent.objects.get(sequence=1)
    assert crypto.decrypt(event.subject_id, event.ciphertext)

    assert crypto.destroy_subject_key(str(person.pk))

    assert crypto.decrypt(event.subject_id, event.ciphertext) is None
    assert verify().ok
