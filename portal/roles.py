"""Staff roles: Django groups with least-privilege permissions.

The groups are created by a data migration; their permissions are declared here, in version
control, and applied after every migrate so that a new model's permissions reach the roles
that need them and nothing else.
"""

from typing import Any

from django.apps import apps as global_apps
from django.db.models import Q

HR = "HR"
IT = "IT"
APPROVER = "Approver"
PRIVACY_OFFICER = "Privacy officer"
AUDITOR = "Auditor"

ROLES = (HR, IT, APPROVER, PRIVACY_OFFICER, AUDITOR)


def _crud(model: str, *actions: str) -> list[str]:
    app_label, name = model.split(".")
    return [f"{app_label}.{action}_{name}" for action in actions]


ALL = ("add", "change", "delete", "view")

ROLE_PERMISSIONS: dict[str, list[str]] = {
    HR: [
        *_crud("provisioning.person", "add", "change", "view"),
        *_crud("provisioning.personemail", "add", "change", "delete", "view"),
        *_crud("provisioning.personphone", "add", "change", "delete", "view"),
        *_crud("provisioning.group", "view"),
        *_crud("provisioning.application", "view"),
        *_crud("provisioning.entitlement", "view"),
    ],
    IT: [
        *_crud("provisioning.person", "view"),
        *_crud("provisioning.personemail", "view"),
        *_crud("provisioning.personphone", "view"),
        *_crud("provisioning.group", *ALL),
        *_crud("provisioning.membership", *ALL),
        *_crud("provisioning.application", *ALL),
        *_crud("provisioning.entitlement", *ALL),
        # SCIM clients: no delete (disable instead); tokens are issued and revoked, not edited.
        *_crud("provisioning.scimclient", "add", "change", "view"),
        *_crud("provisioning.scimtoken", "change", "view"),
        # Outbound provisioning: connectors, their group mappings, push state, orphans.
        *_crud("provisioning.connector", *ALL),
        *_crud("provisioning.groupmapping", *ALL),
        *_crud("provisioning.downstreamaccount", "change", "view"),
        *_crud("provisioning.downstreamorphan", "view"),
    ],
    APPROVER: [
        *_crud("provisioning.person", "view"),
    ],
    PRIVACY_OFFICER: [
        *_crud("provisioning.person", "view"),
        *_crud("provisioning.personemail", "view"),
        *_crud("provisioning.personphone", "view"),
        # Data-subject requests, legal holds and export packages (compliance.dsar).
        *_crud("compliance.datasubjectrequest", "add", "change", "view"),
        *_crud("compliance.legalhold", "add", "change", "view"),
        *_crud("compliance.exportpackage", "view"),
        "compliance.download_exportpackage",
    ],
    # The auditor sees everything and changes nothing.
    AUDITOR: ["*.view"],
}

# --- Audit trail: search and export -------------------------------------------------------
# Auditors and privacy officers read the trail and export filtered selections of it (an
# export is itself an audit event). Exports carry decrypted personal details.
AUDIT_TRAIL_READERS = [
    *_crud("compliance.auditevent", "view"),
    "compliance.export_auditevent",
]
ROLE_PERMISSIONS[AUDITOR] += ["compliance.export_auditevent"]
ROLE_PERMISSIONS[PRIVACY_OFFICER] += AUDIT_TRAIL_READERS

# --- Access governance: HR onboards and requests; IT curates roles, templates and SoD rules
# and grants or revokes by hand; approvers work their inbox. ---
ROLE_PERMISSIONS[HR] += [
    *_crud("provisioning.role", "view"),
    *_crud("provisioning.roletemplate", "view"),
    *_crud("provisioning.accessgrant", "view"),
    *_crud("provisioning.accessrequest", "add", "view"),
    *_crud("provisioning.approval", "view"),
    # "change" is cancelling a scheduled offboarding; its fields stay read-only.
    *_crud("provisioning.scheduledoffboarding", "change", "view"),
    *_crud("provisioning.scheduledonboarding", "change", "view"),
]
ROLE_PERMISSIONS[IT] += [
    *_crud("provisioning.role", "add", "change", "view"),
    *_crud("provisioning.roletemplate", "add", "change", "view"),
    *_crud("provisioning.sodrule", *ALL),
    *_crud("provisioning.accessgrant", "add", "change", "view"),
    *_crud("provisioning.accessrequest", "view"),
    *_crud("provisioning.approval", "view"),
    *_crud("provisioning.scheduledoffboarding", "view"),
    *_crud("provisioning.scheduledonboarding", "view"),
]
ROLE_PERMISSIONS[APPROVER] += [
    *_crud("provisioning.role", "view"),
    *_crud("provisioning.accessrequest", "view"),
    *_crud("provisioning.approval", "view"),
]
# --- end of access governance ---

AUDITED_APPS = ("provisioning", "compliance", "portal")


def sync_role_permissions(sender: Any = None, apps: Any = global_apps, **kwargs: Any) -> None:
    """Give each staff role exactly the permissions ROLE_PERMISSIONS declares. The role
    groups are created here too, not only by their data migration: a flush (a transactional
    test, a restore) empties auth_group and post_migrate must bring the roles back."""
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    for role, declared in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for entry in declared:
            app_label, codename = entry.split(".")
            if app_label == "*":
                query |= Q(
                    content_type__app_label__in=AUDITED_APPS,
                    codename__startswith=f"{codename}_",
                )
            else:
                query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(permission_model.objects.filter(query))


# --- Compliance: the inventory page, incidents and the dashboard ---
ROLE_PERMISSIONS[PRIVACY_OFFICER] += ["compliance.view_inventory"]
# The records of processing: privacy officers, and auditors through their "*.view".
ROLE_PERMISSIONS[PRIVACY_OFFICER] += ["compliance.view_recordofprocessing"]
ROLE_PERMISSIONS[IT] += ["compliance.view_inventory"]
ROLE_PERMISSIONS[PRIVACY_OFFICER] += [
    *_crud("compliance.incident", "view", "change"),
    # The findings' and breaches' pages; acting on them is change_incident.
    "compliance.view_finding",
    "compliance.view_breach",
    "compliance.view_auditevent",
]

# --- The outbox: IT watches the pushes and tasks waiting for the broker; privacy officers
# the e-mails and request runs among them.
ROLE_PERMISSIONS[IT] += ["compliance.view_outboxmessage"]
ROLE_PERMISSIONS[PRIVACY_OFFICER] += ["compliance.view_outboxmessage"]

# --- Access reviews: IT and privacy officers define campaigns and start them (a run) and
# read the reports; no one deletes either (a run is evidence; a campaign is retired by
# making it inactive). Reviewers who are staff decide their own items from "My reviews".
REVIEW_OWNERS = [
    *_crud("provisioning.campaign", "add", "change", "view"),
    *_crud("provisioning.campaignrun", "add", "view"),
    *_crud("provisioning.reviewitem", "view"),
]
ROLE_PERMISSIONS[IT] += REVIEW_OWNERS
ROLE_PERMISSIONS[PRIVACY_OFFICER] += REVIEW_OWNERS
ROLE_PERMISSIONS[APPROVER] += [*_crud("provisioning.reviewitem", "view")]
