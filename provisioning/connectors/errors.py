"""Errors of outbound provisioning. Entry points turn them into form errors or messages."""

from provisioning.errors import ProvisioningError


class ConnectorError(ProvisioningError):
    """Base of the errors outbound provisioning raises on purpose."""


class ConnectorConfigurationError(ConnectorError):
    """The connector cannot be used as configured (secret, attributes, URL)."""


class InsecureTransportError(ConnectorConfigurationError):
    """A plain-HTTP address outside loopback while DEBUG is off: personal data would cross
    the network unencrypted."""

    def __init__(self, field: str, url: str) -> None:
        self.field = field
        self.url = url
        super().__init__(
            f"{url} is plain HTTP: personal data is only sent encrypted, so use https:// "
            "(http:// is accepted only for loopback addresses, or while DEBUG is on)"
        )


class AttributeNotAllowedError(ConnectorConfigurationError):
    def __init__(self, attributes: list[str], application: str) -> None:
        self.attributes = attributes
        super().__init__(
            f"{', '.join(attributes)} may not be sent to {application}: the personal-data "
            "inventory does not list it as a recipient"
        )


class DownstreamError(ConnectorError):
    """The downstream application answered badly or not at all. `status` is its HTTP
    status, if it answered; `advice` says it in words for the IT admin."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    def advice(self, application: str) -> str:
        status = self.status
        if status == 401:
            return (
                f"{application} refused the token (401). Check the token in {application}'s "
                "SCIM settings and enter it again on the connector."
            )
        if status == 403:
            return (
                f"{application} accepted the token but does not let it provision (403). "
                f"Give it provisioning rights in {application}."
            )
        if status == 404:
            return (
                f"Nothing answers at this address (404). Check the SCIM base URL: it usually "
                f"ends in /scim/v2 and is shown in {application}'s SCIM settings."
            )
        if status == 429:
            return f"{application} asks the portal to slow down (429); pushes are retried."
        if status is not None and status >= 500:
            return (
                f"{application} had a problem of its own (HTTP {status}); pushes are retried. "
                f"If it lasts, ask {application}'s administrators."
            )
        if status is not None:
            return f"{application} refused the request (HTTP {status})."
        return (
            f"{application} could not be reached. Check the SCIM base URL and that the "
            "portal can reach it over the network."
        )


class DownstreamUnavailable(DownstreamError):
    """The downstream could not be reached or answered with a server error: worth retrying."""


class DownstreamRefused(DownstreamError):
    """The downstream refused the request (4xx): retrying the same request will not help."""
