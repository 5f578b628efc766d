"""The export package of a demo person: every category the inventory declares, hashes."""

import csv
import hashlib
import html
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from compliance import inventory
from compliance.audit.models import AuditEvent
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.collectors import register_collector, unregister_collector
from compliance.dsar.models import ExportPackage, RequestType, Status
from compliance.dsar.tasks import dsar_export
from provisioning.connectors.models import Connector
from provisioning.models import Person
from provisioning.services import groups, persons
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_person():
    call_command("seed_demo", stdout=io.StringIO())
    return Person.objects.order_by("user_name").first()


@pytest.fixture
def person(actor):
    """A person made through the services, so the trail holds their events."""
    someone = persons.person_create(
        actor=actor,
        fields={"user_name": "rowan.vale", "given_name": "Rowan", "family_name": "Vale"},
        emails=[persons.Contact("rowan.vale@example.org", primary=True)],
    )
    groups.group_create(actor=actor, display_name="g1", member_ids=[someone.pk])
    groups.group_create(actor=actor, display_name="g2", member_ids=[someone.pk])
    return someone


def exported(actor, person, type=RequestType.ACCESS):
    request = services.request_receive(actor=actor, regulation="gdpr", type=type, person=person)
    services.request_verify(actor=actor, request=request, method="hr-record")
    package = ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())
    return request, package, zipfile.ZipFile(io.BytesIO(packages.package_open(package)))


def test_the_package_holds_every_category_the_inventory_declares_for_the_person(actor, demo_person):
    _, _, archive = exported(actor, demo_person)

    document = json.loads(archive.read("data.json"))
    declared = {
        str(entry.category)
        for entry in inventory.INVENTORY
        if entry.model in packages.SUBJECT_MODELS
    }
    assert declared <= set(document["categories"])
    for category in declared:
        assert f"csv/{category}.csv" in archive.namelist()


def test_the_package_holds_every_declared_field_of_the_person(actor, demo_person):
    _, _, archive = exported(actor, demo_person)

    document = json.loads(archive.read("data.json"))
    exported_fields = {
        name
        for stores in document["categories"].values()
        for store, rows in stores.items()
        if store.startswith("person-")
        for row in rows
        for name in row
    }
    assert {entry.field for entry in inventory.personal_fields("provisioning.Person")} == (
        exported_fields
    )


def test_every_manifest_hash_matches_its_file(actor, demo_person):
    _, _, archive = exported(actor, demo_person)

    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["files"]) == set(archive.namelist()) - {"manifest.json"}
    for name, sha256 in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == sha256


def test_the_package_holds_decrypted_audit_events_contacts_and_emails(actor, person):
    email = person.emails.get().value
    _, _, archive = exported(actor, person)

    document = json.loads(archive.read("data.json"))
    events = document["categories"]["technical"]["audit-events"]
    created = next(event for event in events if event["action"] == "person.created")
    assert created["details"]["after"]["user_name"] == person.user_name
    contacts = document["categories"]["contact"]["contacts"]
    assert {row["value"] for row in contacts} >= {email}
    assert len(document["categories"]["access"]["memberships"]) == 2


def test_the_summary_shows_purposes_recipients_sources_and_retention(actor, person):
    _, _, archive = exported(actor, person)

    summary = archive.read("summary.html").decode()
    entry = inventory.personal_fields("provisioning.Person")[0]
    for fact in (entry.purpose, entry.source, entry.recipients[0], str(entry.retention)):
        assert html.escape(fact) in summary


def test_the_package_is_stored_encrypted(actor, person):
    _, package, _ = exported(actor, person)

    stored = packages.package_path(package).read_bytes()
    assert person.user_name.encode() not in stored
    assert not stored.startswith(b"PK")


def test_exporting_fulfils_the_request_and_is_audited(actor, person):
    request, package, _ = exported(actor, person)

    request.refresh_from_db()
    assert (request.status, request.progress) == (Status.READY, 100)
    event = AuditEvent.objects.get(action="dsar.exported")
    assert event.data["sha256"] == package.sha256


def test_a_registered_collector_lands_in_the_package(actor, person):
    register_collector("grants", "access", lambda person: [{"entitlement": "GitHub: Owner"}])
    try:
        _, _, archive = exported(actor, person)
    finally:
        unregister_collector("grants")

    document = json.loads(archive.read("data.json"))
    assert document["categories"]["access"]["grants"] == [{"entitlement": "GitHub: Owner"}]


def test_the_summary_says_plainly_that_nothing_is_sold_or_shared(actor, person):
    _, _, archive = exported(actor, person)

    summary = archive.read("summary.html").decode()
    assert "<strong>No.</strong> We do not sell your personal information" in summary


def test_the_summary_names_the_applications_that_sell_or_share(actor, person):
    Connector.objects.create(
        application_id=ApplicationFactory.create(name="AdBroker").pk,
        base_url="https://adbroker.invalid/scim/v2",
        sold_or_shared=True,
    )

    _, _, archive = exported(actor, person)

    summary = archive.read("summary.html").decode()
    assert "<strong>Yes.</strong>" in summary
    assert "AdBroker" in summary
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/processing.csv").decode())))
    provisioned = [r for r in rows if inventory.PROVISIONED_RECIPIENT in r["recipients"]]
    assert provisioned
    assert {row["sold_or_shared"] for row in provisioned} == {"True"}


def test_the_summary_uses_the_ccpa_categories_beside_the_portals_own(actor, person):
    _, _, archive = exported(actor, person)

    summary = archive.read("summary.html").decode()
    for category in (
        inventory.StatutoryCategory.IDENTIFIERS,
        inventory.StatutoryCategory.CUSTOMER_RECORDS,
        inventory.StatutoryCategory.EMPLOYMENT,
    ):
        assert html.escape(str(category.label)) in summary
