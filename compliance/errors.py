"""Domain errors of the compliance services. Entry points translate them into form errors
or command messages."""


class ComplianceError(Exception):
    """Base of every error a compliance service raises on purpose."""


class IncidentError(ComplianceError):
    """A request about an incident that its rules refuse; `field` names the input at fault."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        super().__init__(message)


class RequestStateError(ComplianceError):
    """The data-subject request is not in a state that allows this step."""


class LegalHoldError(ComplianceError):
    """A legal hold on the person blocks their erasure."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"a legal hold blocks erasure: {reason}")


class ExtensionError(ComplianceError):
    """The deadline cannot be extended (already extended, too late, or too long)."""


class UnknownSubjectError(ComplianceError):
    """No person matches the identifiers given."""


class PackageLinkError(ComplianceError):
    """A package download link that is forged, expired or points at a deleted package."""


class KeyringError(ComplianceError):
    """The keyring of key-encryption keys cannot be read: not a keyring, or sealed under
    another master key."""


class LedgerFileError(ComplianceError):
    """The published erasure ledger cannot be written, or a copy of it fails its chain:
    changed, truncated, or not the file the key store last saw."""


class ControlRefusedError(ComplianceError):
    """The identity domain refused a correction, restriction or choice; the message says why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class VerificationError(ComplianceError):
    """The requester's identity is not verified enough for this, or a code did not match."""


class NoticeError(ComplianceError):
    """A notice cannot be sent (no address to send it to)."""


class AgentError(ComplianceError):
    """An authorised agent's record is incomplete or already there."""
