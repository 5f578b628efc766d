"""What the service provider says about itself (RFC 7643 §5-7), per calling client: the
User schema shows exactly the attributes of the client's agreement."""

from typing import Any

from django.conf import settings
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
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
    return int(getattr(settings, "SCIM_MAX_BULK_OPERATIONS", 100))


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


def _agreed_user_schema(agreement: Agreement) -> Schema:
    schema = User.to_schema()
    kept = []
    for attribute in schema.attributes or []:
        name = str(attribute.name)
        if attribute.sub_attributes and name == "name":
            subs = [s for s in attribute.sub_attributes if agreement.allows(f"name.{s.name}")]
            if subs:
                kept.append(attribute.model_copy(update={"sub_attributes": subs}))
        elif name in ALWAYS or agreement.allows(name):
            kept.append(attribute)
    return schema.model_copy(update={"attributes": kept})


def _agreed_enterprise_schema(agreement: Agreement) -> Schema | None:
    schema = EnterpriseUser.to_schema()
    kept = [a for a in schema.attributes or [] if agreement.allows(f"{ENTERPRISE}:{a.name}")]
    return schema.model_copy(update={"attributes": kept}) if kept else None


def schemas(agreement: Agreement, base: str) -> list[dict[str, Any]]:
    found = [
        _agreed_user_schema(agreement),
        _agreed_enterprise_schema(agreement),
        Group.to_schema(),
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
