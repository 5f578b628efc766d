"""An export package's key is wrapped by its subject's key: destroying that key (erasure)
destroys every copy of the package, a restored database row and a media backup included.
Packages sealed under the master key before that are re-sealed by the key rotation job."""

import io
import zipfile

import pytest
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action
from compliance.dsar import package as packages
from compliance.dsar import services
from compliance.dsar.models import ExportPackage
from compliance.dsar.tasks import dsar_export
from compliance.errors import PackageLinkError
from compliance.tasks import keys_rotate
from provisioning.services import persons

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(actor):
    person = persons.person_create(
        actor=actor,
        fields={"user_name": "tamsin.reed"},
        emails=[persons.Contact("tamsin.reed@example.org", primary=True)],
    )
    request = services.request_receive(actor=actor, regulation="gdpr", type="access", person=person)
    services.request_verify(actor=actor, request=request, method="hr-record")
    return ExportPackage.objects.get(pk=dsar_export.delay(str(request.pk)).get())


def opens(package):
    return zipfile.ZipFile(io.BytesIO(packages.package_open(package))).namelist() != []


def test_a_package_is_sealed_under_its_subjects_key_not_the_master_key(package):
    assert package.sealed_for_subject
    assert opens(package)
    with pytest.raises(InvalidUnwrap):
        aes_key_unwrap(crypto.master_key(), bytes(package.wrapped_key))


def test_once_the_subjects_key_is_destroyed_no_copy_of_the_package_opens(package):
    copy = ExportPackage.objects.get(pk=package.pk)  # what a backup of the row holds

    crypto.destroy_subject_key(str(package.person_id))

    with pytest.raises(PackageLinkError, match="the data subject was erased"):
        packages.package_open(copy)


def test_the_rotation_job_reseals_a_package_sealed_under_the_master_key(package):
    content = packages.package_open(package)
    subject = str(package.person_id)
    content_key = aes_key_unwrap(crypto.subject_keys([subject])[subject], package.wrapped_key)
    ExportPackage.objects.filter(pk=package.pk).update(
        wrapped_key=aes_key_wrap(crypto.master_key(), content_key), sealed_for_subject=False
    )
    legacy = ExportPackage.objects.get(pk=package.pk)
    assert packages.package_open(legacy) == content

    result = keys_rotate.delay().get()

    resealed = ExportPackage.objects.get(pk=package.pk)
    assert result["packages_resealed"] == 1
    assert resealed.sealed_for_subject
    assert packages.package_open(resealed) == content
    assert AuditEvent.objects.filter(action=Action.DSAR_PACKAGES_RESEALED).exists()
    crypto.destroy_subject_key(subject)
    with pytest.raises(PackageLinkError):
        packages.package_open(resealed)
