"""`manage.py ropa` writes the record of processing activities from the inventory."""

import csv
import json
from html import escape
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from compliance import inventory
from provisioning.services.scim_clients import scim_client_create

# The record reads which SCIM clients push identities, and their deprovisioning policies.
pytestmark = pytest.mark.django_db

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(tmp_path, settings) -> tuple[Path, list[str]]:
    settings.ROPA_CONTROLLER_NAME = "Example Org Ltd"
    settings.ROPA_CONTROLLER_CONTACT = "privacy@example.org"
    settings.ROPA_DPO_CONTACT = "dpo@example.org"
    out = StringIO()
    call_command("ropa", "--output", str(tmp_path / "record"), stdout=out)
    return tmp_path / "record", out.getvalue().splitlines()


def purposes() -> set[str]:
    return {entry.purpose for entry in inventory.INVENTORY}


def test_prints_the_three_files_then_the_directory(written):
    folder, lines = written

    assert lines == [str(folder / f"ropa.{ext}") for ext in ("csv", "json", "html")] + [str(folder)]


def test_json_has_one_activity_per_purpose_covering_every_declared_field(written):
    folder, _ = written

    document = json.loads((folder / "ropa.json").read_text())

    assert document["controller"] == {
        "name": "Example Org Ltd",
        "contact": "privacy@example.org",
        "dpo_contact": "dpo@example.org",
    }
    assert {a["purpose"] for a in document["activities"]} == purposes()
    fields = [key for a in document["activities"] for key in a["personal_data"]]
    assert sorted(fields) == sorted(entry.key for entry in inventory.INVENTORY)
    assert document["transfers"] == []
    assert any("hash-chained" in m for m in document["security_measures"])


def test_json_activity_carries_the_declared_basis_retention_and_recipients(written):
    folder, _ = written
    document = json.loads((folder / "ropa.json").read_text())
    activities = {a["purpose"]: a for a in document["activities"]}

    for entry in inventory.INVENTORY:
        activity = activities[entry.purpose]
        assert str(entry.lawful_basis.label) in activity["lawful_bases"]
        assert str(entry.retention) in activity["retention"]
        assert str(entry.category.label) in activity["data_categories"]
        assert set(entry.recipients) <= set(activity["recipients"])


def test_csv_has_a_row_per_purpose_with_the_controller(written):
    folder, _ = written

    with (folder / "ropa.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))

    assert {row["purpose"] for row in rows} == purposes()
    assert {row["controller"] for row in rows} == {"Example Org Ltd"}
    assert {row["transfers to third countries"] for row in rows} == {"None"}
    staff = next(row for row in rows if "portal.StaffUser.username" in row["personal data"])
    assert "Portal staff" in staff["categories of data subjects"]


def test_html_is_a_printable_page_naming_every_purpose(written):
    folder, _ = written

    page = (folder / "ropa.html").read_text()

    assert "@media print" in page
    assert "Example Org Ltd" in page
    assert "dpo@example.org" in page
    for purpose in purposes():
        assert escape(purpose) in page


def test_configured_transfers_appear_in_every_format(tmp_path, settings):
    settings.ROPA_TRANSFERS = ["United States: HR SaaS vendor, standard contractual clauses"]

    call_command("ropa", "--output", str(tmp_path), stdout=StringIO())

    assert json.loads((tmp_path / "ropa.json").read_text())["transfers"] == [
        "United States: HR SaaS vendor, standard contractual clauses"
    ]
    assert "standard contractual clauses" in (tmp_path / "ropa.csv").read_text()
    assert "standard contractual clauses" in (tmp_path / "ropa.html").read_text()


def test_an_unwritable_output_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(CommandError, match="Cannot write to"):
        call_command("ropa", "--output", str(blocker / "record"), stdout=StringIO())


def test_the_record_states_each_scim_clients_deprovisioning_policy(tmp_path, actor, settings):
    settings.SCIM_DEPROVISIONING = "keep"
    scim_client_create(actor=actor, name="Okta", profile="directory")
    scim_client_create(
        actor=actor, name="Entra ID", profile="directory", deprovisioning="erase-on-delete"
    )

    call_command("ropa", "--output", str(tmp_path), stdout=StringIO())

    entra, okta = json.loads((tmp_path / "ropa.json").read_text())["deprovisioning"]
    assert entra["source"] == "SCIM client Entra ID"
    assert entra["on_delete"].startswith("erased at once")
    assert entra["on_deactivation"] == "keep the person as a leaver until retention ends"
    assert entra["chosen_by"] == "the client's own policy"
    assert okta["on_delete"] == "keep the person as a leaver until retention ends"
    assert okta["chosen_by"] == "the portal's default"
    page = (tmp_path / "ropa.html").read_text()
    assert "Deprovisioning by the sources of identities" in page
    assert "SCIM client Entra ID" in page
