"""The restore drill (docs/operations.md, "Backups and restores"): both databases dumped
before an erasure and restored after it bring the subject back in full, until
`reapply_erasures --ledger FILE` (the published ledger, kept apart from the backups)
erases them again, after which none of their audit details nor their export package
decrypts. And once the KEK has rotated and the backup retention window has passed, the
old key-store dump unwraps nothing at all."""

import io
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from compliance.audit import crypto
from compliance.audit.models import AuditEvent, SubjectKey
from compliance.audit.services import keys_rotate
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.ledger_file import ledger_path
from compliance.dsar.models import ExportPackage
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.errors import PackageLinkError
from compliance.routers import KEY_STORE
from provisioning.models import Person
from provisioning.services import persons

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql():
    if connections["default"].vendor != "postgresql":
        pytest.skip("the drill dumps with pg_dump; on SQLite a file copy does the same")


@pytest.fixture(autouse=True)
def own_files(settings, tmp_path):
    settings.KEYRING_PATH = tmp_path / "keys" / "keyring.json"
    settings.ERASURE_LEDGER_PATH = tmp_path / "ledger" / "erasure-ledger.jsonl"
    settings.MEDIA_ROOT = tmp_path / "media"


def pg(program, alias, *args):
    database = connections[alias].settings_dict
    command = [program, "-h", database["HOST"] or "127.0.0.1", "-p", str(database["PORT"] or 5432)]
    command += ["-U", database["USER"], *args]
    subprocess.run(command, check=True, capture_output=True, text=True)


def dump(alias, folder):
    path = folder / f"{alias}.dump"
    pg(
        "pg_dump",
        alias,
        "--format=custom",
        "--no-owner",
        "-f",
        str(path),
        connections[alias].settings_dict["NAME"],
    )
    return path


def restore(alias, path):
    """What an operator does: stop the portal (here, close Django's connections), then
    pg_restore over the database."""
    connections.close_all()
    name = connections[alias].settings_dict["NAME"]
    pg(
        "pg_restore",
        alias,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "-d",
        name,
        str(path),
    )


def readable_details(subject):
    events = AuditEvent.objects.filter(subject_id=subject).exclude(ciphertext="")
    return [crypto.decrypt(subject, event.ciphertext) for event in events], events.count()


def test_the_restore_drill(actor, tmp_path):
    person = persons.person_create(
        actor=actor,
        fields={"user_name": "orla.finch", "given_name": "Orla", "family_name": "Finch"},
        emails=[persons.Contact("orla.finch@example.org", primary=True)],
    )
    subject = str(person.pk)
    access = services.request_receive(actor=actor, regulation="gdpr", type="access", person=person)
    services.request_verify(actor=actor, request=access, method="hr-record")
    package = ExportPackage.objects.get(pk=dsar_export.delay(str(access.pk)).get())
    sealed_file = packages.package_path(package).read_bytes()  # the media backup
    backups = {alias: dump(alias, tmp_path) for alias in ("default", KEY_STORE)}

    deletion = services.request_receive(
        actor=actor, regulation="gdpr", type="deletion", person=person
    )
    services.request_verify(actor=actor, request=deletion, method="hr-record")
    dsar_erase.delay(str(deletion.pk)).get()
    for alias, path in backups.items():
        restore(alias, path)

    # The restore brought the subject back in full: that is what the ledger file undoes.
    assert Person.objects.get(pk=person.pk).user_name == "orla.finch"
    details, count = readable_details(subject)
    assert count > 0
    assert all(details)
    restored_package = ExportPackage.objects.get(pk=package.pk)
    # The key store's own ledger came back from before the erasure too: it knows nothing.
    unaided = io.StringIO()
    call_command("reapply_erasures", stdout=unaided)
    assert "Erased again: 0" in unaided.getvalue()

    out = io.StringIO()
    call_command("reapply_erasures", "--ledger", str(ledger_path()), stdout=out)

    assert "Erased again: 1" in out.getvalue()
    assert Person.objects.get(pk=person.pk).user_name.startswith("erased-")
    details, count = readable_details(subject)
    assert count > 0
    assert not any(details)
    packages.package_path(restored_package).write_bytes(sealed_file)
    with pytest.raises(PackageLinkError, match="the data subject was erased"):
        packages.package_open(restored_package)

    # After a rotation and the retention window, the old key-store dump unwraps nothing:
    # not this subject's key, nor anyone's.
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=30)):
        keys_rotate(actor=actor)
    with time_machine.travel(start + timedelta(days=30 + 35)):
        assert keys_rotate(actor=actor).destroyed
    restore(KEY_STORE, backups[KEY_STORE])

    assert SubjectKey.objects.filter(subject_id=subject).exists()
    assert crypto.subject_keys(list(SubjectKey.objects.values_list("subject_id", flat=True))) == {}
    with pytest.raises(PackageLinkError, match="the data subject was erased"):
        packages.package_open(restored_package)
