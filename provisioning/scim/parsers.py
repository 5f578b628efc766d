"""Request bodies: application/scim+json, and application/json which real clients send.

JSON allows more than the portal can carry: a lone surrogate (`"\\ud800"`) is no Unicode
text and cannot be encoded again, PostgreSQL refuses a NUL character, and a value nested
hundreds of levels deep exhausts Python's stack in whatever walks it next. All three are
refused here, once, so that no view, service or /Bulk operation meets them."""

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, parsers

from provisioning.scim.errors import ScimError

# Deeper than any SCIM message: a /Bulk operation's data holding an extension's complex
# attribute is six levels.
MAX_DEPTH = 32

# A NUL or a surrogate can only reach a parsed string through a \u escape (raw ones are
# refused by the UTF-8 decoder or by JSON itself), so a body without one needs no walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")
_UNCARRIABLE = re.compile("[\x00\ud800-\udfff]")


def max_payload_size() -> int:
    return int(settings.SCIM_MAX_PAYLOAD_SIZE)


def _where(path: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)[1:]


def check_carriable(data: Any, *, check_text: bool = True) -> None:
    """Raise a SCIM 400 naming the first place where `data` nests deeper than MAX_DEPTH or,
    with check_text, holds a string (key or value) with a NUL or a lone surrogate."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if check_text and _UNCARRIABLE.search(value):
                raise ScimError(
                    400,
                    f"{_where(path) or 'The body'} holds a NUL character or a lone surrogate,"
                    " which no attribute can carry.",
                    "invalidValue",
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if len(path) >= MAX_DEPTH:
            raise ScimError(400, f"The body nests deeper than {MAX_DEPTH} levels.", "invalidSyntax")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        # Without check_text only the nesting is looked at: the strings and numbers of a
        # 1,000-operation /Bulk are not walked.
        for key, item in items:
            if check_text or isinstance(item, dict | list):
                stack.append((item, (*path, key)))
            if check_text and isinstance(key, str):
                stack.append((key, (*path, key)))


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
        check_text = _SUSPECT_ESCAPE.search(raw) is not None
        # Nesting needs at least as many brackets as levels: most bodies have fewer.
        if check_text or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
            check_carriable(data, check_text=check_text)
        return data


class ScimPlainJSONParser(ScimJSONParser):
    media_type = "application/json"
