"""Access requests and their staged approvals: the person's manager first, then the role
owner, then any reviewer a separation-of-duties rule asks for. Approvers decide from a
signed e-mail link (or their admin inbox). How stages change hands afterwards (reminders
and escalation, an approver who changes or leaves, a rule that changes) is
approvals_routing's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel
from provisioning import selectors
from provisioning.errors import (
    AlreadyGrantedError,
    InactivePersonError,
    NoIndependentApproverError,
    NotYourApprovalError,
    RequestRefusedError,
    SodConflictError,
)
from provisioning.models import AccessRequest, Approval, Person, Role, SodRule
from provisioning.services._stages import (
    decide,
    excluded_identities,
    independent_approver,
    primary_email,
    request_close,
    stage_open,
)
from provisioning.services.approvals_links import link_open

if TYPE_CHECKING:
    # django-stubs' stand-in for settings.AUTH_USER_MODEL (the portal's staff user).
    from django.contrib.auth.models import _User

Kind = Approval.Kind


@dataclass(frozen=True)
class Stage:
    kind: str
    email: str
    sod_rule: SodRule | None = None


def access_request(
    *,
    person: Person,
    role: Role,
    requested_by: _User,
    justification: str,
    duration: timedelta,
    actor: Actor,
) -> AccessRequest:
    """Ask for a role for a person. The role must be requestable, the duration positive and
    no longer than the role allows, the person active, and no request for the same role
    pending. A conflicting role under a 'refuse' rule is refused; under an 'extra
    approval' rule the rule's reviewer becomes a further stage. An active grant with an end
    date may be extended this way; one with no end date cannot be requested again."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if not person.active:
            raise InactivePersonError
        if not role.requestable:
            raise RequestRefusedError(f"{role} cannot be requested; a template grants it")
        if not timedelta(0) < duration <= role.max_duration:
            raise RequestRefusedError(
                f"the duration must be between 1 day and {role.max_duration.days} days"
            )
        if not justification.strip():
            raise RequestRefusedError("a justification is required")
        if AccessRequest.objects.filter(
            person=person, role=role, status=AccessRequest.Status.PENDING
        ).exists():
            raise RequestRefusedError(f"a request for {role} is already pending")
        if selectors.grants_active(person=person).filter(role=role, expires_at=None).exists():
            raise AlreadyGrantedError(role, open_ended=True)
        stages = _plan(person=person, role=role, requested_by=requested_by)
        request = AccessRequest.objects.create(
            person=person,
            role=role,
            requested_by=requested_by,
            justification=justification,
            duration=duration,
        )
        Approval.objects.bulk_create(
            [
                Approval(
                    request=request,
                    stage=number,
                    kind=stage.kind,
                    approver_email=stage.email,
                    sod_rule=stage.sod_rule,
                )
                for number, stage in enumerate(stages, start=1)
            ]
        )
        event_record(
            actor=actor,
            action=Action.ACCESS_REQUESTED,
            target=request,
            subject_id=str(person.pk),
            data={
                "request": str(request.pk),
                "role": str(role.pk),
                "duration_days": duration.days,
                "stages": [stage.kind for stage in stages],
            },
            personal={"justification": justification},
        )
        stage_open(request.approvals.get(stage=1))
    return request


def _plan(*, person: Person, role: Role, requested_by: _User) -> list[Stage]:
    held = list(selectors.grants_active(person=person).values_list("role_id", flat=True))
    # Locked to the request's commit: a rule changed or deleted meanwhile waits, then
    # finds the review this request is given (sod_rule_save, sod_rule_delete lock it too).
    rules = (
        SodRule.objects.filter(
            Q(role_a=role, role_b_id__in=held) | Q(role_b=role, role_a_id__in=held)
        )
        .select_related("role_a", "role_b", "extra_approver")
        .select_for_update(of=("self",))
        .order_by("created", "pk")
    )
    stages: list[Stage] = []
    if person.manager_id is not None:
        manager = primary_email(person.manager_id)
        if manager:
            stages.append(Stage(Kind.MANAGER, manager))
    stages.append(Stage(Kind.OWNER, role.owner.email))
    for rule in rules:
        other = rule.role_b if rule.role_a_id == role.pk else rule.role_a
        if rule.effect == SodRule.Effect.REFUSE:
            raise SodConflictError(role, other)
        assert rule.extra_approver is not None  # a database constraint
        stages.append(Stage(Kind.SOD, rule.extra_approver.email, rule))
    excluded = excluded_identities(person=person, requested_by=requested_by)
    planned: list[Stage] = []
    for stage in stages:
        email = independent_approver(stage.email, excluded) if stage.email else None
        if email is None:
            raise NoIndependentApproverError(Kind(stage.kind).label)
        # The same approver twice in a row decides once; but a rule's review stays a stage
        # of its own, which follows its rule (a new reviewer, a refusal, the rule removed)
        # without taking the owner's approval or another rule's review along.
        if stage.sod_rule is None and planned and planned[-1].email.lower() == email.lower():
            continue
        planned.append(Stage(stage.kind, email, stage.sod_rule))
    return planned


def _approver_actor(approval: Approval, *, client_address: str | None = None) -> Actor:
    """The actor for a decision through an e-mail link: the approval identifies the
    approver (its address stays out of the audit event's clear text)."""
    return Actor(
        kind=ActorKind.APPROVER,
        identifier=str(approval.pk),
        label=f"approver, stage {approval.stage} ({approval.kind})",
        channel=Channel.EMAIL_LINK,
        client_address=client_address,
    )


def approval_decide_by_link(
    *, token: str, approve: bool, comment: str = "", client_address: str | None = None
) -> Approval:
    """Decide through an e-mail link. The link is single use: deciding clears its nonce."""
    with transaction.atomic():
        approval = link_open(token, queryset=Approval.objects.select_for_update())
        # An approver who is a data subject here acted from their own address, and their
        # comment is their own words: both are sealed under their key in an event about
        # them (erasing them shreds it), not left in the clear, hash-chained column of
        # every event of the decision, nor under the requester's key.
        approver = _approver_subject(approval.approver_email) if client_address or comment else None
        actor = _approver_actor(approval, client_address=None if approver else client_address)
        decided = decide(
            approval, approve=approve, comment=comment, actor=actor, comment_sealed=not approver
        )
        if approver:
            own = {"client_address": client_address, "comment": comment}
            event_record(
                actor=actor,
                action=Action.APPROVAL_LINK_USED,
                target=decided,
                subject_id=approver,
                personal={name: value for name, value in own.items() if value},
            )
        return decided


def _approver_subject(email: str) -> str | None:
    """The subject id of the person an approval's address belongs to, if any."""
    found = Person.objects.filter(emails__value__iexact=email).values_list("pk", flat=True)
    person_id = found.first()
    return str(person_id) if person_id else None


def approval_decide_as_staff(
    *, approval: Approval, user: _User, approve: bool, comment: str, actor: Actor
) -> Approval:
    """Decide from the admin inbox: only the addressee of the approval may."""
    with transaction.atomic():
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if not user.email or locked.approver_email.lower() != user.email.lower():
            raise NotYourApprovalError
        return decide(locked, approve=approve, comment=comment, actor=actor)


def requests_cancel_for(*, person: Person, actor: Actor) -> int:
    """Cancel a person's pending requests (the person left): their links stop working."""
    cancelled = 0
    pending = AccessRequest.objects.filter(person=person, status=AccessRequest.Status.PENDING)
    for request in pending.select_related("requested_by", "person", "role"):
        request_close(
            request, status=AccessRequest.Status.CANCELLED, actor=actor, reason="the person left"
        )
        cancelled += 1
    return cancelled
