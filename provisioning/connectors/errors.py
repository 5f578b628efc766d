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


class DownstreamUnavailable(ConnectorError):
    """The downstream could not be reached or answered with a server error: worth retrying."""


class DownstreamRefused(ConnectorError):
    """The downstream refused the request (4xx): retrying the same request will not help."""
