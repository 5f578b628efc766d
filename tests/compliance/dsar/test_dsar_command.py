"""`manage.py dsar export|erase USERNAME`: the last line is the package or receipt path."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest
from compliance.outbox.models import OutboxMessage
from tests.brokers import broker_app
from tests.factories import PersonEmailFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("dsar", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_export_prints_the_path_of_the_zip_last(tmp_path):
    person = PersonEmailFactory().person

    last = run("export", person.user_name.upper(), "--output", str(tmp_path))[-1]

    archive = zipfile.ZipFile(Path(last))
    assert "manifest.json" in archive.namelist()
    request = DataSubjectRequest.objects.get()
    assert (request.type, request.verification_method) == ("access", "hr-record")


def test_erase_prints_the_path_of_the_receipt_last():
    person = PersonEmailFactory().person

    last = run("erase", person.user_name)[-1]

    receipt = json.loads(Path(last).read_text())
    assert receipt["subject"] == str(person.pk)
    assert receipt["completed_at"]


def test_an_unknown_username_is_a_one_line_error():
    with pytest.raises(CommandError, match="no person has the userName 'nobody'"):
        run("erase", "nobody")


def test_a_legal_hold_is_a_one_line_error_and_no_request_is_made(actor):
    person = PersonEmailFactory().person
    services.legal_hold_place(actor=actor, person=person, reason="tax audit 2026")

    with pytest.raises(CommandError, match="legal hold blocks erasure: tax audit 2026"):
        run("erase", person.user_name)
    assert not DataSubjectRequest.objects.exists()


def test_the_request_goes_through_the_outbox_and_its_progress_is_shown():
    person = PersonEmailFactory().person

    lines = run("erase", person.user_name)

    request = DataSubjectRequest.objects.get()
    assert (
        lines[0] == f"Request {request.pk} received, verified and queued (compliance.dsar_erase)."
    )
    message = OutboxMessage.objects.get(task="compliance.dsar_erase")
    assert message.args == [str(request.pk)]
    assert message.delivered_at is not None


def test_no_wait_leaves_the_request_queued_for_the_worker():
    person = PersonEmailFactory().person

    lines = run("export", person.user_name, "--no-wait")

    assert lines[-1] == "Not waiting: the request's page in the admin shows its progress."
    assert OutboxMessage.objects.get().delivered_at is None
    assert DataSubjectRequest.objects.get().progress_label == "queued"


def test_without_a_worker_the_wait_ends_with_a_clear_message(broker):
    person = PersonEmailFactory().person
    broker.start()

    with broker_app(broker.url), pytest.raises(CommandError) as refused:
        run("erase", person.user_name, "--timeout", "1")

    request = DataSubjectRequest.objects.get()
    assert str(refused.value) == (
        f"request {request.pk} is still at 0% (queued) after 1 s; it goes on in the worker "
        "(is one running?) and its page in the admin shows when it is done"
    )
    assert broker.queued() == 1  # handed to the broker, for the worker to take
