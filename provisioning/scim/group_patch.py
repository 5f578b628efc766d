"""A Group PATCH as set operations. scim2-models validates the operations; they are then
read as a rename plus member set operations, so that adding a thousand members never loads
the group's members into Python."""

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from scim2_models import Group as GroupResource
from scim2_models import PatchOp, PatchOperation

from provisioning.models import Group
from provisioning.scim.errors import ScimError
from provisioning.services.groups import MemberChange

MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"(?P<id>[^"]+)"\s*\]$', re.IGNORECASE)


@dataclass
class GroupPatch:
    display_name: str | None = None
    external_id: str | None = None
    members: list[MemberChange] = field(default_factory=list)


def member_ids(values: Any) -> frozenset[uuid.UUID]:
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):
        raise ScimError(400, "members must be a list of {value: id}.", "invalidValue")
    ids = set()
    for item in values:
        raw = item.get("value") if isinstance(item, dict) else None
        try:
            ids.add(uuid.UUID(str(raw)))
        except ValueError:
            raise ScimError(400, f"{raw!r} is not a user id.", "invalidValue") from None
    return frozenset(ids)


def read_group_patch(patch: PatchOp[GroupResource], group: Group) -> GroupPatch:
    result = GroupPatch()
    for operation in patch.operations or []:
        if operation.path is None:
            _no_path(operation, group, result)
        else:
            _with_path(operation, str(operation.path), result)
    return result


def _no_path(operation: PatchOperation[GroupResource], group: Group, result: GroupPatch) -> None:
    if not isinstance(operation.value, dict):
        raise ScimError(400, "An operation without a path needs an object value.", "invalidValue")
    for key, value in operation.value.items():
        name = key.casefold()
        if name == "id":
            # Okta's rename carries the group's id; it may only repeat it.
            if str(value) != str(group.pk):
                raise ScimError(400, "id cannot be changed.", "mutability")
        elif name in {"schemas", "meta"}:
            continue
        else:
            _with_path(operation, key, result, value)


# The value of an operation with a path; one without a path gives each attribute's own.
_OPERATION_VALUE: Any = object()


def _with_path(
    operation: PatchOperation[GroupResource],
    path: str,
    result: GroupPatch,
    value: Any = _OPERATION_VALUE,
) -> None:
    value = operation.value if value is _OPERATION_VALUE else value
    op = operation.op.value
    name = path.casefold()
    if name == "displayname":
        if op == "remove" or not isinstance(value, str) or not value.strip():
            raise ScimError(400, "displayName is required.", "invalidValue")
        result.display_name = value
    elif name == "externalid":
        # null (or "", read as null) clears it, as a remove does: RFC 7643 §2.5.
        if op != "remove" and value is not None and not isinstance(value, str):
            raise ScimError(400, "externalId must be a string.", "invalidValue")
        result.external_id = "" if op == "remove" or value is None else value
    elif name == "members":
        if op in {"remove", "replace"} and value is None:
            result.members.append(MemberChange("replace", frozenset()))
        else:
            change = "replace" if op == "replace" else op
            result.members.append(MemberChange(change, member_ids(value)))  # type: ignore[arg-type]
    elif match := MEMBER_FILTER.match(path):
        if op != "remove":
            raise ScimError(400, "Only remove may target one member.", "invalidPath")
        result.members.append(MemberChange("remove", member_ids([{"value": match["id"]}])))
    else:
        raise ScimError(400, f"{path} cannot be changed on a group.", "invalidPath")
