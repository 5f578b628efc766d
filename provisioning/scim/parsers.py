"""Request bodies: application/scim+json, and application/json which real clients send."""

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers

from provisioning.scim.errors import ScimError


def max_payload_size() -> int:
    return int(getattr(settings, "SCIM_MAX_PAYLOAD_SIZE", 1_048_576))


class ScimJSONParser(parsers.BaseParser):
    media_type = "application/scim+json"

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            raise exceptions.ParseError("The request has no body.")
        limit = max_payload_size()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise ScimError(413, f"The request body exceeds {limit} bytes.")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        return data


class ScimPlainJSONParser(ScimJSONParser):
    media_type = "application/json"
