"""`manage.py dsar export|erase USERNAME`: the last line is the package or receipt path."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance.dsar import services
from compliance.dsar.models import DataSubjectRequest
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
