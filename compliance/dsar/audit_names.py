"""How data-subject requests and what they produce are named where the audit trail refers
to them by id (compliance.audit.references): a person's identity history reads "GDPR
access 1a2b3c4d", the reference the requester was given, rather than a UUID."""

from compliance.audit.references import object_reference, register_object_reference
from compliance.dsar.models import DataSubjectRequest, Erasure, ExportPackage


def register() -> None:
    for reference in (
        object_reference({"request"}, DataSubjectRequest.objects.all(), actions="dsar."),
        object_reference({"package"}, ExportPackage.objects.all(), actions="dsar."),
        object_reference({"erasure"}, Erasure.objects.all(), actions="dsar."),
    ):
        register_object_reference(reference)
