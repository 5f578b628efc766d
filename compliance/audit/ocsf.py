"""Audit events as OCSF 1.x Identity & Access Management events (category 3).

What OCSF has a place for goes there; the rest of the event goes under `unmapped`, so a
SIEM loses nothing. https://schema.ocsf.io/1.3.0/categories/iam
"""

from typing import Any

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, ActorKind, OcsfClass, Outcome

OCSF_VERSION = "1.3.0"
IAM_CATEGORY = 3
OTHER = 99

# The OCSF activity of each action within its class; any other action is "Other" (99).
ACTIVITIES: dict[Action, tuple[int, str]] = {
    Action.PERSON_CREATED: (1, "Create"),
    Action.PERSON_REACTIVATED: (2, "Enable"),
    Action.PERSON_DEACTIVATED: (5, "Disable"),
    Action.PERSON_DELETED: (6, "Delete"),
    Action.STAFF_LOGIN: (1, "Logon"),
    Action.STAFF_LOGIN_FAILED: (1, "Logon"),
    Action.SCIM_AUTH_FAILED: (1, "Logon"),
    Action.STAFF_LOGOUT: (2, "Logoff"),
    Action.GROUP_CREATED: (6, "Create"),
    Action.GROUP_DELETED: (5, "Delete"),
    Action.GROUP_MEMBERS_ADDED: (3, "Add User"),
    Action.GROUP_MEMBERS_REMOVED: (4, "Remove User"),
    Action.APPLICATION_CREATED: (1, "Create"),
    Action.APPLICATION_UPDATED: (3, "Update"),
    Action.APPLICATION_DELETED: (4, "Delete"),
    Action.ENTITLEMENT_CREATED: (1, "Create"),
    Action.ENTITLEMENT_UPDATED: (3, "Update"),
    Action.ENTITLEMENT_DELETED: (4, "Delete"),
    Action.ROLE_CREATED: (1, "Create"),
    Action.ROLE_UPDATED: (3, "Update"),
    Action.AUDIT_EXPORTED: (2, "Read"),
    Action.GRANT_CREATED: (1, "Assign Privileges"),
    Action.GRANT_REVOKED: (2, "Revoke Privileges"),
    Action.GRANT_EXPIRED: (2, "Revoke Privileges"),
}

USER_TYPES: dict[str, tuple[int, str]] = {
    ActorKind.STAFF: (2, "Admin"),
    ActorKind.APPROVER: (1, "User"),
    ActorKind.SYSTEM: (3, "System"),
    ActorKind.SCIM_CLIENT: (OTHER, "SCIM client"),
}

STATUSES: dict[str, tuple[int, str]] = {
    Outcome.SUCCESS: (1, "Success"),
    Outcome.DENIED: (2, "Failure"),
    Outcome.FAILED: (2, "Failure"),
}


def ocsf_event(
    event: AuditEvent, personal: dict[str, Any] | None, *, product: str
) -> dict[str, Any]:
    """One event in OCSF's shape. `personal` is the decrypted details (None once erased)."""
    action = Action(event.action)
    class_uid = action.ocsf_class
    activity_id, activity_name = ACTIVITIES.get(action, (OTHER, action.label))
    status_id, status = STATUSES[event.outcome]
    user_type_id, user_type = USER_TYPES[event.actor_kind]
    document: dict[str, Any] = {
        "time": int(event.occurred_at.timestamp() * 1000),
        "time_dt": event.occurred_at.isoformat(),
        "category_uid": IAM_CATEGORY,
        "category_name": "Identity & Access Management",
        "class_uid": int(class_uid),
        "class_name": class_uid.name.replace("_", " ").title(),
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": int(class_uid) * 100 + activity_id,
        "severity_id": 1,
        "severity": "Informational",
        "status_id": status_id,
        "status": status,
        "status_detail": event.outcome,
        "message": action.label,
        "actor": {
            "user": {
                "uid": event.actor_id,
                "name": event.actor_label,
                "type_id": user_type_id,
                "type": user_type,
            }
        },
        "metadata": {
            "uid": event.hash,
            "sequence": event.sequence,
            "correlation_uid": event.request_id,
            "log_name": "audit",
            "version": OCSF_VERSION,
            "product": {"name": product, "vendor_name": product},
        },
        **_subjects(class_uid, event),
        "unmapped": {
            "action": event.action,
            "channel": event.channel,
            "actor_kind": event.actor_kind,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "subject_id": event.subject_id,
            "data": event.data,
            "personal": personal,
            "personal_status": personal_status(personal),
            "previous_hash": event.previous_hash,
        },
    }
    if event.client_address:
        document["src_endpoint"] = {"ip": event.client_address}
    return document


def _subjects(class_uid: OcsfClass, event: AuditEvent) -> dict[str, Any]:
    """The class's own objects: the account, the group, or the entity acted on."""
    subjects: dict[str, Any] = {}
    if event.subject_id:
        subjects["user"] = {"uid": event.subject_id}
    if class_uid is OcsfClass.GROUP_MANAGEMENT:
        subjects["group"] = {"uid": event.target_id}
    elif class_uid is OcsfClass.ENTITY_MANAGEMENT:
        subjects["entity"] = {"uid": event.target_id, "type": event.target_type}
    return subjects


def personal_status(personal: dict[str, Any] | None) -> str:
    if personal is None:
        return "erased"
    return "decrypted" if personal else "none"
