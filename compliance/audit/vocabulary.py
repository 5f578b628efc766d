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
    ADMIN = "admin", "admin pages"
    SCIM = "scim", "SCIM"
    EMAIL_LINK = "email-link", "e-mail link"
    TASK = "task", "scheduled task"
    CLI = "cli", "command line"


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
    PERSON_CREATED = "person.created", "person created"
    PERSON_UPDATED = "person.updated", "person changed"
    PERSON_DEACTIVATED = "person.deactivated", "person deactivated"
    PERSON_REACTIVATED = "person.reactivated", "person reactivated"
    PERSON_DELETED = "person.deleted", "person deleted over SCIM"
    PERSON_DEPROVISIONED = "person.deprovisioned", "SCIM deprovisioning policy applied"
    GROUP_CREATED = "group.created", "group created"
    GROUP_UPDATED = "group.updated", "group changed"
    GROUP_DELETED = "group.deleted", "group deleted"
    GROUP_MEMBERS_ADDED = "group.members_added", "group members added"
    GROUP_MEMBERS_REMOVED = "group.members_removed", "group members removed"
    APPLICATION_CREATED = "application.created", "application created"
    APPLICATION_UPDATED = "application.updated", "application changed"
    APPLICATION_DELETED = "application.deleted", "application deleted"
    ENTITLEMENT_CREATED = "entitlement.created", "entitlement created"
    ENTITLEMENT_UPDATED = "entitlement.updated", "entitlement changed"
    ENTITLEMENT_DELETED = "entitlement.deleted", "entitlement deleted"
    # Access governance (provisioning: roles, templates, grants, requests, approvals).
    GRANT_CREATED = "grant.created", "access granted"
    GRANT_REVOKED = "grant.revoked", "access revoked"
    GRANT_EXPIRED = "grant.expired", "access expired"
    ACCESS_REQUESTED = "request.created", "access requested"
    ACCESS_REQUEST_DECIDED = "request.decided", "access request decided"
    APPROVAL_DECIDED = "approval.decided", "approval decided"
    APPROVAL_ESCALATED = "approval.escalated", "approval escalated"
    APPROVAL_REMINDED = "approval.reminded", "approver reminded"
    APPROVAL_LINK_USED = "approval.link_used", "approval link used"
    ROLE_CREATED = "role.created", "role created"
    ROLE_UPDATED = "role.updated", "role changed"
    ROLE_TEMPLATE_CREATED = "role.template_created", "role template created"
    ROLE_TEMPLATE_UPDATED = "role.template_updated", "role template changed"
    SOD_RULE_SAVED = "role.sod_rule_saved", "separation-of-duties rule saved"
    SOD_RULE_DELETED = "role.sod_rule_deleted", "separation-of-duties rule deleted"
    GRANT_EXPIRY_REMINDED = "grant.expiry_reminded", "holder reminded of expiry"
    PERSON_OFFBOARD_SCHEDULED = "person.offboard_scheduled", "offboarding scheduled"
    PERSON_OFFBOARD_CANCELLED = "person.offboard_cancelled", "scheduled offboarding cancelled"
    PERSON_ONBOARD_SCHEDULED = "person.onboard_scheduled", "joiner scheduled for a start date"
    PERSON_STARTED = "person.started", "joiner's start date reached"
    PERSON_ONBOARD_CANCELLED = "person.onboard_cancelled", "scheduled start cancelled"
    # Access reviews (provisioning: campaigns, their runs and items).
    REVIEW_CAMPAIGN_SAVED = "review.campaign_saved", "access review campaign saved"
    REVIEW_STARTED = "review.started", "access review started"
    REVIEW_DECIDED = "review.decided", "access review item decided"
    REVIEW_REMEDIATED = "review.remediated", "access review decision carried out"
    REVIEW_REMINDED = "review.reminded", "access reviewer reminded"
    REVIEW_ESCALATED = "review.escalated", "access review item escalated"
    REVIEW_CLOSED = "review.closed", "access review closed"
    # SCIM clients and their tokens.
    SCIM_CLIENT_CREATED = "scim.client_created", "SCIM client created"
    SCIM_CLIENT_UPDATED = "scim.client_updated", "SCIM client changed"
    SCIM_TOKEN_CREATED = "scim.token_created", "SCIM token issued"
    SCIM_TOKEN_REVOKED = "scim.token_revoked", "SCIM token revoked"
    SCIM_AUTH_FAILED = "scim.auth_failed", "SCIM sign-in refused"
    SCIM_ATTRIBUTE_DROPPED = "scim.attribute_dropped", "SCIM attribute dropped"
    # Data-subject requests, retention and erasure.
    DSAR_RECEIVED = "dsar.received", "data-subject request received"
    DSAR_ACKNOWLEDGED = "dsar.acknowledged", "data-subject request acknowledged"
    DSAR_VERIFIED = "dsar.verified", "requester's identity verified"
    DSAR_EXTENDED = "dsar.extended", "data-subject request deadline extended"
    DSAR_DENIED = "dsar.denied", "data-subject request denied"
    DSAR_EXPORTED = "dsar.exported", "personal data exported"
    DSAR_PACKAGE_DOWNLOADED = "dsar.package_downloaded", "export package downloaded"
    DSAR_ERASED = "dsar.erased", "personal data erased"
    DSAR_CLOSED = "dsar.closed", "data-subject request closed"
    LEGAL_HOLD_PLACED = "dsar.legal_hold_placed", "legal hold placed"
    LEGAL_HOLD_LIFTED = "dsar.legal_hold_lifted", "legal hold lifted"
    ERASED_IDENTITY_REFUSED = "dsar.erased_identity_refused", "erased identity refused"
    ERASURE_BLOCK_LIFTED = "dsar.erasure_block_lifted", "erasure block lifted for a rehire"
    DSAR_REQUEUED = "dsar.requeued", "stalled data-subject request requeued"
    DSAR_STARTED = "dsar.started", "data-subject request export or erasure started"
    DSAR_NOTICE_SENT = "dsar.notice_sent", "notice sent to the requester"
    DSAR_CHALLENGE_SENT = "dsar.challenge_sent", "one-time code sent to the requester"
    DSAR_CHALLENGE_ANSWERED = "dsar.challenge_answered", "one-time code entered"
    DSAR_AGENT_RECORDED = "dsar.agent_recorded", "authorised agent recorded"
    DSAR_AGENT_CONFIRMED = "dsar.agent_confirmed", "agent's permission confirmed by the consumer"
    DSAR_STEP_RETRIED = "dsar.step_retried", "failed request step retried"
    DSAR_DOWNLOAD_LINK_ISSUED = "dsar.download_link_issued", "download link sent to the requester"
    RETENTION_APPLIED = "retention.applied", "retention applied"
    # Incidents and alerts.
    INCIDENT_RAISED = "incident.raised", "finding raised"
    FINDING_REPEATED = "incident.finding_repeated", "finding found again"
    FINDING_TRIAGED = "incident.finding_triaged", "finding triaged"
    BREACH_DESCRIBED = "incident.breach_described", "breach described (Art. 33(3), 34)"
    INCIDENT_CLOSED = "incident.closed", "breach closed"
    INCIDENT_AWARENESS_SET = "incident.awareness_set", "breach awareness time corrected"
    # Outbound provisioning to downstream applications.
    PUSH_SUCCEEDED = "push.succeeded", "pushed downstream"
    PUSH_FAILED = "push.failed", "downstream push failed"
    PUSH_DEAD_LETTERED = "push.dead_lettered", "downstream push given up"
    PUSH_RETRIED = "push.retried", "downstream push retried"
    PUSH_RECONCILED = "push.reconciled", "downstream account reconciled"
    PUSH_ORPHAN_DISMISSED = "push.orphan_dismissed", "downstream orphan dismissed"
    PUSH_ACCOUNT_REVOKED = "push.account_revoked", "downstream account revoked"
    PUSH_ACCOUNT_RESTORED = "push.account_restored", "downstream account let back in"
    # Staff and the trail itself.
    STAFF_LOGIN = "staff.login", "staff signed in"
    STAFF_LOGIN_FAILED = "staff.login_failed", "staff sign-in failed"
    STAFF_LOGOUT = "staff.logout", "staff signed out"
    STAFF_MFA_ENROLLED = "staff.mfa_enrolled", "staff second factor enrolled"
    STAFF_MFA_RESET = "staff.mfa_reset", "staff second factor removed"
    STAFF_LOCKOUT_CLEARED = "staff.lockout_cleared", "staff sign-in lockout cleared"
    STAFF_CREATED = "staff.created", "staff account created"
    STAFF_UPDATED = "staff.updated", "staff account changed"
    STAFF_PASSWORD_SET = "staff.password_set", "staff password set"
    STAFF_DEACTIVATED = "staff.deactivated", "staff account deactivated"
    STAFF_DELETED = "staff.deleted", "staff account deleted"
    STAFF_ROLE_CREATED = "staff.role_created", "staff role created"
    STAFF_ROLE_CHANGED = "staff.role_changed", "staff role changed"
    STAFF_ROLE_DELETED = "staff.role_deleted", "staff role deleted"
    AUDIT_EXPORTED = "audit.exported", "audit trail exported"
    # The keys of the trail and of the export packages (compliance.audit.keyring).
    AUDIT_KEYS_ROTATED = "audit.keys_rotated", "subject keys re-wrapped under a new KEK"
    AUDIT_KEYS_DESTROYED = "audit.keys_destroyed", "retired key-encryption keys destroyed"
    DSAR_PACKAGES_RESEALED = "dsar.packages_resealed", "export packages sealed for subjects"
    # The rights beyond access and erasure (compliance.dsar.rights), and what they change
    # about the person (provisioning.services.privacy).
    DSAR_CORRECTED = "dsar.corrected", "personal data corrected at the person's request"
    DSAR_RESTRICTED = "dsar.restricted", "processing restricted at the person's request"
    DSAR_OBJECTION_DECIDED = "dsar.objection_decided", "objection to processing decided"
    DSAR_PREFERENCE_RECORDED = "dsar.preference_recorded", "CCPA choice recorded"
    DSAR_RECIPIENT_NOTIFIED = "dsar.recipient_notified", "recipient told of the request"
    PERSON_RESTRICTED = "person.restricted", "person's processing restricted"
    PERSON_RESTRICTION_LIFTED = "person.restriction_lifted", "person's restriction lifted"
    PERSON_PREFERENCE_SET = "person.preference_set", "person's sale or sensitive-data choice set"

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
    "review": OcsfClass.USER_ACCESS_MANAGEMENT,
    "role": OcsfClass.ENTITY_MANAGEMENT,
    "scim": OcsfClass.AUTHENTICATION,
    "dsar": OcsfClass.ACCOUNT_CHANGE,
    "retention": OcsfClass.ACCOUNT_CHANGE,
    "incident": OcsfClass.ENTITY_MANAGEMENT,
    "push": OcsfClass.ACCOUNT_CHANGE,
}
