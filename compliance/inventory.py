"""The personal-data inventory: every personal field of every model, declared once.

Each model of the portal's own apps is either listed in NO_PERSONAL_DATA or has every one
of its fields classified here: as personal data (with category, purpose, lawful basis,
retention, source and recipients) or as TECHNICAL (keys and bookkeeping). A field that is
neither fails `manage.py check` (compliance.checks). The inventory feeds the SCIM schema,
the export engine and the records of processing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Category(models.TextChoices):
    IDENTITY = "identity", "identity and name"
    CONTACT = "contact", "contact details"
    EMPLOYMENT = "employment", "employment and organisation"
    ACCESS = "access", "access and entitlements"
    TECHNICAL = "technical", "technical and security logs"


class LawfulBasis(models.TextChoices):
    """GDPR Art. 6(1)."""

    CONTRACT = "contract", "Art. 6(1)(b) performance of the employment contract"
    LEGAL_OBLIGATION = "legal-obligation", "Art. 6(1)(c) legal obligation"
    LEGITIMATE_INTERESTS = "legitimate-interests", "Art. 6(1)(f) legitimate interests"


@dataclass(frozen=True)
class Retention:
    """How long after an anchor event the data is kept."""

    days: int
    after: str = "the person leaves"

    def __str__(self) -> str:
        return f"{self.days} days after {self.after}"


EMPLOYMENT_RETENTION = Retention(days=90)
SECURITY_RETENTION = Retention(days=365 * 2, after="the event")


@dataclass(frozen=True)
class PersonalField:
    model: str
    field: str
    category: Category
    purpose: str
    lawful_basis: LawfulBasis = LawfulBasis.CONTRACT
    retention: Retention = EMPLOYMENT_RETENTION
    source: str = "HR, or the identity provider over SCIM"
    recipients: tuple[str, ...] = ("identity providers", "provisioned applications")
    scim_attribute: str | None = None

    @property
    def key(self) -> str:
        return f"{self.model}.{self.field}"


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
P = "provisioning.Person"
IDENTITY = Category.IDENTITY
EMPLOYMENT = Category.EMPLOYMENT
CONTACT = Category.CONTACT
ACCOUNT = "To create and manage the person's accounts in the applications they need."
ADDRESSING = "To address the person correctly in applications and messages."
ORG = "To grant the access the person's job needs (role templates) and route approvals."

INVENTORY: tuple[PersonalField, ...] = (
    PersonalField(P, "user_name", IDENTITY, ACCOUNT, scim_attribute="userName"),
    PersonalField(P, "external_id", IDENTITY, ACCOUNT, scim_attribute="externalId"),
    PersonalField(P, "given_name", IDENTITY, ADDRESSING, scim_attribute="name.givenName"),
    PersonalField(P, "middle_name", IDENTITY, ADDRESSING, scim_attribute="name.middleName"),
    PersonalField(P, "family_name", IDENTITY, ADDRESSING, scim_attribute="name.familyName"),
    PersonalField(
        P, "honorific_prefix", IDENTITY, ADDRESSING, scim_attribute="name.honorificPrefix"
    ),
    PersonalField(
        P, "honorific_suffix", IDENTITY, ADDRESSING, scim_attribute="name.honorificSuffix"
    ),
    PersonalField(P, "display_name", IDENTITY, ADDRESSING, scim_attribute="displayName"),
    PersonalField(P, "nick_name", IDENTITY, ADDRESSING, scim_attribute="nickName"),
    PersonalField(P, "title", EMPLOYMENT, ORG, scim_attribute="title"),
    PersonalField(
        P, "preferred_language", IDENTITY, ADDRESSING, scim_attribute="preferredLanguage"
    ),
    PersonalField(P, "locale", IDENTITY, ADDRESSING, scim_attribute="locale"),
    PersonalField(P, "timezone", IDENTITY, ADDRESSING, scim_attribute="timezone"),
    PersonalField(P, "department", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:department"),
    PersonalField(
        P, "employee_number", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:employeeNumber"
    ),
    PersonalField(P, "cost_center", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:costCenter"),
    PersonalField(P, "organization", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:organization"),
    PersonalField(P, "division", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:division"),
    PersonalField(P, "employment_type", EMPLOYMENT, ORG, scim_attribute="userType"),
    PersonalField(P, "location", EMPLOYMENT, ORG),
    PersonalField(P, "manager", EMPLOYMENT, ORG, scim_attribute=f"{ENTERPRISE}:manager"),
    PersonalField(P, "active", EMPLOYMENT, ACCOUNT, scim_attribute="active"),
    PersonalField(P, "deactivated_at", EMPLOYMENT, ACCOUNT),
    PersonalField(P, "employment_start", EMPLOYMENT, ORG),
    PersonalField(P, "employment_end", EMPLOYMENT, ORG),
    PersonalField(P, "scim_deleted_at", EMPLOYMENT, ACCOUNT, source="the identity provider"),
    PersonalField("provisioning.PersonEmail", "value", CONTACT, ACCOUNT, scim_attribute="emails"),
    PersonalField(
        "provisioning.PersonPhone", "value", CONTACT, ADDRESSING, scim_attribute="phoneNumbers"
    ),
    *(
        PersonalField(
            "provisioning.SentEmail",
            name,
            CONTACT,
            "To keep a record of what the portal told whom (approvals, reminders, notices).",
            lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
            retention=Retention(days=365, after="the e-mail is sent"),
            source="The portal's own notifications",
            recipients=("the addressees",),
        )
        for name in ("recipients", "subject", "body", "about")
    ),
    PersonalField(
        "portal.StaffUser",
        "username",
        IDENTITY,
        "To sign staff in and attribute their actions in the audit trail.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        source="IT, when the staff account is created",
        recipients=(),
    ),
    *(
        PersonalField(
            "portal.StaffUser",
            name,
            IDENTITY,
            "To address staff and reach them about their work in the portal.",
            lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
            source="IT, when the staff account is created",
            recipients=(),
        )
        for name in ("first_name", "last_name", "email")
    ),
    PersonalField(
        "compliance.AuditEvent",
        "ciphertext",
        Category.TECHNICAL,
        "To prove what was done to whose data, when and by whom (GDPR Art. 5(2), 30).",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=SECURITY_RETENTION,
        source="The portal's own services",
        recipients=("auditors",),
    ),
    PersonalField(
        "compliance.AuditEvent",
        "client_address",
        Category.TECHNICAL,
        "To investigate security incidents.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=SECURITY_RETENTION,
        source="The network connection",
        recipients=("auditors",),
    ),
    PersonalField(
        "provisioning.ScimClient",
        "last_used_address",
        Category.TECHNICAL,
        "To spot a SCIM token used from an unexpected network.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=SECURITY_RETENTION,
        source="The network connection",
        recipients=("IT",),
    ),
)

# --- Data-subject requests (compliance.dsar) ---------------------------------------------
DSAR_RECORD = Retention(days=730, after="the request closes (CCPA §7101)")
EXPORT_RETENTION = Retention(days=30, after="the package is made")
DSAR_PURPOSE = "To answer data-subject requests and prove how they were answered."
DSAR_INVENTORY: tuple[PersonalField, ...] = (
    PersonalField(
        "compliance.DataSubjectRequest",
        "subject_identifiers",
        IDENTITY,
        DSAR_PURPOSE,
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=DSAR_RECORD,
        source="The person making the request",
        recipients=("privacy officers",),
    ),
    PersonalField(
        "compliance.LegalHold",
        "reason",
        EMPLOYMENT,
        "To keep data needed for a legal claim or obligation from being erased.",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=Retention(days=730, after="the hold is lifted"),
        source="Legal counsel",
        recipients=("privacy officers",),
    ),
    PersonalField(
        "compliance.ExportPackage",
        "file",
        Category.ACCESS,
        "To give the person a copy of their data (GDPR Art. 15, 20; CCPA right to know).",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=EXPORT_RETENTION,
        source="The portal's export engine",
        recipients=("privacy officers", "the person"),
    ),
)
INVENTORY = INVENTORY + DSAR_INVENTORY

# Fields that identify nothing about a person by themselves: keys, versions, flags about
# the record, and references already covered by the model they point to.
TECHNICAL: dict[str, frozenset[str]] = {
    P: frozenset({"id", "version", "created", "modified"}),
    "provisioning.PersonEmail": frozenset({"id", "person", "type", "primary"}),
    "provisioning.PersonPhone": frozenset({"id", "person", "type", "primary"}),
    "provisioning.Membership": frozenset({"id", "group", "person", "created"}),
    "provisioning.SentEmail": frozenset({"id", "template", "sent_at"}),
    "provisioning.ScimClient": frozenset(
        {"id", "name", "profile", "mode", "enabled", "expires_at", "last_used_at", "created"}
    ),
    "portal.StaffUser": frozenset(
        {
            "id",
            "password",
            "last_login",
            "is_superuser",
            "is_staff",
            "is_active",
            "date_joined",
            "groups",
            "user_permissions",
        }
    ),
    "compliance.AuditEvent": frozenset(
        {
            "id",
            "sequence",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "actor_label",
            "channel",
            "action",
            "target_type",
            "target_id",
            "subject_id",
            "data",
            "request_id",
            "outcome",
            "previous_hash",
            "hash",
        }
    ),
    # Data-subject requests: references, workflow and keyed hashes only.
    "compliance.DataSubjectRequest": frozenset(
        {
            "id",
            "regulation",
            "type",
            "person",
            "identifier_hashes",
            "received_by",
            "received_at",
            "verification_method",
            "verified_by",
            "verified_at",
            "status",
            "outcome",
            "denial_basis",
            "handled_by",
            "acknowledge_by",
            "acknowledged_at",
            "due_on",
            "extended_at",
            "extension_months",
            "extension_reason",
            "extension_notified_at",
            "progress",
            "progress_label",
            "progress_at",
            "closed_at",
        }
    ),
    "compliance.LegalHold": frozenset(
        {"id", "person", "placed_by", "placed_at", "lifted_by", "lifted_at"}
    ),
    "compliance.ExportPackage": frozenset(
        {"id", "request", "person", "wrapped_key", "sha256", "size", "created_at", "expires_at"}
    ),
}

# Models that hold no personal data at all.
NO_PERSONAL_DATA: frozenset[str] = frozenset(
    {
        "provisioning.Group",
        "provisioning.Application",
        "provisioning.Entitlement",
        "provisioning.ScimToken",
        "compliance.ChainHead",
        "compliance.SubjectKey",
        # Erasure bookkeeping: pseudonymous ids, counts, times and keyed hashes.
        "compliance.Erasure",
        "compliance.ErasureStep",
        "compliance.ErasureLedgerEntry",
    }
)

# --- Access governance (provisioning: roles, templates, grants, requests, approvals) ---
GOVERNANCE = "To give each person only the access their job needs, and prove who approved it."
GOVERNANCE_RETENTION = Retention(days=365 * 2, after="the grant or request ends")
STAFF_REF = "To route approvals and attribute decisions to the staff member responsible."


def _governance(
    model: str, *names: str, category: Category = Category.ACCESS
) -> tuple[PersonalField, ...]:
    return tuple(
        PersonalField(
            f"provisioning.{model}",
            name,
            category,
            GOVERNANCE,
            lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
            retention=GOVERNANCE_RETENTION,
            source="HR, IT, requesters and approvers in the portal",
            recipients=("auditors",),
        )
        for name in names
    )


INVENTORY = (
    *INVENTORY,
    *_governance("Role", "owner", category=Category.IDENTITY),
    *_governance("SodRule", "extra_approver", category=Category.IDENTITY),
    *_governance(
        "AccessGrant",
        "role",
        "entitlement",
        "source",
        "granted_by",
        "starts_at",
        "expires_at",
        "status",
        "reason",
        "revoked_at",
        "revoked_by",
        "revocation_reason",
    ),
    *_governance(
        "AccessRequest", "role", "requested_by", "justification", "duration", "status", "decided_at"
    ),
    *_governance("Approval", "decision", "decided_at", "comment"),
    *_governance("Approval", "approver_email", category=Category.CONTACT),
    *_governance(
        "ScheduledOffboarding",
        "effective_on",
        "reason",
        "requested_by",
        "status",
        "done_at",
        category=Category.EMPLOYMENT,
    ),
    *_governance(
        "ScheduledOnboarding",
        "starts_on",
        "requested_by",
        "status",
        "done_at",
        category=Category.EMPLOYMENT,
    ),
)
TECHNICAL.update(
    {
        "provisioning.Role": frozenset(
            {
                "id",
                "name",
                "description",
                "entitlements",
                "risk_level",
                "max_duration",
                "requestable",
                "on_timeout",
                "created",
                "modified",
            }
        ),
        "provisioning.SodRule": frozenset(
            {"id", "role_a", "role_b", "effect", "description", "created"}
        ),
        "provisioning.AccessGrant": frozenset(
            {"id", "person", "template", "request", "expiry_reminded_at", "created"}
        ),
        "provisioning.AccessRequest": frozenset({"id", "person", "created"}),
        "provisioning.Approval": frozenset(
            {
                "id",
                "request",
                "stage",
                "kind",
                "deadline",
                "reminded_at",
                "token_hash",
                "escalated_from",
                "sod_rule",
                "created",
            }
        ),
        "provisioning.ScheduledOffboarding": frozenset({"id", "person", "created"}),
        "provisioning.ScheduledOnboarding": frozenset({"id", "person", "template", "created"}),
    }
)
# A template's conditions describe jobs, not people.
NO_PERSONAL_DATA = NO_PERSONAL_DATA | {"provisioning.RoleTemplate"}
# --- end of access governance ---

INVENTORY_APPS = ("portal", "provisioning", "compliance")


def personal_fields(model_label: str | None = None) -> tuple[PersonalField, ...]:
    return tuple(entry for entry in INVENTORY if model_label in (None, entry.model))


def by_scim_attribute() -> dict[str, PersonalField]:
    return {entry.scim_attribute: entry for entry in INVENTORY if entry.scim_attribute}


# --- Compliance: inventory page, incidents and alerting (no personal data) ---
NO_PERSONAL_DATA |= frozenset({"compliance.Inventory", "compliance.AlertWatermark"})
TECHNICAL["compliance.Incident"] = frozenset(
    {
        "id",
        "kind",
        "severity",
        "summary",
        "details",
        "dedupe_key",
        "detected_at",
        "aware_at",
        "status",
        "notified_to_authority",
        "notified_at",
        "closed_at",
        "closed_by",
    }
)
INVENTORY += tuple(
    PersonalField(
        "compliance.Incident",
        name,
        Category.TECHNICAL,
        "To document personal-data breaches, their effects and the remedial action "
        "(GDPR Art. 33(5)).",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=Retention(days=365 * 5, after="the incident is closed"),
        source="The privacy officer handling the incident",
        recipients=("auditors", "the supervisory authority"),
    )
    for name in ("awareness_reason", "closing_note")
)

# --- Outbound provisioning (provisioning/connectors/) ---
# Which SCIM attributes each downstream application may receive, by application name
# (case ignored). An attribute must also be declared above with "provisioned applications"
# among its recipients. A connector's attribute mapping outside this list is refused (a
# form error), and pushes filter against it again. Changing it is a reviewed commit.
PROVISIONED_APPLICATIONS: dict[str, frozenset[str]] = {
    "github": frozenset({"userName", "active", "displayName", "emails"}),
    "slack": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            f"{ENTERPRISE}:department",
        }
    ),
    "salesforce": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            "phoneNumbers",
            f"{ENTERPRISE}:department",
            f"{ENTERPRISE}:division",
        }
    ),
    "workday": frozenset(
        {
            "userName",
            "active",
            "displayName",
            "name.givenName",
            "name.familyName",
            "title",
            "emails",
            "userType",
            f"{ENTERPRISE}:department",
            f"{ENTERPRISE}:employeeNumber",
            f"{ENTERPRISE}:costCenter",
            f"{ENTERPRISE}:organization",
            f"{ENTERPRISE}:division",
        }
    ),
    "netsuite": frozenset(
        {"userName", "active", "displayName", "emails", f"{ENTERPRISE}:costCenter"}
    ),
}
PROVISIONED_RECIPIENT = "provisioned applications"

INVENTORY += (
    PersonalField(
        "provisioning.DownstreamAccount",
        "pushed_digests",
        IDENTITY,
        "To send a downstream application only the attributes that changed.",
        source="Computed by the portal (keyed digests, no values)",
        recipients=(),
    ),
    PersonalField(
        "provisioning.DownstreamOrphan",
        "user_name",
        IDENTITY,
        "To let IT review downstream accounts that match no person in the portal.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=Retention(days=90, after="the account is last seen downstream"),
        source="The downstream application, read by reconciliation",
        recipients=(),
    ),
)
TECHNICAL.update(
    {
        "provisioning.Connector": frozenset(
            {
                "id",
                "application",
                "base_url",
                "auth",
                "token_url",
                "client_id",
                "secret_sealed",
                "attributes",
                "scope",
                "deprovision",
                "enabled",
                "created",
                "modified",
            }
        ),
        "provisioning.DownstreamAccount": frozenset(
            {
                "id",
                "connector",
                "person",
                "downstream_id",
                "pushed_version",
                "pushed_groups",
                "status",
                "attempts",
                "last_error",
                "last_pushed",
                "modified",
            }
        ),
        "provisioning.DownstreamOrphan": frozenset(
            {"id", "connector", "downstream_id", "first_seen", "last_seen"}
        ),
    }
)
NO_PERSONAL_DATA |= {"provisioning.GroupMapping"}

# --- The outbox (compliance/outbox/) ---
# Arguments are ids only; a payload holding personal data (an e-mail: its addressees, the
# names in it, an approval link) is sealed, and wiped when the message is delivered.
INVENTORY = (
    *INVENTORY,
    PersonalField(
        "compliance.OutboxMessage",
        "sealed",
        CONTACT,
        "To deliver the portal's e-mails after the change that sends them commits, even "
        "while the task broker is unreachable.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=Retention(days=0, after="the e-mail is handed to the mail server"),
        source="The portal's own notifications",
        recipients=("the addressees",),
    ),
)
TECHNICAL["compliance.OutboxMessage"] = frozenset(
    {
        "id",
        "task",
        "topic",
        "args",
        "created_at",
        "sent_at",
        "delivered_at",
        "attempts",
        "last_error",
    }
)
