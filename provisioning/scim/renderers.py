"""Responses are application/scim+json, whatever the client's Accept header says: SCIM has
no other representation, and some clients send `Accept: application/json` or nothing."""

from collections.abc import Mapping
from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class ScimJSONRenderer(JSONRenderer):
    media_type = "application/scim+json"
    format = "scim"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        try:
            rendered: bytes = super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate cannot be encoded as UTF-8. The parser refuses them in
            # bodies, so one here came from elsewhere; escaped, it is still valid JSON,
            # where an error at this point would be Django's HTML page.
            rendered = _ESCAPED.render(data, accepted_media_type, renderer_context)
        return rendered


class _EscapedJSONRenderer(JSONRenderer):
    ensure_ascii = True


_ESCAPED = _EscapedJSONRenderer()


class ScimContentNegotiation(BaseContentNegotiation):
    def select_parser(self, request: Request, parsers: Any) -> Any:
        content_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type
