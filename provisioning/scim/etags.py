"""Weak ETags from the version counters of Person and Group (RFC 7644 §3.14)."""

from rest_framework.request import Request

from provisioning.scim.errors import ScimError


def etag(version: int) -> str:
    return f'W/"{version}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def check_if_match(request: Request, version: int) -> int | None:
    """The version the client expects, from If-Match; 412 when it is not the current one."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    tags = _tags(header)
    if "*" in tags:
        return version
    if f'"{version}"' not in tags:
        raise ScimError(412, "The resource changed since you read it (If-Match failed).")
    return version


def not_modified(request: Request, version: int) -> bool:
    header = request.headers.get("If-None-Match") or ""
    return bool(header) and (f'"{version}"' in _tags(header) or "*" in _tags(header))
