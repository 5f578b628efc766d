"""The identity domain's entries in the personal-data inventory (compliance.inventory):
every field of its models, declared once, registered in ProvisioningConfig.ready()."""

from compliance.inventory import (
    ENTERPRISE,
    SECURITY_RETENTION,
    Category,
    Declarations,
    LawfulBasis,
    PersonalField,
    Retention,
    StatutoryCategory,
    Technical,
)

P = "provisioning.Person"
IDENTITY = Category.IDENTITY
EMPLOYMENT = Category.EMPLOYMENT
CONTACT = Category.CONTACT
ACCOUNT = "To create and manage the person's accounts in the applications they need."
ADDRESSING = "To address the person correctly in applications and messages."
ORG = "To grant the access the person's job needs (role templates) and route approvals."

# Access governance: roles, templates, grants, requests, approvals.
GOVERNANCE = "To give each person only the access their job needs, and prove who approved it."
GOVERNANCE_RETENTION = Retention(days=365 * 2, after="the grant or request ends")


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


PERSONAL: tuple[PersonalField, ...] = (
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
        "provisioning.PersonPhone",
        "value",
        CONTACT,
        ADDRESSING,
        scim_attribute="phoneNumbers",
        statutory=StatutoryCategory.CUSTOMER_RECORDS,
    ),
    # What the person asked of the portal's processing (GDPR Art. 18, CCPA §1798.120-121):
    # kept so it is honoured, and never sent downstream.
    *(
        PersonalField(
            P,
            name,
            Category.PRIVACY,
            "To honour the person's restriction of processing, opt-out of sale or sharing, "
            "and limit on the use of sensitive personal information.",
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            source="The person's data-subject request, recorded by a privacy officer",
            recipients=(),
        )
        for name in ("restricted_at", "sale_opt_out_at", "limit_sensitive_at")
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
        "provisioning.ScimClient",
        "last_used_address",
        Category.TECHNICAL,
        "To spot a SCIM token used from an unexpected network.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=SECURITY_RETENTION,
        source="The network connection",
        recipients=("IT",),
    ),
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
    # Access reviews: campaigns, their runs and the items frozen at each start.
    *_governance("Campaign", "person", "named_reviewer", "fallback_reviewer", category=IDENTITY),
    *_governance("Campaign", "department", category=EMPLOYMENT),
    *_governance("CampaignRun", "started_by", category=IDENTITY),
    *_governance("ReviewAssignment", "reviewer_email", category=CONTACT),
    *_governance("ReviewItem", "reviewer_email", category=CONTACT),
    *_governance(
        "ReviewItem",
        "role",
        "entitlement",
        "group",
        "application",
        "source",
        "granted_by",
        "granted_at",
        "grant_reason",
        "expires_at",
        "risk_level",
        "last_used_at",
        "decision",
        "shorten_to",
        "comment",
        "decided_at",
        "decided_by",
        "by_rule",
        "remediated_at",
    ),
    # Outbound provisioning (provisioning/connectors/).
    PersonalField(
        "provisioning.DownstreamAccount",
        "pushed_digests",
        IDENTITY,
        "To send a downstream application only the attributes that changed.",
        source="Computed by the portal (keyed digests, no values)",
        recipients=(),
    ),
    PersonalField(
        "provisioning.DownstreamAccount",
        "last_used",
        Category.ACCESS,
        "To show access reviewers whether an account is still used, so that unused "
        "access is removed.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=GOVERNANCE_RETENTION,
        source="The downstream application, read by reconciliation",
        recipients=("auditors",),
    ),
    *_governance("DownstreamAccount", "revoked_at"),
    PersonalField(
        "provisioning.Application",
        "owner",
        IDENTITY,
        "To send an application's accounts and entitlements to the member of staff who "
        "answers for them in access reviews.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=Retention(days=0, after="the owner's staff account is deactivated"),
        source="IT in the portal",
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

TECHNICAL: tuple[Technical, ...] = (
    Technical(P, ("id", "version", "created", "modified")),
    Technical("provisioning.PersonEmail", ("id", "person", "type", "primary")),
    Technical("provisioning.PersonPhone", ("id", "person", "type", "primary")),
    Technical("provisioning.Membership", ("id", "group", "person", "created")),
    Technical("provisioning.SentEmail", ("id", "template", "sent_at", "outbox_message")),
    Technical(
        "provisioning.ScimClient",
        (
            "id",
            "name",
            "profile",
            "mode",
            "deprovisioning",
            "enabled",
            "expires_at",
            "last_used_at",
            "created",
        ),
    ),
    Technical(
        "provisioning.Role",
        (
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
        ),
    ),
    Technical(
        "provisioning.SodRule", ("id", "role_a", "role_b", "effect", "description", "created")
    ),
    Technical(
        "provisioning.AccessGrant",
        ("id", "person", "template", "request", "expiry_reminded_at", "created"),
    ),
    Technical("provisioning.AccessRequest", ("id", "person", "created")),
    Technical(
        "provisioning.Approval",
        (
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
        ),
    ),
    Technical("provisioning.ScheduledOffboarding", ("id", "person", "created")),
    Technical(
        "provisioning.Campaign",
        (
            "id",
            "name",
            "description",
            "applications",
            "roles",
            "risk_levels",
            "manual_only",
            "groups",
            "accounts",
            "reviewer_kind",
            "duration",
            "reminder_interval",
            "on_undecided",
            "recurrence",
            "active",
            "created",
            "modified",
        ),
    ),
    Technical(
        "provisioning.CampaignRun",
        ("id", "campaign", "started_at", "deadline", "status", "closed_at", "item_count"),
    ),
    Technical(
        "provisioning.ReviewAssignment",
        ("id", "run", "token_hash", "notified_at", "reminded_at"),
    ),
    Technical(
        "provisioning.ReviewItem",
        (
            "id",
            "run",
            "assignment",
            "routing",
            "kind",
            "person",
            "grant",
            "account",
            "remediation_event",
        ),
    ),
    Technical("provisioning.ScheduledOnboarding", ("id", "person", "template", "created")),
    Technical(
        "provisioning.Connector",
        (
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
            "sold_or_shared",
            "sensitive_needed",
            "privacy_contact",  # the operator's role address, not a data subject's
            "enabled",
            "processor",
            "processor_country",
            "transfer_safeguard",
            "created",
            "modified",
        ),
    ),
    Technical(
        "provisioning.DownstreamAccount",
        (
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
        ),
    ),
    Technical(
        "provisioning.DownstreamOrphan",
        ("id", "connector", "downstream_id", "first_seen", "last_seen"),
    ),
    Technical(
        "provisioning.Application", ("id", "name", "description", "url", "created", "modified")
    ),
)

DECLARATIONS = Declarations(
    app="provisioning",
    personal=PERSONAL,
    technical=TECHNICAL,
    no_personal_data=(
        "provisioning.Group",
        "provisioning.Entitlement",
        "provisioning.ScimToken",
        # A template's conditions describe jobs, not people.
        "provisioning.RoleTemplate",
        "provisioning.GroupMapping",
    ),
)
