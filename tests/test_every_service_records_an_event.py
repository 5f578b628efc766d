"""Every service that writes records an audit event.

The public functions of every `services` module or package in portal, provisioning and
compliance are found by import, not listed by hand: a new service fails here until it has a
scenario below (and then fails if its scenario records no event), or is declared as one
that writes nothing or, with its reason, as one that writes no event. Which modules may
write at all: tests/test_every_write_goes_through_a_service.py.
"""

import importlib
import inspect
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.services import (
    Entry,
    audit_export,
    event_record,
    events_record,
    report_export_record,
)
from compliance.audit.services import (
    keys_rotate as audit_keys_rotate,
)
from compliance.audit.vocabulary import Action
from compliance.dsar import services as dsar
from compliance.dsar.downloads import services as downloads
from compliance.dsar.models import (
    DataSubjectRequest,
    Erasure,
    ErasureStep,
    ExportPackage,
    VerificationChallenge,
)
from compliance.dsar.rights import services as rights
from compliance.dsar.tasks import dsar_erase, dsar_export
from compliance.incidents import services as incidents
from compliance.incidents.models import Incident
from portal import services as staff
from portal.models import StaffUser
from provisioning.connectors import services as connectors
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Application,
    Approval,
    Campaign,
    Entitlement,
    Person,
    ReviewAssignment,
    ReviewItem,
    Role,
    RoleTemplate,
    ScheduledOffboarding,
    ScheduledOnboarding,
    ScimClient,
    SodRule,
)
from provisioning.services import (
    access,
    approvals_links,
    approvals_routing,
    catalogue,
    deprovisioning,
    groups,
    lifecycle,
    persons,
    privacy,
    requests,
    review_decisions,
    review_links,
    reviews,
    roles,
    scim_clients,
    signed_links,
)
from provisioning.services.review_decisions import ItemDecision
from tests.factories import (
    AccessGrantFactory,
    ApplicationFactory,
    EntitlementFactory,
    GroupFactory,
    PersonFactory,
    RoleFactory,
    RoleTemplateFactory,
    SodRuleFactory,
    StaffUserFactory,
    TOTPDeviceFactory,
)
from tests.provisioning.approvals.conftest import person_with_email
from tests.provisioning.connectors.conftest import SENT
from tests.writers import service_modules


def public_functions() -> set[str]:
    """The public functions of the public service modules. A private module
    (provisioning.services._stages) holds steps that its package's services share: their
    events are counted through the services that call them."""
    found = set()
    for name in service_modules():
        if name.rpartition(".")[2].startswith("_"):
            continue
        module = importlib.import_module(name)
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == name and not function_name.startswith("_"):
                found.add(f"{name}.{function_name}")
    return found


# Public functions in service modules that read or check and write nothing.
WRITES_NOTHING = {
    "portal.services.staff_deactivation_check": "raises if the staff member still approves",
    "provisioning.services.persons.check_unique": "raises if userName or externalId is taken",
    "provisioning.services.persons.person_locked": "locks the row for a change made inside",
    "provisioning.services.groups.check_unique": "raises if displayName or externalId is taken",
    "compliance.dsar.services.active_hold": "reads the person's unlifted legal hold",
    "compliance.audit.services.history_replay": (
        "lets the demo's replayed history record its events at the moved clock"
    ),
    "provisioning.services.approvals_links.link_issue": (
        "sets a fresh nonce hash on the caller's approval; the caller saves and records"
    ),
    "provisioning.services.approvals_links.link_open": "reads the approval a link is for",
    "provisioning.services.lifecycle.onboarding_preview": "lists the grants onboarding will make",
    "provisioning.services.lifecycle.hires_preview": "lists the grants a batch of hires will get",
    "provisioning.services.roles.sod_rule_check": "raises if a rule is invalid",
    "provisioning.services.scim_clients.scim_token_matches": "compares a secret with its hash",
    "provisioning.services.scim_clients.token_prefix": "the lookup part of a bearer token",
    "provisioning.services.scim_clients.token_cache_key": "names a resolved token's cache entry",
    # A refusal is recorded by compliance.dsar.services.erased_identity_refused (below).
    "provisioning.services.erased_identities.erased_identity_check": (
        "raises if the identity was erased; the refusal records through compliance"
    ),
    "provisioning.services.erased_identities.ledger_asked": (
        "marks the ledger as asked for a nested service call"
    ),
    "provisioning.services.erased_identities.erased_person_check": (
        "raises if the person was erased; the refusal records through compliance"
    ),
    "provisioning.services.erased_identities.erased_identities_check": (
        "which of a batch's identities were erased; each refusal records through compliance"
    ),
    "provisioning.services.persons.person_replace_check": (
        "raises if the erasure ledger refuses the new state; the refusal records through compliance"
    ),
    "provisioning.services.persons.people_check": (
        "what person_create would refuse of each of a batch; erased ones record as above"
    ),
    "provisioning.connectors.services.connector_check": "raises if a connector is unsafe",
    "provisioning.connectors.services.connection_test": "reads the downstream's configuration",
    "provisioning.services.signed_links.nonce_new": "makes a nonce and its digest",
    "provisioning.services.signed_links.nonce_matches": "compares a nonce with a digest",
    "provisioning.services.signed_links.token_sign": "signs a link's token",
    "provisioning.services.signed_links.token_open": "reads the object a link's token names",
    "provisioning.services.review_links.review_link": "signs a link's path",
    "provisioning.services.review_links.review_link_open": "reads the assignment a link is for",
    "provisioning.services.review_decisions.reviewer_actor": "names who decides through a link",
}

# Public functions in service modules that write and, for the reason given, record no event.
RECORDS_NO_EVENT = {
    "provisioning.services.scim_clients.scim_client_use_record": (
        "a client's last use, at most once a minute, on the path of every SCIM request: "
        "bookkeeping for IT's list, while what a request changes records its own event"
    ),
    "provisioning.services.reviews.review_email": (
        "sends a reviewer's e-mail (its stored copy) for the start, reminder or escalation "
        "that calls it, which records the event"
    ),
    "provisioning.services.access.birthright_join_many": (
        "a batch of joiners' grants; it returns their events for the batch's one chain "
        "append, which people_create makes"
    ),
}

# A scenario arranges what its service needs (events recorded there do not count) and
# returns the call to make, whose events are counted.
Act = Callable[[], object]
Scenario = Callable[[Actor], Act]


# --- setup helpers ---------------------------------------------------------------------


def _member_removed(actor: Actor) -> Act:
    group, person = GroupFactory(), PersonFactory()
    group.memberships.create(person=person)
    return partial(groups.group_members_remove, group=group, person_ids=[person.pk], actor=actor)


def _dsar(actor: Actor, **fields: Any) -> DataSubjectRequest:
    arguments = {
        "regulation": "gdpr",
        "type": "access",
        "person": PersonFactory(),
        "contact_email": "requester@example.org",
        **fields,
    }
    return dsar.request_receive(actor=actor, **arguments)


def _verified(actor: Actor, **fields: Any) -> DataSubjectRequest:
    return dsar.request_verify(actor=actor, request=_dsar(actor, **fields), method="hr-record")


def _dsar_challenge(actor: Actor) -> VerificationChallenge:
    """A challenge whose code is known: 123456."""
    challenge = dsar.challenge_send(actor=actor, request=_dsar(actor))
    challenge.code_hash = make_password("123456")
    challenge.save(update_fields=["code_hash"])
    return challenge


def _dsar_agent(actor: Actor) -> DataSubjectRequest:
    request = _dsar(actor)
    dsar.agent_record(
        actor=actor,
        request=request,
        name="Bob Agent",
        email="bob@agency.example",
        proof=b"signed",
        proof_name="permission.pdf",
    )
    return request


def _dsar_failed_erasure(actor: Actor) -> DataSubjectRequest:
    person = PersonFactory.create()
    request = dsar.request_verify(
        actor=actor, request=_dsar(actor, type="deletion", person=person), method="hr-record"
    )
    erasure = Erasure.objects.create(request=request, person=person, reason="request")
    ErasureStep.objects.create(
        erasure=erasure,
        eraser="downstream",
        store="SCIM",
        result={"downstream": [{"application": "Slack", "outcome": "failed"}]},
    )
    return request


def _incident(actor: Actor) -> Incident:
    incident, _ = incidents.finding_raise(
        kind=Incident.Kind.MASS_DEPROVISIONING, summary="12 leavers", details={}, actor=actor
    )
    return incident


def _breach(actor: Actor) -> Incident:
    return incidents.finding_triage_breach(finding=_incident(actor), actor=actor)


def _refused_identity(actor: Actor) -> Incident:
    return dsar.erased_identity_refused(actor=actor, digests=["0" * 64])


def _template() -> RoleTemplate:
    """A template with no conditions: everyone matches it."""
    return RoleTemplateFactory.create(roles=[RoleFactory.create()])


def _scheduled_leaver(actor: Actor) -> date:
    effective_on = timezone.localdate() + timedelta(days=7)
    lifecycle.person_offboard(
        person=PersonFactory(), actor=actor, reason="moves abroad", effective_on=effective_on
    )
    return effective_on


def _future_joiner(actor: Actor) -> date:
    starts_on = timezone.localdate() + timedelta(days=7)
    lifecycle.person_onboard(
        template=_template(), actor=actor, fields={"user_name": "starter"}, starts_on=starts_on
    )
    return starts_on


def _access_request(actor: Actor, **overrides: Any) -> AccessRequest:
    """A hire's request, pending with their manager (stage 1)."""
    manager = person_with_email("manager@example.org")
    arguments = {
        "person": person_with_email("hire@example.org", manager=manager),
        "role": RoleFactory(max_duration=timedelta(days=30)),
        "requested_by": StaffUserFactory(email="requester@example.org"),
        "justification": "Runs payroll this quarter",
        "duration": timedelta(days=14),
        "actor": actor,
        **overrides,
    }
    return requests.access_request(**arguments)


def _approver(actor: Actor) -> Person:
    """The manager a hire's request waits for."""
    _access_request(actor)
    return Person.objects.get(user_name="manager@example.org")


def _owner_changed(actor: Actor) -> dict[str, Any]:
    """A pending request's role given a new owner, and the address of the one before."""
    role = _access_request(actor).role
    previous = role.owner.email
    role.owner = StaffUserFactory.create(email="successor@example.org")
    return {"role": role, "previous_owner_email": previous}


def _reviewed(actor: Actor) -> SodRule:
    """A rule whose extra stage a pending request waits for."""
    role, held = RoleFactory.create(), RoleFactory.create()
    rule = SodRuleFactory.create(
        role_a=role,
        role_b=held,
        effect=SodRule.Effect.EXTRA_APPROVAL,
        extra_approver=StaffUserFactory.create(email="security@example.org"),
    )
    person = AccessGrantFactory.create(role=held).person
    requests.access_request(
        person=person,
        role=role,
        requested_by=StaffUserFactory.create(),
        justification="Covers accounts payable this month",
        duration=timedelta(days=14),
        actor=actor,
    )
    return rule


def _reviewer_changed(actor: Actor) -> dict[str, Any]:
    """A rule whose extra stage a pending request waits for, given a new reviewer, and the
    rule as it was before."""
    rule = _reviewed(actor)
    previous = SodRule.objects.select_related("extra_approver").get(pk=rule.pk)
    rule.extra_approver = StaffUserFactory.create(email="successor@example.org")
    return {"rule": rule, "previous": previous}


def _pending(actor: Actor) -> Approval:
    return _access_request(actor).approvals.get(decision=Approval.Decision.PENDING)


def _past_the_deadline(actor: Actor) -> datetime:
    deadline = _pending(actor).deadline
    assert deadline is not None
    return deadline + timedelta(minutes=1)


def _link_token(actor: Actor) -> str:
    approval = _pending(actor)
    path = approvals_links.link_issue(approval)
    approval.save()
    return path.strip("/").rsplit("/", 1)[-1]


def _scim_client(actor: Actor) -> ScimClient:
    return scim_clients.scim_client_create(actor=actor, name="Entra ID", profile="directory")


def _connector() -> Connector:
    """A connector as IT configures one; no downstream is asked."""
    application = ApplicationFactory(name="Slack")  # an application the inventory allows
    return Connector(
        application_id=application.pk, base_url="http://127.0.0.1:9/v2", attributes=SENT
    )


def _mapping(actor: Actor) -> GroupMapping:
    connector = connectors.connector_create(
        actor=actor, connector=_connector(), secret="downstream-token"
    )
    return GroupMapping(connector=connector, group_id=GroupFactory().pk, downstream_name="eng")


def _orphan(actor: Actor) -> DownstreamOrphan:
    connector = connectors.connector_create(
        actor=actor, connector=_connector(), secret="downstream-token"
    )
    return DownstreamOrphan.objects.create(
        connector=connector, downstream_id="9f2c", user_name="stranger"
    )


def _account(actor: Actor, **fields: Any) -> DownstreamAccount:
    connector = connectors.connector_create(
        actor=actor, connector=_connector(), secret="downstream-token"
    )
    return DownstreamAccount.objects.create(
        connector=connector, person=PersonFactory.create(), downstream_id="7a1e", **fields
    )


def _campaign(actor: Actor, **fields: Any) -> Campaign:
    campaign = Campaign(
        name=f"Review {Campaign.objects.count()}",
        fallback_reviewer=StaffUserFactory.create(),
        **fields,
    )
    return reviews.campaign_save(campaign=campaign, scope=reviews.CampaignScope(), actor=actor)


def _review_item(actor: Actor) -> ReviewItem:
    """A started review with one item, addressed to a staff member's address."""
    manager = person_with_email("reviewer@example.org")
    AccessGrantFactory(person=PersonFactory(manager=manager))
    run = reviews.campaign_start(campaign=_campaign(actor), actor=actor)
    return run.items.get()


def _review_token(actor: Actor) -> str:
    item = _review_item(actor)
    assert item.assignment is not None
    nonce, digest = signed_links.nonce_new()
    ReviewAssignment.objects.filter(pk=item.assignment.pk).update(token_hash=digest)
    return review_links.review_link(item.assignment, nonce).split("/")[2]


def _expired_grant() -> AccessGrant:
    now = timezone.now()
    return AccessGrantFactory.create(
        starts_at=now - timedelta(days=2), expires_at=now - timedelta(minutes=1)
    )


# --- scenarios, by module --------------------------------------------------------------

SCENARIOS: dict[str, Scenario] = {
    # provisioning.services.catalogue
    "provisioning.services.catalogue.application_create": lambda actor: partial(
        catalogue.application_create, actor=actor, application=Application(name="Payroll")
    ),
    "provisioning.services.catalogue.application_update": lambda actor: partial(
        catalogue.application_update, actor=actor, application=ApplicationFactory()
    ),
    "provisioning.services.catalogue.application_delete": lambda actor: partial(
        catalogue.application_delete, actor=actor, application=ApplicationFactory()
    ),
    "provisioning.services.catalogue.entitlement_create": lambda actor: partial(
        catalogue.entitlement_create,
        actor=actor,
        entitlement=Entitlement(application_id=ApplicationFactory().pk, name="Admin"),
    ),
    "provisioning.services.catalogue.entitlement_update": lambda actor: partial(
        catalogue.entitlement_update, actor=actor, entitlement=EntitlementFactory()
    ),
    "provisioning.services.catalogue.entitlement_delete": lambda actor: partial(
        catalogue.entitlement_delete, actor=actor, entitlement=EntitlementFactory()
    ),
    # provisioning.services.groups
    "provisioning.services.groups.group_create": lambda actor: partial(
        groups.group_create, actor=actor, display_name="eng"
    ),
    "provisioning.services.groups.group_update": lambda actor: partial(
        groups.group_update,
        group=GroupFactory(),
        actor=actor,
        display_name="renamed",
        external_id="",
    ),
    "provisioning.services.groups.group_delete": lambda actor: partial(
        groups.group_delete, group=GroupFactory(), actor=actor
    ),
    "provisioning.services.groups.group_members_add": lambda actor: partial(
        groups.group_members_add, group=GroupFactory(), person_ids=[PersonFactory().pk], actor=actor
    ),
    "provisioning.services.groups.group_members_remove": _member_removed,
    "provisioning.services.groups.group_members_replace": lambda actor: partial(
        groups.group_members_replace,
        group=GroupFactory(),
        person_ids=[PersonFactory().pk],
        actor=actor,
    ),
    "provisioning.services.groups.group_change": lambda actor: partial(
        groups.group_change, group=GroupFactory(), actor=actor, display_name="renamed"
    ),
    # provisioning.services.persons
    "provisioning.services.persons.person_create": lambda actor: partial(
        persons.person_create, actor=actor, fields={"user_name": "ada"}
    ),
    "provisioning.services.persons.person_update": lambda actor: partial(
        persons.person_update,
        person=PersonFactory(title="Engineer"),
        actor=actor,
        fields={"title": "Lead"},
    ),
    "provisioning.services.persons.person_replace": lambda actor: partial(
        persons.person_replace,
        person=PersonFactory(title="Engineer"),
        actor=actor,
        fields={"title": "Lead"},
    ),
    "provisioning.services.persons.person_set_active": lambda actor: partial(
        persons.person_set_active, person=PersonFactory(), actor=actor, active=False
    ),
    "provisioning.services.persons.person_activity_set": lambda actor: partial(
        persons.person_activity_set, person=PersonFactory(), actor=actor, active=False
    ),
    "provisioning.services.persons.person_scim_delete": lambda actor: partial(
        persons.person_scim_delete, person=PersonFactory(), actor=actor
    ),
    # provisioning.services.lifecycle
    "provisioning.services.lifecycle.person_onboard": lambda actor: partial(
        lifecycle.person_onboard, template=_template(), actor=actor, fields={"user_name": "joiner"}
    ),
    "provisioning.services.lifecycle.person_offboard": lambda actor: partial(
        lifecycle.person_offboard, person=PersonFactory(), actor=actor, reason="moves abroad"
    ),
    "provisioning.services.lifecycle.offboarding_cancel": lambda actor: partial(
        lifecycle.offboarding_cancel,
        offboarding=ScheduledOffboarding.objects.get(effective_on=_scheduled_leaver(actor)),
        actor=actor,
        reason="stays after all",
    ),
    "provisioning.services.lifecycle.offboardings_due_run": lambda actor: partial(
        lifecycle.offboardings_due_run, actor=actor, today=_scheduled_leaver(actor)
    ),
    "provisioning.services.lifecycle.hires_onboard": lambda actor: partial(
        lifecycle.hires_onboard,
        hires=[lifecycle.Hire(_template(), {"user_name": "graduate"}, row=2)],
        actor=actor,
    ),
    "provisioning.services.lifecycle.onboarding_start": lambda actor: partial(
        lifecycle.onboarding_start,
        onboarding=ScheduledOnboarding.objects.get(starts_on=_future_joiner(actor)),
        actor=actor,
    ),
    "provisioning.services.lifecycle.onboarding_cancel": lambda actor: partial(
        lifecycle.onboarding_cancel,
        onboarding=ScheduledOnboarding.objects.get(starts_on=_future_joiner(actor)),
        actor=actor,
        reason="declined the offer",
    ),
    "provisioning.services.lifecycle.onboardings_due_run": lambda actor: partial(
        lifecycle.onboardings_due_run, actor=actor, today=_future_joiner(actor)
    ),
    # provisioning.services.access
    "provisioning.services.access.grant_create": lambda actor: partial(
        access.grant_create,
        person=PersonFactory(),
        role=RoleFactory(),
        source=AccessGrant.Source.MANUAL,
        actor=actor,
        reason="covers for a colleague",
    ),
    "provisioning.services.access.grants_end": lambda actor: partial(
        access.grants_end,
        grants=AccessGrant.objects.filter(pk=AccessGrantFactory().pk),
        actor=actor,
        reason="no longer needed",
    ),
    "provisioning.services.access.grants_revoke_all": lambda actor: partial(
        access.grants_revoke_all, person=AccessGrantFactory().person, actor=actor, reason="left"
    ),
    "provisioning.services.access.grants_expire": lambda actor: partial(
        access.grants_expire, actor=actor, now=_expired_grant().expires_at
    ),
    "provisioning.services.access.grants_expiry_remind": lambda actor: partial(
        access.grants_expiry_remind,
        actor=actor,
        now=AccessGrantFactory(expires_at=timezone.now() + timedelta(days=1)).starts_at,
    ),
    "provisioning.services.access.template_reapply": lambda actor: partial(
        access.template_reapply, template=_template(), actor=actor
    ),
    "provisioning.services.access.birthright_apply": lambda actor: partial(
        access.birthright_apply,
        person=PersonFactory(),
        actor=actor,
        reason=f"joiner ({_template().name})",
    ),
    # provisioning.services.requests
    "provisioning.services.requests.access_request": lambda actor: partial(_access_request, actor),
    "provisioning.services.requests.approval_decide_as_staff": lambda actor: partial(
        requests.approval_decide_as_staff,
        approval=_pending(actor),
        user=StaffUserFactory(email="manager@example.org"),
        approve=True,
        comment="",
        actor=actor,
    ),
    "provisioning.services.requests.approval_decide_by_link": lambda actor: partial(
        requests.approval_decide_by_link, token=_link_token(actor), approve=False
    ),
    "provisioning.services.requests.requests_cancel_for": lambda actor: partial(
        requests.requests_cancel_for, person=_access_request(actor).person, actor=actor
    ),
    # provisioning.services.approvals_routing
    "provisioning.services.approvals_routing.approvals_overdue_process": lambda actor: partial(
        approvals_routing.approvals_overdue_process,
        actor=actor,
        now=_past_the_deadline(actor),
    ),
    "provisioning.services.approvals_routing.approvals_owner_change": lambda actor: partial(
        approvals_routing.approvals_owner_change, **_owner_changed(actor), actor=actor
    ),
    "provisioning.services.approvals_routing.approvals_reviewer_change": lambda actor: partial(
        approvals_routing.approvals_reviewer_change, **_reviewer_changed(actor), actor=actor
    ),
    "provisioning.services.approvals_routing.requests_reject_for_rule": lambda actor: partial(
        approvals_routing.requests_reject_for_rule, rule=_reviewed(actor), actor=actor
    ),
    "provisioning.services.approvals_routing.approvals_withdraw_for_rule": lambda actor: partial(
        approvals_routing.approvals_withdraw_for_rule, rule=_reviewed(actor), actor=actor
    ),
    "provisioning.services.approvals_routing.approvals_hand_over": lambda actor: partial(
        approvals_routing.approvals_hand_over,
        leaver=_approver(actor),
        actor=actor,
    ),
    # provisioning.services.roles
    "provisioning.services.roles.role_create": lambda actor: partial(
        roles.role_create, role=Role(name="Payroll", owner=StaffUserFactory.create()), actor=actor
    ),
    "provisioning.services.roles.role_update": lambda actor: partial(
        roles.role_update, role=RoleFactory.create(), actor=actor
    ),
    "provisioning.services.roles.template_create": lambda actor: partial(
        roles.template_create, template=RoleTemplate(name="Engineers"), actor=actor
    ),
    "provisioning.services.roles.template_update": lambda actor: partial(
        roles.template_update, template=RoleTemplateFactory.create(), actor=actor
    ),
    "provisioning.services.roles.sod_rule_save": lambda actor: partial(
        roles.sod_rule_save,
        rule=SodRule(role_a=RoleFactory.create(), role_b=RoleFactory.create()),
        actor=actor,
    ),
    "provisioning.services.roles.sod_rule_delete": lambda actor: partial(
        roles.sod_rule_delete, rule=SodRuleFactory(), actor=actor
    ),
    # provisioning.services.scim_clients
    "provisioning.services.scim_clients.scim_client_create": lambda actor: partial(
        _scim_client, actor
    ),
    "provisioning.services.scim_clients.scim_client_update": lambda actor: partial(
        scim_clients.scim_client_update,
        client=_scim_client(actor),
        actor=actor,
        changes={"enabled": False},
    ),
    "provisioning.services.scim_clients.scim_token_issue": lambda actor: partial(
        scim_clients.scim_token_issue, client=_scim_client(actor), actor=actor
    ),
    "provisioning.services.scim_clients.scim_token_revoke": lambda actor: partial(
        scim_clients.scim_token_revoke,
        token=scim_clients.scim_token_issue(client=_scim_client(actor), actor=actor).token,
        actor=actor,
    ),
    "provisioning.services.scim_clients.scim_attributes_dropped": lambda actor: partial(
        scim_clients.scim_attributes_dropped,
        client=_scim_client(actor),
        actor=actor,
        attributes=["nickName"],
        resource_type="User",
    ),
    "provisioning.services.scim_clients.scim_auth_refused": lambda actor: partial(
        scim_clients.scim_auth_refused, actor=actor, client=None, reason="bad_token"
    ),
    "provisioning.services.persons.person_scim_create": lambda actor: partial(
        persons.person_scim_create, actor=actor, fields={"user_name": "grace"}
    ),
    # provisioning.connectors.services
    "provisioning.connectors.services.connector_create": lambda actor: partial(
        connectors.connector_create,
        actor=actor,
        connector=_connector(),
        secret="downstream-token",
    ),
    "provisioning.connectors.services.connector_update": lambda actor: partial(
        connectors.connector_update,
        actor=actor,
        connector=connectors.connector_create(
            actor=actor, connector=_connector(), secret="downstream-token"
        ),
    ),
    "provisioning.connectors.services.connector_delete": lambda actor: partial(
        connectors.connector_delete,
        actor=actor,
        connector=connectors.connector_create(
            actor=actor, connector=_connector(), secret="downstream-token"
        ),
    ),
    "provisioning.connectors.services.accounts_revoke": lambda actor: partial(
        connectors.accounts_revoke,
        actor=actor,
        account_ids=[_account(actor).pk],
        reason="access review",
    ),
    "provisioning.connectors.services.accounts_restore": lambda actor: partial(
        connectors.accounts_restore,
        actor=actor,
        account_ids=[_account(actor, revoked_at=timezone.now()).pk],
    ),
    "provisioning.connectors.services.orphan_dismiss": lambda actor: partial(
        connectors.orphan_dismiss, actor=actor, orphan=_orphan(actor)
    ),
    "provisioning.connectors.services.group_mapping_save": lambda actor: partial(
        connectors.group_mapping_save, actor=actor, mapping=_mapping(actor)
    ),
    "provisioning.connectors.services.group_mapping_delete": lambda actor: partial(
        connectors.group_mapping_delete,
        actor=actor,
        mapping=connectors.group_mapping_save(actor=actor, mapping=_mapping(actor)),
    ),
    # compliance.audit.services
    "compliance.audit.services.event_record": lambda actor: partial(
        event_record, actor=actor, action=Action.GROUP_CREATED, target=("provisioning.group", "1")
    ),
    "compliance.audit.services.events_record": lambda actor: partial(
        events_record,
        actor=actor,
        entries=[Entry(Action.GROUP_CREATED, ("provisioning.group", "1"))],
    ),
    "compliance.audit.services.audit_export": lambda actor: partial(
        audit_export, actor=actor, events=AuditEvent.objects.all(), format_name="csv", filters={}
    ),
    "compliance.audit.services.report_export_record": lambda actor: partial(
        report_export_record, actor=actor, report="access", format_name="csv", filters={}, rows=0
    ),
    # compliance.dsar.services
    "compliance.dsar.services.request_receive": lambda actor: partial(
        _dsar, actor, identifiers={"email": "ada@example.org"}
    ),
    "compliance.dsar.services.request_acknowledge": lambda actor: partial(
        dsar.request_acknowledge, actor=actor, request=_dsar(actor, regulation="ccpa")
    ),
    "compliance.dsar.services.request_verify": lambda actor: partial(
        dsar.request_verify, actor=actor, request=_dsar(actor), method="hr-record"
    ),
    "compliance.dsar.services.request_extend": lambda actor: partial(
        dsar.request_extend, actor=actor, request=_dsar(actor), reason="many systems to search"
    ),
    "compliance.dsar.services.request_deny": lambda actor: partial(
        dsar.request_deny, actor=actor, request=_dsar(actor), basis="identity-unverified"
    ),
    "compliance.dsar.services.request_close": lambda actor: partial(
        dsar.request_close,
        actor=actor,
        request=dsar.request_verify(actor=actor, request=_dsar(actor, person=None), method="sso"),
    ),
    "compliance.dsar.services.legal_hold_place": lambda actor: partial(
        dsar.legal_hold_place, actor=actor, person=PersonFactory(), reason="pending litigation"
    ),
    "compliance.dsar.services.legal_hold_lift": lambda actor: partial(
        dsar.legal_hold_lift,
        actor=actor,
        hold=dsar.legal_hold_place(actor=actor, person=PersonFactory(), reason="litigation"),
    ),
    "compliance.dsar.services.request_requeue": lambda actor: partial(
        dsar.request_requeue, actor=actor, request=_dsar(actor), task=dsar_export
    ),
    "compliance.dsar.services.erased_identity_refused": lambda actor: partial(
        _refused_identity, actor
    ),
    "compliance.dsar.services.erasure_block_lift": lambda actor: partial(
        dsar.erasure_block_lift,
        incident=_refused_identity(actor),
        reason="rehired under contract 14",
        actor=actor,
    ),
    # compliance.incidents.services
    "compliance.incidents.services.finding_raise": lambda actor: partial(_incident, actor),
    "compliance.incidents.services.incident_set_awareness": lambda actor: partial(
        incidents.incident_set_awareness,
        incident=_breach(actor),
        aware_at=timezone.now() - timedelta(hours=1),
        reason="the first report came by phone",
        actor=actor,
    ),
    "compliance.incidents.services.incident_close": lambda actor: partial(
        incidents.incident_close,
        incident=_breach(actor),
        actor=actor,
        notified_to_authority=False,
        notified_at=None,
        note="a planned reorganisation, not a breach",
    ),
    "compliance.dsar.services.request_run": lambda actor: partial(
        dsar.request_run,
        actor=actor,
        request=dsar.request_verify(actor=actor, request=_dsar(actor), method="sso"),
        task=dsar_export,
    ),
    "compliance.dsar.services.request_receive_verified": lambda actor: partial(
        dsar.request_receive_verified,
        actor=actor,
        regulation="gdpr",
        type="deletion",
        person=PersonFactory(),
        identifiers={"user_name": "ada"},
        method="hr-record",
    ),
    # portal.services
    "portal.services.staff_deactivate": lambda actor: partial(
        staff.staff_deactivate, user=StaffUserFactory.create(), actor=actor
    ),
    "portal.services.staff_create": lambda actor: partial(
        staff.staff_create, user=StaffUser(username="newcomer"), actor=actor
    ),
    "portal.services.staff_update": lambda actor: partial(
        staff.staff_update,
        user=StaffUserFactory.create(),
        actor=actor,
        changed=["groups"],
        roles=[Group.objects.create(name="Night shift")],
    ),
    "portal.services.staff_password_set": lambda actor: partial(
        staff.staff_password_set, user=StaffUserFactory.create(), actor=actor
    ),
    "portal.services.staff_delete": lambda actor: partial(
        staff.staff_delete, user=StaffUserFactory.create(), actor=actor
    ),
    "portal.services.staff_role_create": lambda actor: partial(
        staff.staff_role_create, role=Group(name="Night shift"), actor=actor
    ),
    "portal.services.staff_role_update": lambda actor: partial(
        staff.staff_role_update,
        role=Group.objects.create(name="Night shift"),
        actor=actor,
        changed=["permissions"],
        permissions=Permission.objects.filter(codename="view_group"),
    ),
    "portal.services.staff_role_delete": lambda actor: partial(
        staff.staff_role_delete, role=Group.objects.create(name="Night shift"), actor=actor
    ),
    "portal.services.staff_second_factor_remove": lambda actor: partial(
        staff.staff_second_factor_remove, device=TOTPDeviceFactory.create(), actor=actor
    ),
    "portal.services.staff_lockout_clear": lambda actor: partial(
        staff.staff_lockout_clear,
        attempt=AccessAttempt.objects.create(
            username="staff", failures_since_start=5, attempt_time=timezone.now()
        ),
        actor=actor,
    ),
    "compliance.audit.services.keys_rotate": lambda actor: partial(
        audit_keys_rotate, actor=actor, chunk_size=_legacy_subject_key()
    ),
    "provisioning.services.deprovisioning.person_deprovision": lambda actor: partial(
        deprovisioning.person_deprovision,
        person=PersonFactory(active=False),
        actor=actor,
        client=_scim_client(actor),
        trigger=deprovisioning.Trigger.DELETE,
    ),
    # compliance.dsar.rights.services and provisioning.services.privacy
    "compliance.dsar.rights.services.request_correct": lambda actor: partial(
        rights.request_correct,
        actor=actor,
        request=_verified(actor, type="correction"),
        values={"family_name": "Lovelace-King"},
    ),
    "compliance.dsar.rights.services.request_restrict": lambda actor: partial(
        rights.request_restrict,
        actor=actor,
        request=_verified(actor, type="restriction"),
        reason="accuracy contested",
    ),
    "compliance.dsar.rights.services.request_restriction_lift": lambda actor: partial(
        rights.request_restriction_lift,
        actor=actor,
        request=rights.request_restrict(
            actor=actor, request=_verified(actor, type="restriction"), reason="contested"
        ),
        reason="accuracy confirmed",
    ),
    "compliance.dsar.rights.services.request_objection_decide": lambda actor: partial(
        rights.request_objection_decide,
        actor=actor,
        request=_verified(actor, type="objection"),
        decision="upheld",
        grounds="",
    ),
    "compliance.dsar.rights.services.request_follow_up": lambda actor: partial(
        rights.request_follow_up,
        actor=actor,
        request=rights.request_objection_decide(
            actor=actor, request=_verified(actor, type="objection"), decision="upheld", grounds=""
        ),
        type="restriction",
    ),
    "compliance.dsar.rights.services.request_choice_record": lambda actor: partial(
        rights.request_choice_record,
        actor=actor,
        request=_dsar(actor, regulation="ccpa", type="sale-opt-out"),
    ),
    "provisioning.services.privacy.person_restrict": lambda actor: partial(
        privacy.person_restrict, person=PersonFactory(), actor=actor
    ),
    "provisioning.services.privacy.person_restriction_lift": lambda actor: partial(
        privacy.person_restriction_lift,
        person=privacy.person_restrict(person=PersonFactory(), actor=actor),
        actor=actor,
        reason="accuracy confirmed",
    ),
    "provisioning.services.privacy.person_preference_set": lambda actor: partial(
        privacy.person_preference_set,
        person=PersonFactory(),
        actor=actor,
        preference="limit-sensitive",
    ),
    # provisioning.services.reviews and review_decisions (access reviews)
    "provisioning.services.reviews.campaign_save": lambda actor: partial(_campaign, actor),
    "provisioning.services.reviews.campaign_start": lambda actor: partial(
        reviews.campaign_start, campaign=_campaign(actor), actor=actor
    ),
    "provisioning.services.reviews.campaigns_due_start": lambda actor: partial(
        _due_start, _campaign(actor, recurrence="monthly"), actor
    ),
    "provisioning.services.review_decisions.review_decide_by_link": lambda actor: partial(
        _decide_by_link, _review_token(actor)
    ),
    "provisioning.services.review_decisions.review_decide_as_staff": lambda actor: partial(
        review_decisions.review_decide_as_staff,
        user=StaffUserFactory(email="reviewer@example.org"),
        decisions=[ItemDecision(_review_item(actor).pk, "revoke")],
        actor=actor,
    ),
    "provisioning.services.review_decisions.remediate": lambda actor: partial(
        _remediate, _review_item(actor), actor
    ),
    "provisioning.services.review_decisions.reviews_deadline_process": lambda actor: partial(
        review_decisions.reviews_deadline_process,
        actor=actor,
        now=_review_item(actor).run.deadline + timedelta(seconds=1),
    ),
    "provisioning.services.review_decisions.reviews_remind": lambda actor: partial(
        review_decisions.reviews_remind,
        actor=actor,
        now=_review_item(actor).run.deadline,
    ),
    "compliance.dsar.services.challenge_send": lambda actor: partial(
        dsar.challenge_send, actor=actor, request=_dsar(actor)
    ),
    "compliance.dsar.services.challenge_answer": lambda actor: partial(
        dsar.challenge_answer, actor=actor, challenge=_dsar_challenge(actor), code="123456"
    ),
    "compliance.dsar.services.agent_record": lambda actor: partial(_dsar_agent, actor),
    "compliance.dsar.services.agent_confirm": lambda actor: partial(
        dsar.agent_confirm, actor=actor, request=_dsar_agent(actor)
    ),
    "compliance.dsar.services.request_step_retry": lambda actor: partial(
        dsar.request_step_retry, actor=actor, request=_dsar_failed_erasure(actor), task=dsar_erase
    ),
    "provisioning.services.persons.people_create": lambda actor: partial(
        persons.people_create,
        actor=actor,
        people=[persons.NewPerson({"user_name": "ada"}), persons.NewPerson({"user_name": "bo"})],
    ),
    "provisioning.services.persons.people_create_checked": lambda actor: partial(
        persons.people_create_checked,
        actor=actor,
        people=[persons.NewPerson({"user_name": "cy"}), persons.NewPerson({"user_name": "di"})],
    ),
    # compliance.dsar.downloads.services: the requester's own download link
    "compliance.dsar.downloads.services.download_link_issue": lambda actor: partial(
        downloads.download_link_issue, actor=actor, package=_package(actor)
    ),
    "compliance.dsar.downloads.services.package_download_by_requester": lambda actor: partial(
        downloads.package_download_by_requester,
        actor=actor,
        link=downloads.download_link_issue(actor=actor, package=_package(actor))[0],
    ),
    # compliance.incidents.services: triage and the breach's description
    "compliance.incidents.services.finding_triage_breach": lambda actor: partial(
        incidents.finding_triage_breach, finding=_incident(actor), actor=actor
    ),
    "compliance.incidents.services.finding_dismiss": lambda actor: partial(
        incidents.finding_dismiss,
        finding=_incident(actor),
        actor=actor,
        reason="a planned reorganisation",
    ),
    "compliance.incidents.services.finding_merge": lambda actor: partial(
        incidents.finding_merge,
        finding=incidents.finding_raise(
            kind=Incident.Kind.SCIM_AUTH_FAILURES, summary="failures", details={}, actor=actor
        )[0],
        breach=_breach(actor),
        actor=actor,
    ),
    "compliance.incidents.services.breach_describe": lambda actor: partial(
        incidents.breach_describe,
        breach=_breach(actor),
        description=incidents.BreachDescription(
            nature="accounts deactivated by mistake",
            subject_categories="employees",
            subjects_approx=12,
            record_categories="account status",
            records_approx=12,
            consequences="loss of access for a day",
            measures="accounts reactivated",
            dpo_contact="dpo@example.org",
            subjects_informed="",
            subjects_informed_at=None,
            subjects_informed_how="",
            subjects_not_informed_reason="",
        ),
        actor=actor,
    ),
}


def _package(actor: Actor) -> ExportPackage:
    """An access request's export package, sealed under MEDIA_ROOT."""
    from compliance.dsar.export import request_export

    return request_export(actor=actor, request=_verified(actor))


def _legacy_subject_key() -> int:
    """A subject key wrapped under the master key, as before the keyring: rotation
    re-wraps it (and records that) even when no new KEK is due. Returns a chunk size."""
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    from compliance.audit.crypto import master_key
    from compliance.audit.models import SubjectKey

    SubjectKey.objects.create(
        subject_id="legacy", wrapped_key=aes_key_wrap(master_key(), bytes(32)), kek=""
    )
    return 500


def _due_start(campaign: Campaign, actor: Actor) -> object:
    return reviews.campaigns_due_start(actor=actor)


def _decide_by_link(token: str) -> object:
    decisions = [ItemDecision(ReviewItem.objects.get().pk, "keep")]
    return review_decisions.review_decide_by_link(token=token, decisions=decisions)


def _remediate(item: ReviewItem, actor: Actor) -> None:
    item.decision = ReviewItem.Decision.REVOKE
    review_decisions.remediate([item], actor=actor)


def test_every_public_service_function_has_a_scenario_or_writes_nothing():
    found = public_functions()
    declared = set(SCENARIOS) | set(WRITES_NOTHING) | set(RECORDS_NO_EVENT)

    assert not found - declared, (
        "services with no scenario in this test (add one that calls it and records an "
        f"event): {sorted(found - declared)}"
    )
    assert not declared - found, (
        f"scenarios for services that no longer exist: {sorted(declared - found)}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(SCENARIOS))
def test_the_service_records_an_event(service, actor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # where an export package is written
    act = SCENARIOS[service](actor)
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0

    act()

    assert AuditEvent.objects.filter(sequence__gt=last).exists(), f"{service} recorded no event"
