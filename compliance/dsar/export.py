"""Export (right of access and portability): run every collector, store one encrypted
package, and let the privacy officer download it through an expiring link."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar import package as packages
from compliance.dsar import progress
from compliance.dsar.models import DataSubjectRequest, ExportPackage, RequestType
from compliance.errors import RequestStateError
from compliance.inventory import EXPORT_RETENTION

EXPORTABLE = (RequestType.ACCESS, RequestType.PORTABILITY, RequestType.CORRECTION)


def request_export(*, actor: Actor, request: DataSubjectRequest) -> ExportPackage:
    """Build the package of a verified request's subject, stored encrypted and kept for
    the inventory's export retention; the request is then fulfilled, ready to close."""
    if request.type not in EXPORTABLE:
        raise RequestStateError("only access, portability or correction requests export data")
    if request.person is None:
        raise RequestStateError("no person matches this request; there is nothing to export")
    request = progress.request_start(request=request, label="collecting")
    person = request.person
    assert person is not None
    now = timezone.now()
    package = ExportPackage(
        request=request, person=person, expires_at=now + timedelta(days=EXPORT_RETENTION.days)
    )
    content = packages.package_build(
        person=person,
        request_id=str(request.pk),
        generated_at=now,
        progress=lambda percent, label: progress.request_progress(
            request=request, percent=percent, label=label
        ),
    )
    packages.package_seal(package, content)
    try:
        with transaction.atomic():
            package.save()
            event_record(
                actor=actor,
                action=Action.DSAR_EXPORTED,
                target=package,
                subject_id=request.subject_id,
                data={"request": str(request.pk), "sha256": package.sha256, "size": package.size},
            )
    except BaseException:
        packages.package_file_delete(package)
        raise
    progress.request_fulfilled(request=request)
    return package


def package_download(*, actor: Actor, package: ExportPackage) -> bytes:
    """The decrypted package, for the privacy officer; every download is recorded."""
    content = packages.package_open(package)
    event_record(
        actor=actor,
        action=Action.DSAR_PACKAGE_DOWNLOADED,
        target=package,
        subject_id=str(package.person_id),
        data={"request": str(package.request_id)},
    )
    return content
