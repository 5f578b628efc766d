"""Roles, birthright templates and separation-of-duties rules: IT's catalogue of access."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning.errors import InvalidValueError, UniquenessError
from provisioning.models import Entitlement, Role, RoleTemplate, SodRule
from provisioning.services import approvals_routing


def role_create(
    *, role: Role, actor: Actor, entitlements: Iterable[Entitlement] | None = None
) -> Role:
    """Add a role. Names are unique regardless of case."""
    return _role_write(role, actor, entitlements, creating=True)


def role_update(
    *, role: Role, actor: Actor, entitlements: Iterable[Entitlement] | None = None
) -> Role:
    """Change a role. Names are unique regardless of case. A new owner takes over the
    role's open owner stages from the previous one."""
    return _role_write(role, actor, entitlements, creating=False)


def _role_write(
    role: Role, actor: Actor, entitlements: Iterable[Entitlement] | None, *, creating: bool
) -> Role:
    with transaction.atomic():
        if Role.objects.filter(name__iexact=role.name).exclude(pk=role.pk).exists():
            raise UniquenessError("name", role.name)
        previous_owner_email = (
            ""
            if creating
            else Role.objects.filter(pk=role.pk).values_list("owner__email", flat=True).get()
        )
        role.save()
        if entitlements is not None:
            role.entitlements.set(entitlements)
        event_record(
            actor=actor,
            action=Action.ROLE_CREATED if creating else Action.ROLE_UPDATED,
            target=role,
            data={
                "name": role.name,
                "owner": str(role.owner_id),
                "risk_level": role.risk_level,
                "max_duration_days": role.max_duration.days,
                "requestable": role.requestable,
                "entitlements": sorted(
                    str(pk) for pk in role.entitlements.values_list("pk", flat=True)
                ),
            },
        )
        approvals_routing.approvals_owner_change(
            role=role, previous_owner_email=previous_owner_email, actor=actor
        )
    return role


def template_create(
    *, template: RoleTemplate, actor: Actor, roles: Iterable[Role] | None = None
) -> RoleTemplate:
    """Add a birthright template. It applies to new joiners and to people whose job
    changes; access.template_reapply applies it to everyone it already concerns."""
    return _template_write(template, actor, roles, Action.ROLE_TEMPLATE_CREATED)


def template_update(
    *, template: RoleTemplate, actor: Actor, roles: Iterable[Role] | None = None
) -> RoleTemplate:
    """Change a birthright template. People already onboarded are re-evaluated when their
    own attributes change; access.template_reapply (an admin action on the template)
    applies a changed template to everyone it concerns."""
    return _template_write(template, actor, roles, Action.ROLE_TEMPLATE_UPDATED)


def _template_write(
    template: RoleTemplate, actor: Actor, roles: Iterable[Role] | None, action: Action
) -> RoleTemplate:
    with transaction.atomic():
        clash = RoleTemplate.objects.filter(name__iexact=template.name).exclude(pk=template.pk)
        if clash.exists():
            raise UniquenessError("name", template.name)
        template.save()
        if roles is not None:
            template.roles.set(roles)
        event_record(
            actor=actor,
            action=action,
            target=template,
            data={
                "name": template.name,
                "conditions": template.conditions,
                "roles": sorted(str(pk) for pk in template.roles.values_list("pk", flat=True)),
                "duration_days": template.duration.days if template.duration else None,
                "active": template.active,
            },
        )
    return template


def sod_rule_check(rule: SodRule) -> None:
    """Raise the domain error that makes this rule invalid, if any."""
    if rule.role_a_id == rule.role_b_id:
        raise InvalidValueError("role_b", "a role cannot conflict with itself")
    if rule.effect == SodRule.Effect.EXTRA_APPROVAL and rule.extra_approver_id is None:
        raise InvalidValueError("extra_approver", "an extra approval needs an approver")
    same_pair = SodRule.objects.filter(
        role_a_id=rule.role_b_id, role_b_id=rule.role_a_id
    ) | SodRule.objects.filter(role_a_id=rule.role_a_id, role_b_id=rule.role_b_id)
    if same_pair.exclude(pk=rule.pk).exists():
        raise UniquenessError("role_b", "this pair of roles")


@dataclass(frozen=True)
class SodRuleSaved:
    """A saved rule, and what the change did to the open reviews it had asked for."""

    rule: SodRule
    reviews_handed_on: int = 0
    requests_rejected: int = 0


def sod_rule_save(*, rule: SodRule, actor: Actor) -> SodRuleSaved:
    """Create or change a rule. A pair conflicts in either order, so it is stored once.
    A new reviewer takes over the open reviews the rule added; a rule that asked for a
    review and now refuses rejects the pending requests its reviews are still open on."""
    with transaction.atomic():
        sod_rule_check(rule)
        previous = (
            SodRule.objects.select_for_update(of=("self",))
            .select_related("extra_approver")
            .filter(pk=rule.pk)
            .first()
        )
        rule.save()
        event_record(
            actor=actor,
            action=Action.SOD_RULE_SAVED,
            target=rule,
            data={
                "role_a": str(rule.role_a_id),
                "role_b": str(rule.role_b_id),
                "effect": rule.effect,
                "extra_approver": str(rule.extra_approver_id) if rule.extra_approver_id else None,
            },
        )
        if previous is None or previous.effect != SodRule.Effect.EXTRA_APPROVAL:
            return SodRuleSaved(rule)
        if rule.effect == SodRule.Effect.REFUSE:
            rejected = approvals_routing.requests_reject_for_rule(rule=rule, actor=actor)
            return SodRuleSaved(rule, requests_rejected=rejected)
        handed_on = approvals_routing.approvals_reviewer_change(
            rule=rule, previous=previous, actor=actor
        )
        return SodRuleSaved(rule, reviews_handed_on=handed_on)


def sod_rule_delete(*, rule: SodRule, actor: Actor) -> int:
    """Remove a separation-of-duties rule; the event keeps which pair it governed. The
    open reviews it asked for are withdrawn first (the decided ones stay, as history).
    Returns how many were withdrawn."""
    with transaction.atomic():
        # Locked, a request being made under the rule commits its review before this
        # reads the rule's open reviews.
        SodRule.objects.select_for_update().filter(pk=rule.pk).first()
        withdrawn = approvals_routing.approvals_withdraw_for_rule(rule=rule, actor=actor)
        event_record(
            actor=actor,
            action=Action.SOD_RULE_DELETED,
            target=rule,
            data={
                "role_a": str(rule.role_a_id),
                "role_b": str(rule.role_b_id),
                "reviews_withdrawn": withdrawn,
            },
        )
        rule.delete()
    return withdrawn
