"""Responses are application/scim+json, whatever the client's Accept header says: SCIM has
no other representation, and some clients send `Accept: application/json` or nothing."""

from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class ScimJSONRenderer(JSONRenderer):
    media_type = "application/scim+json"
    format = "scim"
    charset = "utf-8"


class ScimContentNegotiation(BaseContentNegotiation):
    def select_parser(self, request: Request, parsers: Any) -> Any:
        content_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type
