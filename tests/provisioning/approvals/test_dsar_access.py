"""Data-subject requests reach access governance: grants, requests and approvals are in
the export package, and erasure ends and blanks them through the services."""

import io
import json
import zipfile

import pytest

from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.models import Erasure, ExportPackage, RequestType
from compliance.dsar.tasks import dsar_erase, dsar_export
from provisioning.models import AccessGrant, AccessRequest, Approval, Person
from provisioning.services import access
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def verified(actor, person, type):
    request = services.request_receive(actor=actor, regulation="gdpr", type=type, person=person)
    return services.request_verify(actor=actor, request=request, method="hr-record")


def exported_access(actor, person):
    request = verified(actor, person, RequestType.ACCESS)
    package = ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())
    archive = zipfile.ZipFile(io.BytesIO(packages.package_open(package)))
    return json.loads(archive.read("data.json"))["categories"]["access"]


def erased(actor, person):
    request = verified(actor, person, RequestType.DELETION)
    return Erasure.objects.get(pk=dsar_erase.delay(str(request.pk)).get())


@pytest.fixture
def granted(org, actor):
    return access.grant_create(
        person=org["hire"],
        role=RoleFactory(name="Vault"),
        source=AccessGrant.Source.MANUAL,
        actor=actor,
        reason="Covers for a colleague on sick leave",
        expires_at=None,
    )


def test_the_export_holds_the_persons_grants_requests_and_approvals(
    org, actor, granted, make_request
):
    make_request()

    exported = exported_access(actor, org["hire"])

    assert [(g["role"], g["reason"]) for g in exported["access-grants"]] == [
        ("Vault", "Covers for a colleague on sick leave")
    ]
    assert [r["justification"] for r in exported["access-requests"]] == [
        "Runs payroll this quarter"
    ]
    assert {(a["as"], a["approver_email"]) for a in exported["approvals"]} == {
        ("subject", "manager@example.org"),
        ("subject", "owner@example.org"),
    }


def test_the_export_of_an_approver_holds_the_approvals_addressed_to_them(org, actor, make_request):
    make_request()

    exported = exported_access(actor, org["manager"])

    assert [(a["as"], a["role"], a["decision"]) for a in exported["approvals"]] == [
        ("approver", "Payroll", "pending")
    ]


def test_erasure_revokes_the_grants_and_blanks_their_reasons(org, actor, granted):
    erasure = erased(actor, org["hire"])

    granted.refresh_from_db()
    assert (granted.status, granted.reason, granted.revocation_reason) == ("revoked", "", "")
    assert erasure.steps.get(eraser="access-grants").result == {
        "deactivated": True,
        "grants_revoked": 1,
        "grants_blanked": 1,
    }


def test_erasure_cancels_the_requests_and_blanks_the_justification(org, actor, make_request):
    request = make_request()

    erased(actor, org["hire"])

    request.refresh_from_db()
    assert (request.status, request.justification) == (AccessRequest.Status.CANCELLED, "")
    assert not request.approvals.filter(decision=Approval.Decision.PENDING).exists()


def test_erasing_an_approver_takes_their_address_off_the_approvals(org, actor, make_request):
    request = make_request()

    erased(actor, org["manager"])

    addresses = set(request.approvals.values_list("approver_email", flat=True))
    assert "manager@example.org" not in addresses
    assert f"erased-{org['manager'].pk.hex}@invalid" in addresses


def test_erasing_an_approver_who_left_earlier_hands_their_open_approvals_on(
    org, actor, make_request
):
    request = make_request()
    # Left before the leaver path handed approvals on: the stage still waits for them.
    Person.objects.filter(pk=org["manager"].pk).update(active=False)

    erasure = erased(actor, org["manager"])

    assert request.approvals.get(decision="pending").approver_email == "boss@example.org"
    assert erasure.steps.get(eraser="access-requests").result["approvals_handed_on"] == 1
