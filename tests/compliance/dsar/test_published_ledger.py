"""The erasure ledger is published to an append-only, HMAC-chained file outside both
databases; `reapply_erasures --ledger FILE` verifies it, brings the key store's ledger in
line with it (a restored key store lost entries, or still holds lifted ones) and erases
again. A changed or cut file is a one-line error."""

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command

from compliance.dsar import ledger, services
from compliance.dsar.ledger_file import ledger_path
from compliance.dsar.models import (
    DataSubjectRequest,
    Erasure,
    ErasureLedgerEntry,
    ErasureStep,
    PublishedLedgerHead,
)
from compliance.dsar.tasks import dsar_erase
from compliance.errors import LedgerFileError
from provisioning.models import Person
from provisioning.services import persons
from tests.factories import PersonEmailFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_ledger_file(settings, tmp_path):
    settings.ERASURE_LEDGER_PATH = tmp_path / "ledger" / "erasure-ledger.jsonl"
    return settings.ERASURE_LEDGER_PATH


@pytest.fixture
def person(actor):
    return persons.person_create(
        actor=actor,
        fields={"user_name": "ilse.marrow", "external_id": "X-IM-7"},
        emails=[persons.Contact("ilse.marrow@example.org", primary=True)],
    )


def erase(actor, person):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=person
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    return Erasure.objects.get(pk=dsar_erase.delay(str(request.pk)).get())


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def reapply(path):
    out = io.StringIO()
    call_command("reapply_erasures", "--ledger", str(path), stdout=out)
    return out.getvalue()


def test_an_erasure_publishes_its_digests_and_subject_in_a_chained_line(actor, person):
    identifiers = ledger.digests([("user_name", "ilse.marrow"), ("external_id", "X-IM-7")])

    erase(actor, person)

    (line,) = lines(ledger_path())
    assert (line["seq"], line["op"], line["subject"]) == (1, "erased", str(person.pk))
    assert set(identifiers) <= set(line["digests"])
    assert "ilse" not in ledger_path().read_text()
    assert stat.S_IMODE(ledger_path().stat().st_mode) == 0o600
    assert PublishedLedgerHead.objects.get().mac == line["mac"]


def test_an_erasure_whose_ledger_line_cannot_be_written_erases_nothing(actor, person, settings):
    settings.ERASURE_LEDGER_PATH = ledger_path().parent  # a folder: the append fails
    ledger_path().mkdir(parents=True)

    with pytest.raises(LedgerFileError, match="could not be written"):
        erase(actor, person)

    assert Person.objects.get(pk=person.pk).user_name == "ilse.marrow"
    assert not ErasureStep.objects.exists()
    assert DataSubjectRequest.objects.get().status != "fulfilled"


def test_reapply_with_the_file_erases_again_after_the_key_store_lost_its_ledger(actor, person):
    erase(actor, person)
    # Both stores restored from before the erasure: the key store's ledger is empty, and
    # the person is back (written straight into the database, past the services).
    ErasureLedgerEntry.objects.all().delete()
    PublishedLedgerHead.objects.all().delete()
    restored = PersonFactory.create(user_name="Ilse.Marrow")
    PersonEmailFactory.create(person=restored, value="elsewhere@example.org")
    assert "Erased again: 0" in reapply_without_file()

    output = reapply(ledger_path())

    assert "Ledger file verified: 1 lines" in output
    assert "Erased again: 1" in output
    assert Person.objects.get(pk=restored.pk).user_name.startswith("erased-")
    assert ErasureLedgerEntry.objects.exists()


def reapply_without_file():
    out = io.StringIO()
    call_command("reapply_erasures", stdout=out)
    return out.getvalue()


def test_a_lifted_block_is_published_and_a_restored_key_store_does_not_bring_it_back(actor, person):
    erase(actor, person)
    digests = sorted(ErasureLedgerEntry.objects.values_list("digest", flat=True))
    incident = services.erased_identity_refused(actor=actor, digests=digests)
    before_lift = list(ErasureLedgerEntry.objects.values("digest", "kind"))
    services.erasure_block_lift(incident=incident, reason="rehired in March", actor=actor)
    ErasureLedgerEntry.objects.bulk_create(ErasureLedgerEntry(**row) for row in before_lift)

    output = reapply(ledger_path())

    assert [line["op"] for line in lines(ledger_path())] == ["erased", "lifted"]
    assert f"lifted blocks removed: {len(digests)}" in output
    assert not ErasureLedgerEntry.objects.exists()
    rehire = persons.person_create(actor=actor, fields={"user_name": "ilse.marrow"})
    assert Person.objects.get(pk=rehire.pk).active


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda text: text.replace('"op":"erased"', '"op":"lifted"'),
            "line 1: the chain is broken",
        ),
        (lambda text: text[:-20], "line 1 is incomplete: the file was truncated"),
        (lambda text: "", "ends at line 0, but the key store saw line 1 written"),
    ],
    ids=["changed", "torn", "emptied"],
)
def test_a_changed_or_cut_ledger_file_is_a_one_line_error(actor, person, damage, message, tmp_path):
    erase(actor, person)
    copy = tmp_path / "copy.jsonl"
    copy.write_text(damage(ledger_path().read_text()))

    with pytest.raises(CommandError, match=message) as error:
        reapply(copy)

    assert "\n" not in str(error.value)


def test_lines_cut_from_the_end_are_noticed_by_the_key_stores_head(actor, person, tmp_path):
    erase(actor, person)
    erase(actor, persons.person_create(actor=actor, fields={"user_name": "second.one"}))
    copy = tmp_path / "copy.jsonl"
    copy.write_text(ledger_path().read_text().splitlines(keepends=True)[0])

    with pytest.raises(CommandError, match="ends at line 1, but the key store saw line 2"):
        reapply(copy)


def test_a_torn_last_line_from_a_crash_is_cut_off_before_the_next_append(actor, person):
    erase(actor, person)
    with ledger_path().open("a") as file:
        file.write('{"seq": 2, "op": "era')

    erase(actor, persons.person_create(actor=actor, fields={"user_name": "second.one"}))

    assert [line["seq"] for line in lines(ledger_path())] == [1, 2]
    assert "Ledger file verified: 2 lines" in reapply(ledger_path())
