"""The export package: one ZIP with JSON for machines (Art. 20), a CSV per category, an
HTML summary for a person (Art. 15) and a manifest of SHA-256 hashes; stored encrypted
(AES-GCM) under a key of its own, which is wrapped by the subject's key, and reached
through expiring links. Erasing the subject destroys their key, so every copy of the
package (a media backup, a restored database row) stops opening with it."""

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string

from compliance import inventory
from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.audit.crypto import NONCE_BYTES, master_key
from compliance.audit.export import csv_cell
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar import collectors
from compliance.dsar.models import ExportPackage
from compliance.errors import PackageLinkError
from compliance.subjects import Subject, subject_id

PACKAGE_DIR = "dsar/packages"
# The models whose personal fields describe the subject a package is about: each app
# names its own, from its AppConfig.ready() (register_subject_models).
SUBJECT_MODELS: set[str] = set()
LINK_SALT = "compliance.dsar.package"

Progress = Callable[[int, str], None]


def register_subject_models(*labels: str) -> None:
    SUBJECT_MODELS.update(labels)


def processing_facts() -> list[dict[str, Any]]:
    """What the inventory says about the person's data: purposes, bases, retention,
    sources and recipients (GDPR Art. 15(1)(a)-(h)), with the CCPA's statutory category
    (§1798.140(v)), whether it is sensitive (§1798.140(ae)) and whether it is sold or
    shared (§1798.115)."""
    selling = inventory.selling_recipients()
    return [
        {
            "data": entry.key,
            "category": str(entry.category),
            "ccpa_category": entry.statutory_category.label,
            "sensitive": entry.sensitive,
            "sold_or_shared": not selling.isdisjoint(entry.recipients),
            "purpose": entry.purpose,
            "lawful_basis": entry.lawful_basis.label,
            "retention": str(entry.retention),
            "source": entry.source,
            "recipients": ", ".join(entry.recipients),
        }
        for entry in inventory.INVENTORY
        if entry.model in SUBJECT_MODELS
    ]


def package_build(
    *, person: Subject, request_id: str, generated_at: datetime, progress: Progress
) -> bytes:
    """Run every registered collector for the subject and return the ZIP."""
    categories: dict[str, dict[str, list[dict[str, Any]]]] = {}
    registered = collectors.registered()
    for number, collector in enumerate(registered, start=1):
        records = [_plain(record) for record in collector.collect(person)]
        categories.setdefault(collector.category, {})[collector.name] = records
        progress(int(90 * number / len(registered)), f"collected {collector.name}")
    facts = processing_facts()
    document = {
        "request": request_id,
        "subject": subject_id(person),
        "generated_at": generated_at.isoformat(),
        "categories": categories,
        "processing": facts,
    }
    files: dict[str, bytes] = {
        "data.json": json.dumps(document, indent=2, cls=DjangoJSONEncoder).encode(),
        "summary.html": render_to_string(
            "compliance/dsar/summary.html",
            {
                "generated_at": generated_at,
                "categories": {
                    category: {name: len(rows) for name, rows in stores.items()}
                    for category, stores in categories.items()
                },
                "facts": facts,
                # CCPA §1798.110(c), §1798.115(c): whether, and to whom, anything is sold
                # or shared, said plainly even when nothing is.
                "sold_or_shared_to": inventory.sold_or_shared_to(),
                "statutory_categories": sorted(
                    {fact["ccpa_category"] for fact in facts if fact["ccpa_category"]}
                ),
            },
        ).encode(),
        "csv/processing.csv": _csv(facts),
    }
    for category, stores in categories.items():
        rows = [{"store": name, **row} for name, records in stores.items() for row in records]
        files[f"csv/{category}.csv"] = _csv(rows)
    manifest = {
        "request": request_id,
        "generated_at": generated_at.isoformat(),
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(record, cls=DjangoJSONEncoder))
    return result


def _csv(rows: list[dict[str, Any]]) -> bytes:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        # Values came from identity providers and staff: a title typed as a formula
        # must not run in the spreadsheet the person opens the package with.
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return buffer.getvalue().encode()


def package_path(package: ExportPackage) -> Path:
    return Path(settings.MEDIA_ROOT) / package.file


def package_seal(package: ExportPackage, content: bytes) -> None:
    """Encrypt the ZIP under a fresh key, write it under MEDIA_ROOT and keep its key
    wrapped by the subject's key."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, content, str(package.pk).encode())
    package.file = f"{PACKAGE_DIR}/{package.pk}.zip.enc"
    package.wrapped_key = aes_key_wrap(_subject_key_for_writing(package), key)
    package.sealed_for_subject = True
    package.sha256 = hashlib.sha256(content).hexdigest()
    package.size = len(content)
    path = package_path(package)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed)


def package_open(package: ExportPackage) -> bytes:
    """The decrypted ZIP, while its subject's key exists."""
    raw = package_path(package).read_bytes()
    key = aes_key_unwrap(_wrapping_key(package), bytes(package.wrapped_key))
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], str(package.pk).encode())
    except InvalidTag as error:
        raise PackageLinkError("the stored package is damaged") from error


def packages_reseal(*, actor: Actor, chunk_size: int) -> int:
    """Wrap the key of every package still sealed under the master key (made before
    packages were sealed for their subject) by its subject's key instead; the file itself
    is unchanged. A chunk at a time, each in one transaction with its
    dsar.packages_resealed event. Returns how many were re-sealed."""
    resealed = 0
    while True:
        with transaction.atomic():
            chunk = list(
                ExportPackage.objects.select_for_update()
                .filter(sealed_for_subject=False)
                .order_by("pk")[:chunk_size]
            )
            if not chunk:
                return resealed
            for package in chunk:
                key = aes_key_unwrap(master_key(), bytes(package.wrapped_key))
                package.wrapped_key = aes_key_wrap(_subject_key_for_writing(package), key)
                package.sealed_for_subject = True
            ExportPackage.objects.bulk_update(chunk, ["wrapped_key", "sealed_for_subject"])
            event_record(
                actor=actor,
                action=Action.DSAR_PACKAGES_RESEALED,
                target=("compliance.exportpackage", str(chunk[-1].pk)),
                data={"packages": [str(package.pk) for package in chunk]},
            )
        resealed += len(chunk)


def _subject_key_for_writing(package: ExportPackage) -> bytes:
    subject = str(package.person_id)
    return crypto.subject_keys_for_writing([subject])[subject]


def _wrapping_key(package: ExportPackage) -> bytes:
    if not package.sealed_for_subject:
        return master_key()
    subject = str(package.person_id)
    key = crypto.subject_keys([subject]).get(subject)
    if key is None:
        raise PackageLinkError("the data subject was erased: this package can no longer be opened")
    return key


def package_file_delete(package: ExportPackage) -> None:
    package_path(package).unlink(missing_ok=True)


def package_link_token(package: ExportPackage) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(package.pk))


def package_from_token(token: str) -> ExportPackage:
    """The package a link points at, if the link is genuine and has not expired."""
    try:
        package_id = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=settings.DSAR_DOWNLOAD_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise PackageLinkError("this download link has expired") from error
    except signing.BadSignature as error:
        raise PackageLinkError("this download link is not valid") from error
    package = ExportPackage.objects.filter(pk=package_id).first()
    if package is None:
        raise PackageLinkError("this package was deleted at the end of its retention period")
    return package
