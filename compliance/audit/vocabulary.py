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
}
