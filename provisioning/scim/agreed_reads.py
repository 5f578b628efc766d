"""The agreement on the read side: which attributes a client may name in a filter, a sortBy
or a PATCH path.

Every one of those is bound to the schema by scim2-models before anything is read, and an
attribute outside the client's agreement is refused at that binding, as one the schema
does not declare: the client gets the very answer it gets for `foo.bar`. So it cannot
select, count or order people by what it may not see, nor tell such an attribute from one
that does not exist. Responses are already built from the agreed attributes only
(mapping.person_resource), which is why attributes and excludedAttributes need no check:
naming an unagreed attribute there selects nothing, as naming an unknown one does.

A PATCH is applied to that same agreed view of the resource, so its value selections
(`phoneNumbers[value sw "+44"]`) never see an unagreed value; its paths are checked here
all the same, so that a strict client is answered `invalidPath` for an unagreed path as for
an unknown one. A client in drop mode has asked for what it sends outside the agreement to
be dropped, paths included: minimisation drops and records it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from scim2_models import PatchOp
from scim2_models.exceptions import (
    InvalidFilterException,
    InvalidPathException,
    PathNotFoundException,
)
from scim2_models.path import AttributeBinding, AttrPath

from compliance.inventory import ENTERPRISE
from compliance.scim_agreements import Agreement
from provisioning.models import ScimClient

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"

# About the record, not the person: every client reads them (discovery.ALWAYS shows groups).
RECORD = frozenset({"id", "meta", "schemas", "groups"})
# Computed in SQL from every part of the name (filter_attributes), where a response derives
# it from the agreed parts only: readable only where the agreement holds all of its parts.
DERIVED = {
    "name.formatted": (
        "name.honorificPrefix",
        "name.givenName",
        "name.middleName",
        "name.familyName",
    )
}


@cache
def readable(agreement: Agreement, urn: str) -> bool:
    """Whether a client under `agreement` may read the attribute scim2-models bound as `urn`
    (`<schema>:<attribute>[.<sub-attribute>]`, spelled as its schema declares it). Cached:
    only attributes a schema declares are ever bound, so the keys are few, and a lookup
    asks twice per attribute (the check and the translation)."""
    schema, _, path = urn.rpartition(":")
    head, _, sub = path.partition(".")
    if schema == GROUP:
        # A group's attributes are the group's; a member's display is their displayName.
        return (head, sub) != ("members", "display") or agreement.allows("displayName")
    if schema == ENTERPRISE:
        return agreement.allows(f"{ENTERPRISE}:{head}")
    if schema != USER:
        return False
    if head in RECORD:
        return True
    if path in DERIVED:
        return all(agreement.allows(part) for part in DERIVED[path])
    if agreement.allows(head) or (sub and agreement.allows(path)):
        return True
    # A complex attribute some of whose parts are agreed (name): `name pr` asks of those.
    return not sub and any(
        attribute.casefold().startswith(f"{head.casefold()}.") for attribute in agreement.attributes
    )


def agreed(
    binding: AttributeBinding | None,
    attr_path: AttrPath,
    agreement: Agreement,
    *,
    strict: bool,
) -> AttributeBinding | None:
    """`binding` if the agreement lets the client read it; otherwise what scim2-models
    answers for an attribute the schema does not declare: None, or under `strict` the
    InvalidFilterException naming the path as the client wrote it."""
    if binding is None or readable(agreement, binding.urn):
        return binding
    if strict:
        unknown = PathNotFoundException(path=str(attr_path), field=attr_path.attr)
        raise InvalidFilterException(detail=str(unknown))
    return None


def check_patch_paths(patch: PatchOp[Any], *, client: ScimClient, agreement: Agreement) -> None:
    """Refuse, in strict mode, a PATCH operation whose path names an attribute outside the
    agreement, with scim2-models' own answer to a path naming an undeclared attribute."""
    if client.mode != ScimClient.Mode.STRICT:
        return
    for operation in patch.operations or ():
        binding = operation.path.resolve() if operation.path is not None else None
        if binding is not None and not readable(agreement, binding.urn):
            path = operation.path
            raise InvalidPathException(
                path=str(path), detail=f"'{path}' is not an attribute of the schema"
            )
