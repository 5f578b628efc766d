"""Issuing the requester's download link and downloading through it. Each is recorded in
the audit trail: the link when it is sent, and every download, as one by the requester."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar import export
from compliance.dsar.downloads import links
from compliance.dsar.models import ExportPackage, RequesterDownloadLink
from compliance.errors import PackageLinkError


def download_link_issue(
    *, actor: Actor, package: ExportPackage
) -> tuple[RequesterDownloadLink, str]:
    """A new link to the package for the completion notice, with its full URL, kept
    nowhere else: the notice goes through the outbox sealed and is wiped once sent. It
    lasts DSAR_REQUESTER_LINK_DAYS, never past the package's own expiry, and allows
    DSAR_REQUESTER_DOWNLOADS downloads."""
    nonce, nonce_hash = links.nonce_new()
    expires_at = min(
        timezone.now() + timedelta(days=settings.DSAR_REQUESTER_LINK_DAYS), package.expires_at
    )
    with transaction.atomic():
        link = RequesterDownloadLink.objects.create(
            package=package,
            nonce_hash=nonce_hash,
            expires_at=expires_at,
            downloads_allowed=settings.DSAR_REQUESTER_DOWNLOADS,
        )
        event_record(
            actor=actor,
            action=Action.DSAR_DOWNLOAD_LINK_ISSUED,
            target=link,
            subject_id=str(package.person_id),
            data={
                "request": str(package.request_id),
                "package": str(package.pk),
                "expires_at": expires_at.isoformat(),
                "downloads_allowed": link.downloads_allowed,
            },
        )
    return link, links.link_url(links.link_token(link, nonce))


def package_download_by_requester(
    *, actor: Actor, link: RequesterDownloadLink
) -> tuple[ExportPackage, bytes]:
    """The decrypted package, counted against the link's downloads and recorded as a
    download by the requester. Refused once the link expired or is used up, and when the
    subject was erased (their key is gone, so the package no longer opens)."""
    with transaction.atomic():
        locked = (
            RequesterDownloadLink.objects.select_for_update()
            .select_related("package")
            .filter(pk=link.pk)
            .first()
        )
        if locked is None:
            raise PackageLinkError(links.GONE)
        now = timezone.now()
        if refusal := links.link_refusal(locked, now=now):
            raise PackageLinkError(refusal)
        try:
            content = export.package_download(actor=actor, package=locked.package)
        except (PackageLinkError, FileNotFoundError) as error:
            raise PackageLinkError(links.GONE) from error
        locked.downloads += 1
        locked.last_downloaded_at = now
        locked.save(update_fields=["downloads", "last_downloaded_at"])
    return locked.package, content
