"""The client's address behind a known number of reverse proxies.

Behind a proxy, REMOTE_ADDR is the proxy's address, shared by every client: throttling
or auditing by it would treat all identity providers as one. Each proxy appends the
address it received the request from to X-Forwarded-For, so with TRUSTED_PROXY_COUNT
proxies in front of the portal the client is the entry that many places from the end.
Entries before it were written by the client itself and prove nothing, so they are never
read; with no trusted proxy (the default) the header is ignored altogether.

Set once here, for every reader of REMOTE_ADDR: SCIM authentication and its throttle,
the audit trail's client address, and the sign-in lockout."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.http import HttpRequest, HttpResponse


def client_address(request: HttpRequest, trusted_proxies: int) -> str | None:
    """The address the outermost trusted proxy received the request from; None when
    there is no trusted proxy or the header is missing, short or not an address there."""
    if trusted_proxies <= 0:
        return None
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return None  # did not come through every proxy: the header is not theirs
    candidate = hops[-trusted_proxies]
    try:
        validate_ipv46_address(candidate)
    except ValidationError:
        return None
    return candidate


class TrustedProxyMiddleware:
    """Replace REMOTE_ADDR with the client's address as the trusted proxies saw it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = client_address(request, settings.TRUSTED_PROXY_COUNT)
        if address is not None:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
