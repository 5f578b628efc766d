"""What the service provider says about itself (RFC 7643 §5-7), per calling client: the
User schema shows exactly the attributes of the client's agreement."""

from typing import Any

from django.conf import settings
from scim2_models import (
    Attribute,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Mutability,
    Patch,
    Required,
    ResourceType,
    Returned,
    Schema,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
    User,
)

from compliance.inventory import ENTERPRISE
from compliance.scim_agreements import Agreement
from provisioning.scim.pagination import max_results
from provisioning.scim.parsers import max_payload_size

# Attributes about the record, not the person: shown whatever the agreement.
ALWAYS = frozenset({"groups"})
RESPONSE = Context.RESOURCE_QUERY_RESPONSE


def max_operations() -> int:
    return int(settings.SCIM_MAX_BULK_OPERATIONS)


def service_provider_config(base: str) -> dict[str, Any]:
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(
            supported=True, max_operations=max_operations(), max_payload_size=max_payload_size()
        ),
        filter=Filter(supported=True, max_results=max_results()),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token issued by IT with `manage.py scim_token create`.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )
    return config.model_dump(scim_ctx=RESPONSE)


# RFC 7643 §3.1: a common attribute, listed in each schema as clients look for it there
# (Microsoft's gallery validation reads it from /Schemas). The portal keeps one per person
# and one per group, unique among them.
EXTERNAL_ID = Attribute(
    name="externalId",
    type=Attribute.Type.string,
    multi_valued=False,
    description="The identifier of the resource in the client's own directory.",
    required=Required.false,
    case_exact=CaseExact.true,
    mutability=Mutability.read_write,
    returned=Returned.default,
    uniqueness=Uniqueness.server,
)


def _with_subs(attribute: Attribute, subs: list[Attribute]) -> Attribute:
    return attribute.model_copy(update={"sub_attributes": subs})


def _only_subs(attribute: Attribute, *names: str) -> Attribute:
    return _with_subs(attribute, [attribute[name] for name in names])


def _changed_sub(attribute: Attribute, name: str, **changes: Any) -> Attribute:
    subs = [
        sub.model_copy(update=changes) if sub.name == name else sub
        for sub in attribute.sub_attributes or []
    ]
    return _with_subs(attribute, subs)


def _agreed_user_schema(agreement: Agreement) -> Schema:
    """The User attributes of the agreement, each with exactly the sub-attributes the
    portal keeps and gives back: of an e-mail or a phone number it keeps the value, type
    and primary flag, so a `display` it would drop is not offered."""
    kept = [EXTERNAL_ID] if agreement.allows("externalId") else []
    for attribute in User.to_schema().attributes or []:
        name = str(attribute.name)
        if name == "name":
            subs = [s for s in attribute.sub_attributes or [] if agreement.allows(f"name.{s.name}")]
            if subs:
                # Derived from the agreed parts (mapping._formatted); what a client sends
                # for it is ignored, as RFC 7643 §2.2 says of a readOnly attribute. Given
                # on request only: a client that set the parts reads back what it set.
                formatted = attribute["formatted"].model_copy(
                    update={"mutability": Mutability.read_only, "returned": Returned.request}
                )
                kept.append(_with_subs(attribute, [formatted, *subs]))
        elif name in {"emails", "phoneNumbers"}:
            if agreement.allows(name):
                kept.append(_only_subs(attribute, "value", "type", "primary"))
        elif name == "active":
            # Every person is active or not: the attribute cannot be removed or set to
            # null (a POST that leaves it out creates an active person).
            if agreement.allows(name):
                kept.append(attribute.model_copy(update={"required": Required.true}))
        elif name in ALWAYS:
            # Memberships are direct only, and given without the group's name.
            groups = _only_subs(attribute, "value", "$ref", "type")
            kept.append(_changed_sub(groups, "type", canonical_values=["direct"]))
        elif agreement.allows(name):
            kept.append(attribute)
    return User.to_schema().model_copy(update={"attributes": kept})


def _agreed_enterprise_schema(agreement: Agreement) -> Schema | None:
    schema = EnterpriseUser.to_schema()
    kept = []
    for attribute in schema.attributes or []:
        if not agreement.allows(f"{ENTERPRISE}:{attribute.name}"):
            continue
        if attribute.name == "manager":
            # The manager is given by id and $ref; a client may leave $ref out (Entra ID
            # does, quirks.py fills it in), and the manager's name is not given.
            attribute = _changed_sub(
                _only_subs(attribute, "value", "$ref"), "$ref", required=Required.false
            )
        kept.append(attribute)
    return schema.model_copy(update={"attributes": kept}) if kept else None


def _group_schema(agreement: Agreement) -> Schema:
    """Members are people only. A member's `display` is that person's displayName, as
    the portal holds it (so read-only), where the agreement shows displayNames."""
    schema = Group.to_schema()
    kept = [EXTERNAL_ID]
    for attribute in schema.attributes or []:
        if attribute.name == "displayName":
            attribute = attribute.model_copy(update={"uniqueness": Uniqueness.server})
        elif attribute.name == "members":
            subs = ["value", "$ref", "type"]
            if agreement.allows("displayName"):
                subs.append("display")
            attribute = _only_subs(attribute, *subs)
            attribute = _changed_sub(attribute, "$ref", reference_types=["User"])
            attribute = _changed_sub(attribute, "type", canonical_values=["User"])
            attribute = _changed_sub(attribute, "display", mutability=Mutability.read_only)
        kept.append(attribute)
    return schema.model_copy(update={"attributes": kept})


def schemas(agreement: Agreement, base: str) -> list[dict[str, Any]]:
    found = [
        _agreed_user_schema(agreement),
        _agreed_enterprise_schema(agreement),
        _group_schema(agreement),
    ]
    return [
        schema.model_copy(
            update={"meta": Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")}
        ).model_dump(scim_ctx=RESPONSE)
        for schema in found
        if schema is not None
    ]


def resource_types(agreement: Agreement, base: str) -> list[dict[str, Any]]:
    with_extension = _agreed_enterprise_schema(agreement) is not None
    user = ResourceType.from_resource(User[EnterpriseUser] if with_extension else User)
    group = ResourceType.from_resource(Group)
    return [
        rt.model_copy(
            update={
                "meta": Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/{rt.id}")
            }
        ).model_dump(scim_ctx=RESPONSE)
        for rt in (user, group)
    ]
