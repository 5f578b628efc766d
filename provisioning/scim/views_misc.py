"""Endpoints that only answer errors: unknown routes and /Me."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from provisioning.scim.base import ScimView
from provisioning.scim.errors import ScimError


class UnknownView(ScimView):
    """Any other path under /scim/v2/: a SCIM 404, not Django's HTML page."""

    def dispatch_unknown(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise ScimError(404, f"No endpoint at {request.path}.")

    get = post = put = patch = delete = dispatch_unknown


class MeView(ScimView):
    """Tokens belong to clients, not to people, so there is no 'me' to show."""

    def not_implemented(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise ScimError(501, "/Me is not supported: tokens belong to clients, not people.")

    get = post = put = patch = delete = not_implemented
