"""Errors of outbound provisioning. Entry points turn them into form errors or messages."""

from provisioning.errors import ProvisioningError


class ConnectorError(ProvisioningError):
    """Base of the errors outbound provisioning raises on purpose."""


class ConnectorConfigurationError(ConnectorError):
    """The connector cannot be used as configured (secret, attributes, URL)."""


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
