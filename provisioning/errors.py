"""Domain errors of the identity domain. Entry points translate them: into SCIM error
bodies, admin form errors or command messages."""


class ProvisioningError(Exception):
    """Base of every error a provisioning service raises on purpose."""


class UniquenessError(ProvisioningError):
    def __init__(self, attribute: str, value: str) -> None:
        self.attribute = attribute
        super().__init__(f"{attribute} {value!r} is already taken")


class InvalidValueError(ProvisioningError):
    def __init__(self, attribute: str, problem: str) -> None:
        self.attribute = attribute
        super().__init__(f"{attribute}: {problem}")


class HireRowError(ProvisioningError):
    """A hire of a batch was refused; `row` is the line of the file it came from."""

    def __init__(self, row: int, error: ProvisioningError) -> None:
        self.row = row
        self.error = error
        super().__init__(f"row {row}: {error}")


class BatchEntryError(ProvisioningError):
    """An entry of a batch written all or nothing was refused; `index` is its position."""

    def __init__(self, index: int, error: ProvisioningError) -> None:
        self.index = index
        self.error = error
        super().__init__(f"entry {index}: {error}")


class VersionConflictError(ProvisioningError):
    """The caller changed an older version than the one stored (an ETag mismatch)."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected version {expected}, but it is now {actual}")


class ErasedIdentityError(ProvisioningError):
    """The identifiers are those of a person erased at their request (the erasure ledger):
    nobody is created or brought back under them until a privacy officer lifts the block.
    The message names no identifier: echoing them would tell the caller who was erased."""

    attribute = None

    def __init__(self) -> None:
        super().__init__(
            "this identity was erased at the data subject's request and cannot be "
            "provisioned again; a privacy officer has been told and can lift the block "
            "for a genuine rehire"
        )


class RestrictedPersonError(ProvisioningError):
    """The person asked for the processing of their data to be restricted (GDPR Art. 18):
    until a privacy officer lifts it, only the privacy officer changes them."""

    attribute = None

    def __init__(self) -> None:
        super().__init__(
            "the processing of this person's data is restricted at their request (GDPR "
            "Art. 18); only a privacy officer can change them until the restriction is lifted"
        )


# --- Access governance ---
class GovernanceError(ProvisioningError):
    """A rule of access governance refused the change."""


class InactivePersonError(GovernanceError):
    def __init__(self) -> None:
        super().__init__("the person is inactive; an inactive person holds no access")


class AlreadyGrantedError(GovernanceError):
    def __init__(self, held: object, *, open_ended: bool = False) -> None:
        until = " with no end date" if open_ended else ""
        super().__init__(f"the person already holds {held}{until}")


class TemplateMismatchError(GovernanceError):
    def __init__(self, template: object, attribute: str) -> None:
        self.attribute = attribute
        super().__init__(f"the person's {attribute.replace('_', ' ')} does not match {template}")


class RequestRefusedError(GovernanceError):
    """The request breaks a rule: not requestable, too long, a duplicate, or a conflict."""


class SodConflictError(RequestRefusedError):
    def __init__(self, role: object, held: object) -> None:
        super().__init__(f"{role} conflicts with {held}, which the person holds")


class NoIndependentApproverError(RequestRefusedError):
    def __init__(self, stage: str) -> None:
        super().__init__(f"no approver for {stage} other than the requester or the person")


class SelfApprovalError(GovernanceError):
    def __init__(self) -> None:
        super().__init__("nobody approves their own request or a request for themselves")


class ApprovalClosedError(GovernanceError):
    def __init__(self) -> None:
        super().__init__("this approval is no longer waiting for a decision")


class NotYourApprovalError(GovernanceError):
    def __init__(self) -> None:
        super().__init__("this approval is addressed to someone else")


class ApprovalLinkError(GovernanceError):
    """An approval link that cannot be used. Each subclass has a page of its own."""

    title = "This link cannot be used"


class LinkInvalidError(ApprovalLinkError):
    title = "This link is not valid"

    def __init__(self) -> None:
        super().__init__("the link is not one the portal sent, or it was altered")


class LinkExpiredError(ApprovalLinkError):
    title = "This link has expired"

    def __init__(self) -> None:
        super().__init__("the link has expired; a reminder or escalation sends a fresh one")


class LinkUsedError(ApprovalLinkError):
    title = "This link has already been used"

    def __init__(self) -> None:
        super().__init__("the approval was already decided, or a newer link replaced this one")


# --- Access reviews ---
class ReviewError(GovernanceError):
    """An access review refused a decision or a start."""


class ReviewDecisionError(ReviewError):
    """A decision that breaks a rule: already decided, no comment for high-risk access,
    a date that does not shorten. `field` names the form field it is about, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ReviewLinkUsedError(LinkUsedError):
    def __init__(self) -> None:
        ApprovalLinkError.__init__(
            self, "the review has closed, or a newer link (a reminder) replaced this one"
        )
