"""The right of access, complete: besides the record, the package holds the addresses
the person acted from, what they did themselves, their own data-subject requests, their
scheduled offboardings and the people they relate to, by name."""

import io
import json
import re
import zipfile
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from compliance.audit import crypto
from compliance.audit.chain import verify
from compliance.audit.models import AuditEvent
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.models import ExportPackage
from compliance.dsar.tasks import dsar_erase, dsar_export
from provisioning.services import lifecycle, persons, requests
from tests.factories import RoleFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ben(actor, client, django_capture_on_commit_callbacks):
    """Ben, managed by Farah, decides his report's request from 203.0.113.7 through the
    e-mailed link, and is scheduled to leave."""
    farah = persons.person_create(
        actor=actor, fields={"user_name": "farah", "display_name": "Farah Petrov"}
    )
    ben = persons.person_create(
        actor=actor,
        fields={"user_name": "ben", "display_name": "Ben Ode", "manager": farah},
        emails=[persons.Contact("ben@example.org", primary=True)],
    )
    carl = persons.person_create(actor=actor, fields={"user_name": "carl", "manager": ben})
    role = RoleFactory.create(requestable=True, max_duration=timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        requests.access_request(
            person=carl,
            role=role,
            requested_by=StaffUserFactory.create(),
            justification="on call",
            duration=timedelta(days=3),
            actor=actor,
        )
    (message,) = [m for m in mail.outbox if m.to == ["ben@example.org"]]
    link = re.search(r"http\S+/approvals/\S+", message.body)
    assert link is not None
    path = urlsplit(link[0]).path
    response = client.post(path, {"decision": "approve"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    lifecycle.person_offboard(
        person=ben,
        actor=actor,
        reason="moves abroad",
        effective_on=timezone.localdate() + timedelta(days=9),
    )
    return ben


def test_the_package_holds_everything_the_right_of_access_covers(actor, ben):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type="access", person=ben, identifiers={"user": "ben"}
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    package = ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())
    archive = zipfile.ZipFile(io.BytesIO(packages.package_open(package)))
    stores = {
        name: records
        for category in json.loads(archive.read("data.json"))["categories"].values()
        for name, records in category.items()
    }

    assert stores["relations"] == [
        {"relation": "manager", "name": "Farah Petrov", "subject_id": str(ben.manager_id)}
    ]
    assert [row["client_address"] for row in stores["client-addresses"]] == ["203.0.113.7"]
    assert [row["action"] for row in stores["actions-as-actor"]] == [
        "approval.decided",
        "approval.link_used",
    ]
    assert [row["request"] for row in stores["data-subject-requests"]] == [str(request.pk)]
    assert [row["reason"] for row in stores["scheduled-offboardings"]] == ["moves abroad"]


def test_the_address_a_person_acted_from_is_shredded_with_them(actor, ben):
    """Sealed under Ben's key, never in the clear chained column: erasing him shreds it,
    and the chain still verifies."""
    assert not AuditEvent.objects.filter(client_address="203.0.113.7").exists()
    sealed = AuditEvent.objects.get(action="approval.link_used")
    assert sealed.subject_id == str(ben.pk)
    assert crypto.decrypt(sealed.subject_id, sealed.ciphertext) == {"client_address": "203.0.113.7"}

    request = services.request_receive(actor=actor, regulation="gdpr", type="deletion", person=ben)
    services.request_verify(actor=actor, request=request, method="hr-record")
    dsar_erase.delay(str(request.pk)).get()

    assert crypto.decrypt(sealed.subject_id, sealed.ciphertext) is None
    assert verify().ok
