"""No live secret in a stored e-mail, nor in an export package: the copy kept of an
approval e-mail says what it said, without the single-use link that decides the request."""

import io
import json
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command

from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.downloads import links as download_links
from compliance.dsar.models import ExportPackage, RequestType
from compliance.dsar.tasks import dsar_export
from compliance.errors import PackageLinkError
from provisioning.email_redaction import APPROVAL_LINK_REMOVED
from provisioning.errors import ApprovalLinkError
from provisioning.models import AccessRequest, SentEmail
from provisioning.services.approvals_links import link_open

pytestmark = pytest.mark.django_db

WORD = re.compile(r"[^\s\"'<>]+")


def live_secrets(text: str, client) -> list[str]:
    """Every URL, path or token in the text that still opens something: an approval link
    whose page answers, or a string the approval or package verifiers accept."""
    found = []
    for word in WORD.findall(text):
        word = word.rstrip(".,;)")
        path = urlsplit(word).path if "://" in word else word
        if path.startswith("/approvals/") and client.get(path).status_code == 200:
            found.append(word)
        for piece in {word, *path.split("/")}:
            for verify, refused in (
                (link_open, ApprovalLinkError),
                (packages.package_from_token, PackageLinkError),
                (download_links.link_from_token, PackageLinkError),
            ):
                try:
                    verify(piece)
                except refused:
                    continue
                found.append(piece)
    return found


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    """The demo data: its waiting request has e-mailed the role owner a live link."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    return AccessRequest.objects.get(status=AccessRequest.Status.PENDING)


def test_the_sent_approval_email_carries_a_live_link_but_its_stored_copy_does_not(demo, client):
    assert any(live_secrets(m.body, client) for m in mail.outbox)  # the detector works

    stored = SentEmail.objects.filter(template="approval_requested")
    assert stored.exists()
    for email in stored:
        assert APPROVAL_LINK_REMOVED in email.body
        assert "Justification:" in email.body  # what the e-mail said stays


def test_no_stored_email_holds_a_token_that_still_verifies_after_the_demo_flows(demo, client):
    """After the demo (a link still waiting) and after a decision through the e-mailed
    link (a decision e-mail), every stored body is walked."""

    def stored_secrets() -> list[str]:
        bodies = SentEmail.objects.values_list("body", flat=True)
        return [secret for body in bodies for secret in live_secrets(body, client)]

    assert stored_secrets() == []
    (path,) = [
        urlsplit(secret).path
        for message in mail.outbox
        for secret in live_secrets(message.body, client)
        if "://" in secret
    ]
    assert client.post(path, {"decision": "approve"}).status_code == 200

    assert SentEmail.objects.filter(template="access_request_decided").exists()
    assert stored_secrets() == []


def test_an_export_package_holds_no_token_that_still_verifies(demo, actor, client):
    request = services.request_receive(
        actor=actor, regulation="gdpr", type=RequestType.ACCESS, person=demo.person
    )
    services.request_verify(actor=actor, request=request, method="hr-record")
    package = ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())
    archive = zipfile.ZipFile(io.BytesIO(packages.package_open(package)))

    document = json.loads(archive.read("data.json"))
    emails = [
        record
        for records in document["categories"].values()
        for record in records.get("sent-emails", [])
    ]
    assert any(APPROVAL_LINK_REMOVED in email["body"] for email in emails)
    for name in archive.namelist():
        assert live_secrets(archive.read(name).decode(errors="replace"), client) == [], name
