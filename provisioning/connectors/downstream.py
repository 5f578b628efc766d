"""The SCIM operations a push is made of: find, create, patch and delete users, make groups
and change their members. Each takes a scim2-client and ids, and returns downstream ids."""

from typing import Any

from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    Group,
    NotFoundException,
    PatchOp,
    SearchRequest,
    UniquenessException,
)

from provisioning.connectors.client import UserResource, as_document
from provisioning.connectors.errors import DownstreamRefused
from provisioning.connectors.models import GroupMapping

PAGE = 100


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _patch(model: Any, operations: list[dict[str, Any]]) -> Any:
    return PatchOp[model].model_validate(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
    )


def _find(scim: SyncSCIMClient, model: Any, attribute: str, value: str) -> str | None:
    search: Any = SearchRequest.model_validate(
        {"filter": f"{attribute} eq {_quoted(value)}", "count": 2}
    )
    found = scim.query(model, query_parameters=search)
    resources = getattr(found, "resources", None) or []
    return str(resources[0].id) if resources else None


def user_find(scim: SyncSCIMClient, *, external_id: str, user_name: str) -> str | None:
    """The downstream user this person already has: by the portal's externalId first, then
    by userName (an account made before the connector, or by a create whose answer was lost)."""
    return _find(scim, UserResource, "externalId", external_id) or _find(
        scim, UserResource, "userName", user_name
    )


def user_create(scim: SyncSCIMClient, *, payload: dict[str, Any]) -> str:
    """Create the user, or adopt the existing one when the downstream answers 409."""
    try:
        created = scim.create(UserResource.model_validate(payload))
    except UniquenessException:
        existing = user_find(
            scim, external_id=payload["externalId"], user_name=payload.get("userName", "")
        )
        if existing is None:
            raise DownstreamRefused("409 on create, and no matching account found") from None
        return existing
    return str(as_document(created)["id"])


def user_patch(
    scim: SyncSCIMClient, *, user_id: str, replace: dict[str, Any], remove: list[str]
) -> None:
    operations: list[dict[str, Any]] = [
        {"op": "replace", "path": path, "value": value} for path, value in replace.items()
    ] + [{"op": "remove", "path": path} for path in remove]
    if operations:
        scim.modify(UserResource, user_id, _patch(UserResource, operations))


def user_delete(scim: SyncSCIMClient, *, user_id: str) -> bool:
    """Delete the user. True if it existed (a user already gone is not an error)."""
    try:
        scim.delete(UserResource, user_id)
    except NotFoundException:
        return False
    return True


def user_read(scim: SyncSCIMClient, *, user_id: str) -> dict[str, Any] | None:
    try:
        return as_document(scim.query(UserResource, user_id))
    except NotFoundException:
        return None


def users_page(scim: SyncSCIMClient, *, start: int) -> tuple[list[dict[str, Any]], int]:
    """One page of downstream users, and the total the downstream reports."""
    search: Any = SearchRequest.model_validate({"startIndex": start, "count": PAGE})
    listed = scim.query(UserResource, query_parameters=search)
    resources = getattr(listed, "resources", None) or []
    return [as_document(r) for r in resources], int(getattr(listed, "total_results", 0) or 0)


def group_ensure(scim: SyncSCIMClient, mapping: GroupMapping) -> str:
    """The downstream id of the mapping's group, found by name or created."""
    if mapping.downstream_id:
        return mapping.downstream_id
    found = _find(scim, Group, "displayName", mapping.downstream_name)
    if found is None:
        try:
            found = str(as_document(scim.create(Group(display_name=mapping.downstream_name)))["id"])
        except UniquenessException:
            found = _find(scim, Group, "displayName", mapping.downstream_name)
            if found is None:
                raise DownstreamRefused("409 on group create, and no group found") from None
    GroupMapping.objects.filter(pk=mapping.pk).update(downstream_id=found)
    mapping.downstream_id = found
    return found


def group_members(scim: SyncSCIMClient, *, group_id: str) -> set[str] | None:
    """The downstream ids of the group's members, or None if the group is gone."""
    try:
        document = as_document(scim.query(Group, group_id))
    except NotFoundException:
        return None
    return {str(member["value"]) for member in document.get("members") or ()}


def group_members_patch(
    scim: SyncSCIMClient, mapping: GroupMapping, *, add: set[str], remove: set[str]
) -> None:
    """All the membership changes of one group in one PATCH. A group deleted downstream is
    made again."""
    if not add and not remove:
        return
    operations: list[dict[str, Any]] = []
    if add:
        operations.append(
            {"op": "add", "path": "members", "value": [{"value": v} for v in sorted(add)]}
        )
    operations += [
        {"op": "remove", "path": f"members[value eq {_quoted(v)}]"} for v in sorted(remove)
    ]
    group_id = group_ensure(scim, mapping)
    try:
        scim.modify(Group, group_id, _patch(Group, operations))
    except NotFoundException:
        GroupMapping.objects.filter(pk=mapping.pk).update(downstream_id="")
        mapping.downstream_id = ""
        if add:
            group_id = group_ensure(scim, mapping)
            scim.modify(Group, group_id, _patch(Group, operations[:1]))
