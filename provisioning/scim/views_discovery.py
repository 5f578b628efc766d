"""/ServiceProviderConfig, /ResourceTypes, /Schemas: read-only (other methods get 405)."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from provisioning.scim import discovery
from provisioning.scim.base import ScimView
from provisioning.scim.errors import not_found
from provisioning.scim.pagination import LIST_RESPONSE


def listing(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


class ServiceProviderConfigView(ScimView):
    def get(self, request: Request) -> Response:
        return Response(discovery.service_provider_config(self.base_url()))


class SchemasView(ScimView):
    def get(self, request: Request) -> Response:
        return Response(listing(discovery.schemas(self.agreement, self.base_url())))


class SchemaView(ScimView):
    def get(self, request: Request, schema_id: str) -> Response:
        for schema in discovery.schemas(self.agreement, self.base_url()):
            if schema["id"].casefold() == schema_id.casefold():
                return Response(schema)
        raise not_found("schema")


class ResourceTypesView(ScimView):
    def get(self, request: Request) -> Response:
        return Response(listing(discovery.resource_types(self.agreement, self.base_url())))


class ResourceTypeView(ScimView):
    def get(self, request: Request, type_id: str) -> Response:
        for resource_type in discovery.resource_types(self.agreement, self.base_url()):
            if resource_type["id"].casefold() == type_id.casefold():
                return Response(resource_type)
        raise not_found("resource type")
