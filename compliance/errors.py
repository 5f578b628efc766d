"""Domain errors of the compliance services. Entry points translate them into form errors
or command messages."""


class ComplianceError(Exception):
    """Base of every error a compliance service raises on purpose."""


class IncidentError(ComplianceError):
    """A request about an incident that its rules refuse; `field` names the input at fault."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        super().__init__(message)
