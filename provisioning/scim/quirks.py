"""Payload shapes real clients send that scim2-models reads more strictly than they are
meant. Each rewrite is small and named for the client that needs it."""

from typing import Any

from compliance.inventory import ENTERPRISE

MANAGER = f"{ENTERPRISE}:manager".casefold()

# Schema URIs that clients list in `schemas` although no attribute of the payload belongs
# to them. They are dropped from `schemas` before the payload is read, so that they are
# not mistaken for extensions the agreement does not cover. A payload that does carry
# attributes under one of them keeps it, and is refused like any unknown extension.
# Each entry names where the client documents sending it.
MARKER_SCHEMAS: dict[str, str] = {
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group": (
        "Microsoft Entra ID, on every group it creates: Microsoft Learn, 'Tutorial: Develop "
        "and plan provisioning for a SCIM endpoint in Microsoft Entra ID', request "
        "'Create Group' (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/"
        "use-scim-to-provision-users-and-groups)"
    ),
}
_MARKERS = frozenset(uri.casefold() for uri in MARKER_SCHEMAS)


def _without_markers(payload: dict[str, Any]) -> dict[str, Any]:
    schemas = payload.get("schemas")
    if not isinstance(schemas, list):
        return payload
    carried = {key.casefold() for key in payload if isinstance(key, str)}
    kept = [
        uri
        for uri in schemas
        if not (isinstance(uri, str) and uri.casefold() in _MARKERS - carried)
    ]
    return {**payload, "schemas": kept} if len(kept) != len(schemas) else payload


_MULTI_VALUED = frozenset({"emails", "phonenumbers", "members"})
# An attribute's value lies at most this deep: extension -> complex -> sub-attribute.
_VALUE_DEPTH = 4


def _blank_as_null(value: Any, depth: int = _VALUE_DEPTH) -> Any:
    """RFC 7643 §2.5: an unassigned attribute is null. Microsoft's gallery validation
    clears optional attributes by setting them to "" (then to null): "" is read as null
    wherever it stands for an attribute's value, so that both clear it, and a required
    attribute set to "" is refused as unassigned, like null. Nothing deeper than an
    attribute can go is walked (a hostile body may nest far deeper)."""
    if value == "":
        return None
    if depth == 0:
        return value
    if isinstance(value, dict):
        return {key: _blank_as_null(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [
            _blank_as_null(item, depth - 1) if isinstance(item, dict) else item for item in value
        ]
    return value


def _manager(value: Any, base: str) -> Any:
    """Entra ID sends the manager as a bare id, or as {"value": id} without $ref, or (in
    Microsoft's tutorial, Example 5) as a one-item list of {"$ref", "value"}."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict) and value.get("value") and not value.get("$ref"):
        value = {**value, "$ref": f"{base}/Users/{value['value']}"}
    return value


def user_payload(payload: dict[str, Any], base: str) -> dict[str, Any]:
    payload = _blank_as_null(_without_markers(payload))
    for key, extension in payload.items():
        is_enterprise = key.casefold() == ENTERPRISE.casefold()
        if is_enterprise and isinstance(extension, dict) and "manager" in extension:
            extension["manager"] = _manager(extension["manager"], base)
    return payload


def group_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return _blank_as_null(_without_markers(payload))  # type: ignore[no-any-return]


def patch_payload(payload: dict[str, Any], base: str | None = None) -> dict[str, Any]:
    """A PATCH's operations with their values read as user_payload reads a User (given
    `base`), or with only "" read as null (a Group)."""
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        return payload
    for operation in operations:
        if not isinstance(operation, dict):
            continue
        path = operation.get("path")
        if base is not None and isinstance(path, str) and path.casefold() == "manager":
            # Microsoft's tutorial (Example 5) names the manager without the enterprise
            # extension's URN; no other schema of a User has a manager.
            path = operation["path"] = f"{ENTERPRISE}:manager"
        if "value" not in operation:
            continue
        # Adding "" to a single-valued attribute sets it to nothing: a replace with null.
        # Adding "" to a list adds nothing, and stays refused for its missing value.
        adds_blank = operation["value"] == "" and str(operation.get("op")).casefold() == "add"
        if adds_blank and str(path).casefold() not in _MULTI_VALUED:
            operation["op"] = "replace"
        value = operation["value"] = _blank_as_null(operation["value"])
        if base is None:
            continue
        if isinstance(path, str) and path.casefold() == MANAGER:
            operation["value"] = _manager(value, base)
        elif path is None and isinstance(value, dict):
            for key in list(value):
                if key.casefold() == MANAGER:
                    value[key] = _manager(value[key], base)
            operation["value"] = user_payload(value, base)
    return payload
