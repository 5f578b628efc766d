"""The portal's own domain errors: about staff accounts."""


class PortalError(Exception):
    """A refused change to the portal's staff accounts."""


class StaffStillNeededError(PortalError):
    """A member of staff cannot be deactivated while requests need their answer. `code`
    names which duty holds them."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
