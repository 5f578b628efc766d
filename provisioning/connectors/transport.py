"""Only encrypted transfers to downstream applications: a connector's addresses must be
https://, except loopback ones (a local test server) or while DEBUG is on."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

from provisioning.connectors.errors import InsecureTransportError
from provisioning.connectors.models import Connector

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_check(field: str, url: str) -> None:
    """Raise InsecureTransportError for a plain-HTTP address this deployment must refuse."""
    if not url or settings.DEBUG:
        return
    parts = urlsplit(url)
    if parts.scheme.lower() == "https" or is_loopback(parts.hostname or ""):
        return
    raise InsecureTransportError(field, url)


def connector_transport_check(connector: Connector) -> None:
    """Both addresses a connector sends secrets and personal data to."""
    url_check("base_url", connector.base_url)
    url_check("token_url", connector.token_url)
