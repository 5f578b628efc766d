"""Grants: who holds which role or entitlement, from which source, until when. Ending
grants is set-based (one UPDATE and one batch of events however many grants end), because
a leaver or the expiry task may end many at once."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import Entry, event_record, events_record
from compliance.audit.vocabulary import Action
from provisioning import selectors
from provisioning.emails import email_send
from provisioning.errors import AlreadyGrantedError, InactivePersonError
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Entitlement,
    Person,
    Role,
    RoleTemplate,
)
from provisioning.services._locks import locked_row, people_pushed

Source = AccessGrant.Source
ACTIVE = AccessGrant.Status.ACTIVE


def grant_create(
    *,
    person: Person,
    role: Role | None = None,
    entitlement: Entitlement | None = None,
    source: str,
    actor: Actor,
    reason: str = "",
    expires_at: datetime | None = None,
    template: RoleTemplate | None = None,
    request: AccessRequest | None = None,
) -> AccessGrant:
    """Grant a role, or (by hand only) a single entitlement, to a person. Only an active
    person holds grants (the person row is locked, so a concurrent deactivation cannot slip
    between check and insert), and a person holds a role or an entitlement through one
    active grant at most."""
    held = role or entitlement
    if held is None or (role and entitlement):
        raise TypeError("grant_create takes a role or an entitlement")
    if entitlement and source != Source.MANUAL:
        raise TypeError("templates and requests grant roles; an entitlement is granted by hand")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if not locked.active:
            raise InactivePersonError
        held_now = selectors.grants_active(person=locked)
        if held_now.filter(role=role, entitlement=entitlement).exists():
            raise AlreadyGrantedError(held)
        grant = AccessGrant.objects.create(
            person=locked,
            role=role,
            entitlement=entitlement,
            source=source,
            template=template,
            request=request,
            granted_by=actor.label,
            starts_at=timezone.now(),
            expires_at=expires_at,
            reason=reason,
        )
        events_record(actor=actor, entries=[_grant_created(grant)])
        people_pushed([locked.pk])  # outbound pushes
    return grant


def _grant_created(grant: AccessGrant) -> Entry:
    """The grant.created event of a grant just made, its reason encrypted (it may name the
    person)."""
    return Entry(
        action=Action.GRANT_CREATED,
        target=grant,
        subject_id=str(grant.person_id),
        data={
            "source": grant.source,
            "grant": str(grant.pk),
            **_held(role_id=grant.role_id, entitlement_id=grant.entitlement_id),
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
            **({"template": str(grant.template_id)} if grant.template_id else {}),
            **({"request": str(grant.request_id)} if grant.request_id else {}),
        },
        personal={"reason": grant.reason} if grant.reason else None,
    )


def _held(*, role_id: object, entitlement_id: object) -> dict[str, str]:
    """What a grant gives, for its audit events: {"role": id} or {"entitlement": id}."""
    return {"role": str(role_id)} if role_id else {"entitlement": str(entitlement_id)}


def grants_revoke_all(*, person: Person, actor: Actor, reason: str) -> int:
    """Revoke every active grant of a person at once (the leaver)."""
    return grants_end(grants=selectors.grants_active(person=person), actor=actor, reason=reason)


def grants_end(
    *,
    grants: QuerySet[AccessGrant],
    actor: Actor,
    reason: str,
    expired: bool = False,
) -> int:
    """End the active grants in `grants`: one UPDATE and one batch of events. Returns how
    many ended. Rows are locked first, so two callers never end (and record) a grant twice.
    No savepoint: a failure undoes the caller's whole change (a leaver's, a mover's)."""
    with transaction.atomic(savepoint=False):
        rows = list(
            grants.filter(status=ACTIVE)
            .select_for_update()
            .order_by()
            .values_list("pk", "person_id", "role_id", "entitlement_id", "source")
        )
        if not rows:
            return 0
        AccessGrant.objects.filter(pk__in=[row[0] for row in rows]).update(
            status=AccessGrant.Status.EXPIRED if expired else AccessGrant.Status.REVOKED,
            revoked_at=timezone.now(),
            revoked_by=actor.label,
            revocation_reason=reason,
        )
        events_record(
            actor=actor,
            entries=[
                Entry(
                    Action.GRANT_EXPIRED if expired else Action.GRANT_REVOKED,
                    ("provisioning.accessgrant", str(pk)),
                    subject_id=str(person_id),
                    data={
                        "grant": str(pk),
                        **_held(role_id=role_id, entitlement_id=entitlement_id),
                        "source": source,
                        # The expiry's reason is the portal's own words; a revocation's may
                        # be a person's circumstances, so it is encrypted for the subject.
                        **({"reason": reason} if expired else {}),
                    },
                    personal=None if expired else {"reason": reason},
                )
                for pk, person_id, role_id, entitlement_id, source in rows
            ],
        )
        people_pushed(row[1] for row in rows)  # outbound pushes
    return len(rows)


def grants_expire(*, actor: Actor, now: datetime | None = None, batch: int = 5000) -> int:
    """End every active grant whose expires_at has passed. At most `batch` per call, so one
    run never holds locks for long; grants locked by another run are skipped, not waited for."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            AccessGrant.objects.filter(status=ACTIVE, expires_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("expires_at")
            .values_list("pk", flat=True)[:batch]
        )
        return grants_end(
            grants=AccessGrant.objects.filter(pk__in=due),
            actor=actor,
            reason="the grant reached its expiry date",
            expired=True,
        )


@dataclass
class BirthrightChange:
    granted: list[AccessGrant] = field(default_factory=list)
    revoked: int = 0


def birthright_apply(*, person: Person, actor: Actor, reason: str) -> BirthrightChange:
    """Make a person's template grants match the templates their attributes match now.
    Template grants that no longer match are revoked; missing ones are granted; grants
    from requests and manual grants are left alone (they end when they expire). An
    inactive person matches nothing. A temporary template grant that already expired is
    not granted again: its time was up."""
    change = BirthrightChange()
    # No savepoint: a refusal here undoes the caller's whole change (a mover's update).
    with transaction.atomic(savepoint=False):
        # A mover's or returner's row is already locked by the change under way.
        locked = locked_row(person.pk) or Person.objects.select_for_update().get(pk=person.pk)
        plan = (
            {
                planned.role.pk: planned
                for planned in selectors.birthright_plans(
                    attributes=[selectors.person_attributes(locked)], now=timezone.now()
                )[0]
            }
            if locked.active
            else {}
        )
        # One read of the grants that matter: the active ones, and the expired temporary
        # template grants (not given again). Most people hold no template grant to end.
        expired = Q(
            source=Source.TEMPLATE,
            status=AccessGrant.Status.EXPIRED,
            template__duration__isnull=False,
        )
        grants = AccessGrant.objects.filter(Q(status=ACTIVE) | expired, person=locked)
        rows = list(grants.values_list("status", "source", "role_id", "template_id"))
        held = {role for status, _, role, _ in rows if status == ACTIVE}
        expired_before = {
            (template, role) for status, _, role, template in rows if status != ACTIVE
        }
        unmatched = {
            role
            for status, source, role, _ in rows
            if status == ACTIVE and source == Source.TEMPLATE and role not in plan
        }
        if unmatched:
            active = selectors.grants_active(person=locked)
            change.revoked = grants_end(
                grants=active.filter(source=Source.TEMPLATE, role_id__in=unmatched),
                actor=actor,
                reason=f"{reason}: no template grants this role any more",
            )
        change.granted = [
            _grant_planned(locked, planned, actor=actor, reason=reason)
            for role_id, planned in plan.items()
            if role_id not in held and (planned.template.pk, role_id) not in expired_before
        ]
    return change


def birthright_join_many(
    *, people: Sequence[Person], actor: Actor, reasons: Sequence[str]
) -> list[list[Entry]]:
    """The joiners' birthright, in the transaction that created them (one POST, a /Bulk
    request, a batch of hires): the roles of every template each active one matches.
    birthright_apply's reconciliation has nothing to do here (they hold no grant yet, and
    no other transaction can see the new rows). Every plan from one read of the templates,
    every grant in one insert. Returns each person's grant.created events, for the caller
    to record with its own in one chain append (persons.person_create and people_create
    do)."""
    now = timezone.now()
    joiners = [(person, reason) for person, reason in zip(people, reasons, strict=True)]
    plans = selectors.birthright_plans(
        attributes=[selectors.person_attributes(person) for person, _ in joiners if person.active],
        now=now,
    )
    active_plans = iter(plans)
    grants = [
        [
            AccessGrant(
                person=person,
                role=planned.role,
                source=Source.TEMPLATE,
                template=planned.template,
                granted_by=actor.label,
                starts_at=now,
                expires_at=planned.expires_at,
                reason=f"{reason}: template {planned.template.name}",
            )
            for planned in (next(active_plans) if person.active else [])
        ]
        for person, reason in joiners
    ]
    AccessGrant.objects.bulk_create([grant for held in grants for grant in held])
    return [[_grant_created(grant) for grant in held] for held in grants]


def _grant_planned(
    person: Person, planned: selectors.PlannedGrant, *, actor: Actor, reason: str
) -> AccessGrant:
    return grant_create(
        person=person,
        role=planned.role,
        source=Source.TEMPLATE,
        template=planned.template,
        expires_at=planned.expires_at,
        actor=actor,
        reason=f"{reason}: template {planned.template.name}",
    )


def template_reapply(*, template: RoleTemplate, actor: Actor) -> BirthrightChange:
    """Apply a changed template to everyone it concerns: people who match it now get its
    roles, holders who no longer match lose them (birthright_apply, person by person, each
    in its own transaction). Records one summary event besides each person's own."""
    total = BirthrightChange()
    reason = f"template {template.name} re-applied"
    people = selectors.persons_concerned_by_template(template=template)
    for person in people.iterator(chunk_size=500):
        change = birthright_apply(person=person, actor=actor, reason=reason)
        total.granted += change.granted
        total.revoked += change.revoked
    event_record(
        actor=actor,
        action=Action.ROLE_TEMPLATE_UPDATED,
        target=template,
        data={"reapplied": True, "granted": len(total.granted), "revoked": total.revoked},
    )
    return total


def grants_expiry_remind(*, actor: Actor, now: datetime | None = None) -> int:
    """Tell holders and role owners, once per grant, that a grant ends within
    GRANT_EXPIRY_REMINDER_DAYS; an extension is a new request through the same approvals."""
    now = now or timezone.now()
    within = timedelta(days=settings.GRANT_EXPIRY_REMINDER_DAYS)
    reminded = 0
    due = selectors.grants_expiring(within=within, now=now).filter(expiry_reminded_at=None)
    for grant in due.select_related("role__owner", "entitlement").iterator(chunk_size=500):
        with transaction.atomic():
            if not AccessGrant.objects.filter(pk=grant.pk, expiry_reminded_at=None).update(
                expiry_reminded_at=now
            ):
                continue  # another run reminded it
            holder = grant.person.emails.order_by("-primary", "id").first()
            owner = grant.role.owner.email if grant.role else ""  # an entitlement has none
            recipients = (holder.value if holder else "", owner)
            email_send(
                to=[address for address in recipients if address],
                template="grant_expiring",
                context={"grant": grant, "person": grant.person, "held": grant.held},
                about=[grant.person],
            )
            event_record(
                actor=actor,
                action=Action.GRANT_EXPIRY_REMINDED,
                target=grant,
                subject_id=str(grant.person_id),
                data={
                    "grant": str(grant.pk),
                    **_held(role_id=grant.role_id, entitlement_id=grant.entitlement_id),
                },
            )
            reminded += 1
    return reminded
