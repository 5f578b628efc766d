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


class VersionConflictError(ProvisioningError):
    """The caller changed an older version than the one stored (an ETag mismatch)."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected version {expected}, but it is now {actual}")
