"""Retention of the identity domain's data, registered with compliance's retention job
(compliance.retention) in ProvisioningConfig.ready(), each rule naming the models whose
declared retention it enforces: leavers are anonymised, and sent e-mails, finished
access records, old SCIM client addresses and stale downstream orphans removed, once past
the period the inventory and the settings declare. Every rule works in chunks."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Model, Q
from django.db.models.functions import Coalesce

from compliance.audit.actor import Actor
from compliance.dsar import erasure
from compliance.dsar.models import Erasure, LegalHold
from compliance.errors import LegalHoldError
from compliance.retention import CHUNK, cutoff, delete_in_chunks, retention_rule_register
from provisioning.connectors.models import DownstreamAccount, DownstreamOrphan
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Application,
    Approval,
    Campaign,
    CampaignRun,
    Person,
    PersonEmail,
    PersonPhone,
    ReviewAssignment,
    ReviewItem,
    Role,
    ScheduledOffboarding,
    ScheduledOnboarding,
    ScimClient,
    SentEmail,
    SodRule,
)


def leavers_anonymise(*, actor: Actor, now: datetime) -> int:
    """Erase people RETENTION_DEACTIVATED_DAYS after they left, except those under a legal
    hold and those already erased. Erasure reaches everything that holds the person: their
    addresses and numbers, their downstream accounts, and the roles and rules naming them."""
    deadline = now - timedelta(days=settings.RETENTION_DEACTIVATED_DAYS)
    due = (
        Person.objects.filter(active=False, deactivated_at__lt=deadline)
        .exclude(pk__in=LegalHold.objects.filter(lifted_at__isnull=True).values("person_id"))
        .exclude(pk__in=Erasure.objects.filter(completed_at__isnull=False).values("person_id"))
        .order_by("pk")
    )
    anonymised = 0
    for person in due.iterator(chunk_size=CHUNK):
        try:
            erasure.person_erase(actor=actor, person=person, reason=Erasure.Reason.RETENTION)
        except LegalHoldError:
            continue  # placed since the query ran
        anonymised += 1
    return anonymised


def sent_emails_delete(*, actor: Actor, now: datetime) -> int:
    """Delete the stored copies of e-mails older than the inventory's retention for them."""
    old = SentEmail.objects.filter(sent_at__lt=cutoff(SentEmail._meta.label, now))
    return delete_in_chunks(old, SentEmail)


def access_records_delete(*, actor: Actor, now: datetime) -> int:
    """Delete grants that ended, requests decided (with their approvals) and scheduled
    joiners and leavers done or cancelled, once past the governance retention."""
    grants = AccessGrant.objects.exclude(status=AccessGrant.Status.ACTIVE).filter(
        Q(revoked_at__lt=cutoff(AccessGrant._meta.label, now))
        | Q(revoked_at__isnull=True, expires_at__lt=cutoff(AccessGrant._meta.label, now))
    )
    requests = AccessRequest.objects.filter(
        decided_at__lt=cutoff(AccessRequest._meta.label, now)
    ).exclude(grants__status=AccessGrant.Status.ACTIVE)
    deleted = delete_in_chunks(grants, AccessGrant) + delete_in_chunks(requests, AccessRequest)
    for model in (ScheduledOffboarding, ScheduledOnboarding):
        finished = (
            model.objects.exclude(status=model.Status.SCHEDULED)
            .annotate(finished=Coalesce("done_at", "created"))
            .filter(finished__lt=cutoff(model._meta.label, now))
        )
        deleted += delete_in_chunks(finished, model)
    return deleted


def review_runs_delete(*, actor: Actor, now: datetime) -> int:
    """Delete the access reviews closed longer ago than the governance retention, with
    their reviewers' shares and items (the evidence is kept that long), then campaigns
    switched off that long ago whose runs are all gone."""
    closed = CampaignRun.objects.filter(closed_at__lt=cutoff(CampaignRun._meta.label, now))
    deleted = delete_in_chunks(closed, CampaignRun)
    idle = Campaign.objects.filter(
        active=False, modified__lt=cutoff(Campaign._meta.label, now), runs__isnull=True
    )
    return deleted + delete_in_chunks(idle, Campaign)


def scim_addresses_clear(*, actor: Actor, now: datetime) -> int:
    """Forget the address a SCIM client was last used from once it is that old."""
    old = ScimClient.objects.filter(
        last_used_address__isnull=False,
        last_used_at__lt=cutoff(ScimClient._meta.label, now),
    )
    cleared = 0
    while chunk := list(old.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
        cleared += ScimClient.objects.filter(pk__in=chunk).update(last_used_address=None)
    return cleared


def application_owners_clear(*, actor: Actor, now: datetime) -> int:
    """Forget an application's owner once their staff account is deactivated: the
    application then waits for a new owner, and its reviews go to the fallback reviewer."""
    return Application.objects.filter(owner__is_active=False).update(owner=None)


def orphans_delete(*, actor: Actor, now: datetime) -> int:
    """Delete downstream orphans not seen downstream for their retention period."""
    stale = DownstreamOrphan.objects.filter(last_seen__lt=cutoff(DownstreamOrphan._meta.label, now))
    return delete_in_chunks(stale, DownstreamOrphan)


def label(*models: type[Model]) -> set[str]:
    return {model._meta.label for model in models}


def register() -> None:
    retention_rule_register(
        "people_anonymised",
        leavers_anonymise,
        enforces=label(Person, PersonEmail, PersonPhone, DownstreamAccount, Role, SodRule),
    )
    retention_rule_register("emails_deleted", sent_emails_delete, enforces=label(SentEmail))
    retention_rule_register(
        "access_records_deleted",
        access_records_delete,
        enforces=label(
            AccessGrant, AccessRequest, Approval, ScheduledOffboarding, ScheduledOnboarding
        ),
    )
    retention_rule_register(
        "scim_addresses_cleared", scim_addresses_clear, enforces=label(ScimClient)
    )
    retention_rule_register("orphans_deleted", orphans_delete, enforces=label(DownstreamOrphan))
    retention_rule_register(
        "application_owners_cleared", application_owners_clear, enforces=label(Application)
    )
    retention_rule_register(
        "reviews_deleted",
        review_runs_delete,
        enforces=label(Campaign, CampaignRun, ReviewAssignment, ReviewItem),
    )
