"""Compliance's own entries in the personal-data inventory (compliance.inventory): the
fields of the audit trail, data-subject requests, incidents and the outbox, registered in
ComplianceConfig.ready()."""

from compliance.audit.models import AuditEvent
from compliance.inventory import (
    EXPORT_RETENTION,
    SECURITY_RETENTION,
    Category,
    Declarations,
    LawfulBasis,
    PersonalField,
    Retention,
    Technical,
)

AUDIT_EVENT = AuditEvent._meta.label
DSAR_RECORD = Retention(days=730, after="the request closes (CCPA §7101)")
DSAR_PURPOSE = "To answer data-subject requests and prove how they were answered."

AUDIT_EVENT_PERSONAL = (
    PersonalField(
        AUDIT_EVENT,
        "ciphertext",
        Category.TECHNICAL,
        "To prove what was done to whose data, when and by whom (GDPR Art. 5(2), 30).",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        retention=SECURITY_RETENTION,
        source="The portal's own services",
        recipients=("auditors",),
    ),
    PersonalField(
        AUDIT_EVENT,
        "client_address",
        Category.TECHNICAL,
        "To investigate security incidents.",
        lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
        retention=SECURITY_RETENTION,
        source="The network connection",
        recipients=("auditors",),
    ),
)

DECLARATIONS = Declarations(
    app="compliance",
    personal=(
        *AUDIT_EVENT_PERSONAL,
        PersonalField(
            "compliance.DataSubjectRequest",
            "subject_identifiers",
            Category.IDENTITY,
            DSAR_PURPOSE,
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            retention=DSAR_RECORD,
            source="The person making the request",
            recipients=("privacy officers",),
        ),
        PersonalField(
            "compliance.DataSubjectRequest",
            "contact_email",
            Category.CONTACT,
            "To send the requester the notices the law requires (GDPR Art. 12(3)-(4); "
            "CCPA regulations §7021).",
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            retention=DSAR_RECORD,
            source="The person making the request",
            recipients=("privacy officers",),
        ),
        PersonalField(
            "compliance.Notice",
            "recipients",
            Category.CONTACT,
            "To prove which notices were given to whom (GDPR Art. 5(2)).",
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            retention=DSAR_RECORD,
            source="The person making the request, or their agent",
            recipients=("privacy officers",),
        ),
        *(
            PersonalField(
                "compliance.AuthorisedAgent",
                name,
                Category.IDENTITY,
                "To act on a request made by an authorised agent and prove their permission "
                "(CCPA regulations §7063).",
                lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
                retention=DSAR_RECORD,
                source="The authorised agent",
                recipients=("privacy officers",),
            )
            for name in ("name", "email", "proof_file", "proof_name")
        ),
        PersonalField(
            "compliance.LegalHold",
            "reason",
            Category.EMPLOYMENT,
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
        *(
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
            for name in (
                "awareness_reason",
                "closing_note",
                "triage_reason",
                # GDPR Art. 33(3) and 34: free text that may describe the people affected.
                "nature",
                "subject_categories",
                "record_categories",
                "consequences",
                "measures",
                "subjects_informed_how",
                "subjects_not_informed_reason",
            )
        ),
        PersonalField(
            "compliance.Incident",
            "dpo_contact",
            Category.CONTACT,
            "To tell the supervisory authority whom to ask about a breach (GDPR Art. 33(3)(b)).",
            lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
            retention=Retention(days=365 * 5, after="the incident is closed"),
            source="The records of processing (ROPA_DPO_CONTACT)",
            recipients=("auditors", "the supervisory authority"),
        ),
        # Arguments are ids only; a payload holding personal data (an e-mail: its
        # addressees, the names in it, an approval link) is sealed, and wiped when the
        # message is delivered.
        PersonalField(
            "compliance.OutboxMessage",
            "sealed",
            Category.CONTACT,
            "To deliver the portal's e-mails after the change that sends them commits, even "
            "while the task broker is unreachable.",
            lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS,
            retention=Retention(days=0, after="the e-mail is handed to the mail server"),
            source="The portal's own notifications",
            recipients=("the addressees",),
        ),
    ),
    technical=(
        # Every other field of an event, read from the model as the chain's and the
        # exports' lists are: personal details live only in the fields declared above.
        Technical(
            AUDIT_EVENT,
            tuple(
                field.name
                for field in AuditEvent._meta.concrete_fields
                if field.name not in {entry.field for entry in AUDIT_EVENT_PERSONAL}
            ),
        ),
        # Data-subject requests: references, workflow and keyed hashes only.
        Technical(
            "compliance.DataSubjectRequest",
            (
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
                "objection_decision",
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
                "channel",
                "certainty",
                "data_points",
                "declaration_signed",
            ),
        ),
        Technical("compliance.Notice", ("id", "request", "kind", "sent_at", "sent_by")),
        Technical(
            "compliance.AuthorisedAgent",
            ("id", "request", "proof_sha256", "consumer_confirmed_at", "recorded_at"),
        ),
        Technical(
            "compliance.LegalHold",
            ("id", "person", "placed_by", "placed_at", "lifted_by", "lifted_at"),
        ),
        Technical(
            "compliance.ExportPackage",
            (
                "id",
                "request",
                "person",
                "wrapped_key",
                "sealed_for_subject",
                "sha256",
                "size",
                "created_at",
                "expires_at",
            ),
        ),
        Technical(
            "compliance.Incident",
            (
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
                "stage",
                "occurrences",
                "last_detected_at",
                "triaged_at",
                "triaged_by",
                "merged_into",
                "subjects_approx",
                "records_approx",
                "subjects_informed",
                "subjects_informed_at",
            ),
        ),
        Technical(
            "compliance.OutboxMessage",
            (
                "id",
                "task",
                "topic",
                "args",
                "created_at",
                "sent_at",
                "delivered_at",
                "attempts",
                "last_error",
                "claim",
                "claimed_until",
            ),
        ),
    ),
    no_personal_data=(
        "compliance.ChainHead",
        "compliance.SubjectKey",
        # Erasure bookkeeping: pseudonymous ids, counts, times and keyed hashes.
        "compliance.Erasure",
        "compliance.ErasureStep",
        "compliance.ErasureLedgerEntry",
        "compliance.PublishedLedgerHead",
        # A one-time code's hash, its expiry and attempts.
        "compliance.VerificationChallenge",
        # The requester's download link: a nonce's hash, its expiry and download count.
        "compliance.RequesterDownloadLink",
        # The permissions of the inventory's and the records of processing's pages, and
        # the alerting rules' bookmark.
        "compliance.Inventory",
        "compliance.RecordOfProcessing",
        "compliance.AlertWatermark",
    ),
)
