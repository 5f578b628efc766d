"""Payload shapes real clients send that scim2-models reads more strictly than they are
meant. Each rewrite is small and named for the client that needs it."""

from typing import Any

from compliance.inventory import ENTERPRISE

MANAGER = f"{ENTERPRISE}:manager".casefold()


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
    for key, extension in payload.items():
        is_enterprise = key.casefold() == ENTERPRISE.casefold()
        if is_enterprise and isinstance(extension, dict) and "manager" in extension:
            extension["manager"] = _manager(extension["manager"], base)
    return payload


def patch_payload(payload: dict[str, Any], base: str) -> dict[str, Any]:
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        return payload
    for operation in operations:
        if not isinstance(operation, dict):
            continue
        path = operation.get("path")
        value = operation.get("value")
        if isinstance(path, str) and path.casefold() == "manager":
            # Microsoft's tutorial (Example 5) names the manager without the enterprise
            # extension's URN; no other schema of a User has a manager.
            path = operation["path"] = f"{ENTERPRISE}:manager"
        if isinstance(path, str) and path.casefold() == MANAGER:
            operation["value"] = _manager(value, base)
        elif path is None and isinstance(value, dict):
            for key in list(value):
                if key.casefold() == MANAGER:
                    value[key] = _manager(value[key], base)
            user_payload(value, base)
    return payload
