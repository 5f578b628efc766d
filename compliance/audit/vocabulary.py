"""The fixed vocabulary of audit events, each mapped to an OCSF class."""

from enum import IntEnum

from django.db import models


class OcsfClass(IntEnum):
    """OCSF 1.x Identity & Access Management class uids."""

    ACCOUNT_CHANGE = 3001
    AUTHENTICATION = 3002
    ENTITY_MANAGEMENT = 3004
    USER_ACCESS_MANAGEMENT = 3005
    GROUP_MANAGEMENT = 3006


class Channel(models.TextChoices):
    ADMIN = "admin"
    SCIM = "scim"
    EMAIL_LINK = "email-link", "e-mail link"
    TASK = "task"
    CLI = "cli"


class ActorKind(models.TextChoices):
    STAFF = "staff"
    SCIM_CLIENT = "scim-client", "SCIM client"
    APPROVER = "approver", "approver through a link"
    SYSTEM = "system", "system task"


class Outcome(models.TextChoices):
    SUCCESS = "success"
    DENIED = "denied"
    FAILED = "failed"


class Action(models.TextChoices):
    PERSON_CREATED = "person.created"
    PERSON_UPDATED = "person.updated"
    PERSON_DEACTIVATED = "person.deactivated"
    PERSON_REACTIVATED = "person.reactivated"
    PERSON_DELETED = "person.deleted"
    GROUP_CREATED = "group.created"
    GROUP_UPDATED = "group.updated"
    GROUP_DELETED = "group.deleted"
    GROUP_MEMBERS_ADDED = "group.members_added"
    GROUP_MEMBERS_REMOVED = "group.members_removed"
    APPLICATION_CREATED = "application.created"
    APPLICATION_UPDATED = "application.updated"
    APPLICATION_DELETED = "application.deleted"
    ENTITLEMENT_CREATED = "entitlement.created"
    ENTITLEMENT_UPDATED = "entitlement.updated"
    ENTITLEMENT_DELETED = "entitlement.deleted"
    # Access governance (provisioning: roles, templates, grants, requests, approvals).
    GRANT_CREATED = "grant.created"
    GRANT_REVOKED = "grant.revoked"
    GRANT_EXPIRED = "grant.expired"
    ACCESS_REQUESTED = "request.created"
    ACCESS_REQUEST_DECIDED = "request.decided"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_ESCALATED = "approval.escalated"
    APPROVAL_REMINDED = "approval.reminded"
    APPROVAL_LINK_USED = "approval.link_used"
    ROLE_CREATED = "role.created"
    ROLE_UPDATED = "role.updated"
    ROLE_TEMPLATE_CREATED = "role.template_created"
    ROLE_TEMPLATE_UPDATED = "role.template_updated"
    SOD_RULE_SAVED = "role.sod_rule_saved"
    SOD_RULE_DELETED = "role.sod_rule_deleted"
    GRANT_EXPIRY_REMINDED = "grant.expiry_reminded"
    PERSON_OFFBOARD_SCHEDULED = "person.offboard_scheduled"
    # SCIM clients and their tokens.
    SCIM_CLIENT_CREATED = "scim.client_created"
    SCIM_CLIENT_UPDATED = "scim.client_updated"
    SCIM_TOKEN_CREATED = "scim.token_created"  # noqa: S105 (an action name)
    SCIM_TOKEN_REVOKED = "scim.token_revoked"  # noqa: S105
    SCIM_AUTH_FAILED = "scim.auth_failed"
    SCIM_ATTRIBUTE_DROPPED = "scim.attribute_dropped"
    # Data-subject requests, retention and erasure.
    DSAR_RECEIVED = "dsar.received"
    DSAR_ACKNOWLEDGED = "dsar.acknowledged"
    DSAR_VERIFIED = "dsar.verified"
    DSAR_EXTENDED = "dsar.extended"
    DSAR_DENIED = "dsar.denied"
    DSAR_EXPORTED = "dsar.exported"
    DSAR_PACKAGE_DOWNLOADED = "dsar.package_downloaded"
    DSAR_ERASED = "dsar.erased"
    DSAR_CLOSED = "dsar.closed"
    LEGAL_HOLD_PLACED = "dsar.legal_hold_placed"
    LEGAL_HOLD_LIFTED = "dsar.legal_hold_lifted"
    ERASED_IDENTITY_REFUSED = "dsar.erased_identity_refused"
    ERASURE_BLOCK_LIFTED = "dsar.erasure_block_lifted"
    DSAR_REQUEUED = "dsar.requeued"
    RETENTION_APPLIED = "retention.applied"
    # Incidents and alerts.
    INCIDENT_RAISED = "incident.raised"
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_AWARENESS_SET = "incident.awareness_set"
    # Outbound provisioning to downstream applications.
    PUSH_SUCCEEDED = "push.succeeded"
    PUSH_FAILED = "push.failed"
    PUSH_DEAD_LETTERED = "push.dead_lettered"
    PUSH_RETRIED = "push.retried"
    PUSH_RECONCILED = "push.reconciled"
    # Staff and the trail itself.
    STAFF_LOGIN = "staff.login"
    STAFF_LOGIN_FAILED = "staff.login_failed"
    STAFF_LOGOUT = "staff.logout"
    STAFF_MFA_ENROLLED = "staff.mfa_enrolled"
    AUDIT_EXPORTED = "audit.exported"

    @property
    def ocsf_class(self) -> OcsfClass:
        return OCSF_CLASSES[self.value.split(".")[0]]


OCSF_CLASSES: dict[str, OcsfClass] = {
    "person": OcsfClass.ACCOUNT_CHANGE,
    "staff": OcsfClass.AUTHENTICATION,
    "group": OcsfClass.GROUP_MANAGEMENT,
    "application": OcsfClass.ENTITY_MANAGEMENT,
    "entitlement": OcsfClass.ENTITY_MANAGEMENT,
    "audit": OcsfClass.ENTITY_MANAGEMENT,
    "grant": OcsfClass.USER_ACCESS_MANAGEMENT,
    "request": OcsfClass.USER_ACCESS_MANAGEMENT,
    "approval": OcsfClass.USER_ACCESS_MANAGEMENT,
    "role": OcsfClass.ENTITY_MANAGEMENT,
    "scim": OcsfClass.AUTHENTICATION,
    "dsar": OcsfClass.ACCOUNT_CHANGE,
    "retention": OcsfClass.ACCOUNT_CHANGE,
    "incident": OcsfClass.ENTITY_MANAGEMENT,
    "push": OcsfClass.ACCOUNT_CHANGE,
}
