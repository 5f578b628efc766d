"""/Bulk (RFC 7644 §3.7): each operation runs as its own request through the same views,
after its bulkId references have been replaced by the ids created earlier in the request."""

import io
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from rest_framework.request import Request
from rest_framework.response import Response

from provisioning.scim.errors import ScimError

BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
BULK_REFERENCE = re.compile(r"bulkId:(?P<id>[^\s\"/]+)")
METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def resolve_references(value: Any, created: dict[str, str]) -> Any:
    """Replace every `bulkId:<id>` by the id its operation created."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match["id"] not in created:
                raise ScimError(
                    409, f"bulkId {match['id']} refers to no earlier operation.", "invalidValue"
                )
            return created[match["id"]]

        return BULK_REFERENCE.sub(replace, value)
    if isinstance(value, list):
        return [resolve_references(item, created) for item in value]
    if isinstance(value, dict):
        return {key: resolve_references(item, created) for key, item in value.items()}
    return value


def subrequest(
    bulk: Request, method: str, path: str, data: Any, version: str | None
) -> HttpResponse:
    """Run one operation through its view, as the client the /Bulk request authenticated
    (DRF's forced authentication: the token is not looked up again per operation)."""
    original = bulk._request
    body = b"" if data is None else json.dumps(data).encode()
    request = HttpRequest()
    request._force_auth_user, request._force_auth_token = bulk.user, bulk.auth  # type: ignore[attr-defined]
    request.method = method
    request.path = request.path_info = f"/scim/v2{path}"
    request.META = {
        **original.META,
        "REQUEST_METHOD": method,
        "PATH_INFO": request.path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/scim+json",
        "CONTENT_LENGTH": str(len(body)),
    }
    request.META.pop("HTTP_IF_MATCH", None)
    if version:
        request.META["HTTP_IF_MATCH"] = version
    request._stream = io.BytesIO(body)
    request._read_started = False  # type: ignore[attr-defined]
    try:
        match = resolve(request.path_info)
    except Resolver404 as error:
        raise ScimError(404, f"No endpoint at {path}.") from error
    if match.url_name not in {"users", "user", "groups", "group"}:
        raise ScimError(400, f"{path} cannot be changed through /Bulk.", "invalidPath")
    response: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return response


def _body(response: HttpResponse) -> Any:
    """The operation's answer as data: a DRF response's own, without rendering it to JSON
    and parsing it back."""
    if isinstance(response, Response):
        return response.data
    return json.loads(response.content) if response.content else None


def run_operation(bulk: Request, operation: Any, created: dict[str, str]) -> dict[str, Any]:
    if not isinstance(operation, dict):
        raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
    method = str(operation.get("method") or "").upper()
    path = operation.get("path")
    bulk_id = operation.get("bulkId")
    version = operation.get("version")
    if method not in METHODS or not isinstance(path, str) or not path.startswith("/"):
        raise ScimError(400, "Each operation needs a method and a path.", "invalidSyntax")
    if method == "POST" and not bulk_id:
        raise ScimError(400, "A POST operation needs a bulkId.", "invalidValue")
    # RFC 7644 §3.7 makes both strings: a bulkId is echoed and referred to as text, and a
    # version is an ETag for If-Match.
    for name, value in (("bulkId", bulk_id), ("version", version)):
        if value is not None and not isinstance(value, str):
            raise ScimError(400, f"An operation's {name} must be a string.", "invalidValue")
    path = resolve_references(path, created)
    data = resolve_references(operation.get("data"), created)
    response = subrequest(bulk, method, path, data, version)
    result: dict[str, Any] = {"method": method, "status": str(response.status_code)}
    if bulk_id:
        result["bulkId"] = bulk_id
    body = _body(response)
    if response.status_code >= 400:
        result["response"] = body
        return result
    if isinstance(body, dict) and "meta" in body:
        result["location"] = body["meta"].get("location")
        result["version"] = body["meta"].get("version")
        if method == "POST" and bulk_id:
            created[str(bulk_id)] = str(body["id"])
    elif method != "POST":
        result["location"] = f"{bulk.build_absolute_uri('/scim/v2')}{path}"
    return result


def error_result(operation: Any, error: ScimError) -> dict[str, Any]:
    result: dict[str, Any] = {
        "method": str(operation.get("method", "")) if isinstance(operation, dict) else "",
        "status": str(error.status_code),
        "response": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": str(error.status_code),
            "detail": str(error.detail),
            **({"scimType": error.scim_type} if error.scim_type else {}),
        },
    }
    if isinstance(operation, dict) and isinstance(operation.get("bulkId"), str):
        result["bulkId"] = operation["bulkId"]
    return result
