"""The base of every SCIM view: the wire format, bearer authentication and the calling
client's agreement. Set here, per view, so that REST_FRAMEWORK settings stay neutral for
anything else the portal serves."""

from functools import cached_property
from typing import Any

from rest_framework.response import Response
from rest_framework.views import APIView
from scim2_models import Context, ScimPolicy, SearchRequest

from compliance.audit.actor import Actor
from compliance.scim_agreements import Agreement, agreement_for
from provisioning.models import ScimClient
from provisioning.scim.auth import IsScimClient, ScimTokenAuthentication
from provisioning.scim.errors import ScimError, scim_exception_handler
from provisioning.scim.pagination import ScimPagination
from provisioning.scim.parsers import ScimJSONParser, ScimPlainJSONParser
from provisioning.scim.renderers import ScimContentNegotiation, ScimJSONRenderer

# The deviations of Entra ID that cannot be mistaken for anything else (ScimPolicy):
# a `remove` whose value lists what to remove, and an `add` through a filter that matches
# nothing, which creates the entry the filter describes.
CLIENT_POLICY = ScimPolicy(
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
# A created or replaced User keeps the attributes no schema declares, so that the agreement
# check names them (strict mode) or records their drop (drop mode) like any other.
USER_WRITE_POLICY = CLIENT_POLICY.model_copy(update={"unknown": ScimPolicy.Unknown.keep})


class ScimView(APIView):
    parser_classes = [ScimJSONParser, ScimPlainJSONParser]
    renderer_classes = [ScimJSONRenderer]
    content_negotiation_class = ScimContentNegotiation
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [IsScimClient]
    throttle_classes: list[Any] = []
    pagination = ScimPagination()

    def get_exception_handler(self) -> Any:
        return scim_exception_handler

    @property
    def client(self) -> ScimClient:
        client = self.request.user
        assert isinstance(client, ScimClient)
        return client

    @property
    def agreement(self) -> Agreement:
        return agreement_for(self.client.profile)

    def actor(self) -> Actor:
        return self._actor

    @cached_property
    def _actor(self) -> Actor:
        """One actor for the request (a view serves one), however many writes it records:
        a /Bulk's thousand operations share it, and its events share a request id."""
        return Actor.scim_client(self.client, self.request)

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2").rstrip("/")

    def body(self) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
        return data


def response_parameters(source: dict[str, Any]) -> SearchRequest[Any]:
    """attributes/excludedAttributes from a query string or a .search body."""

    def names(raw: Any) -> list[str] | None:
        if raw is None or raw == "":
            return None
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ScimError(400, "attributes must be a list of attribute names", "invalidValue")
        return [item.strip() for item in items if item.strip()] or None

    attributes = names(source.get("attributes"))
    excluded = names(source.get("excludedAttributes"))
    if attributes is None and excluded is None:
        return _WHOLE_RESOURCE  # what identity providers send: nothing to validate
    return SearchRequest.model_validate(
        {"attributes": attributes, "excludedAttributes": excluded},
        scim_ctx=Context.SEARCH_REQUEST,
    )


# No attribute selection; shared by every request that asks for none (never modified).
_WHOLE_RESOURCE: SearchRequest[Any] = SearchRequest()


def wants(parameters: SearchRequest[Any], attribute: str) -> bool:
    """Whether a response must carry `attribute`, so that a read can skip its query."""
    key = attribute.casefold()

    def mentioned(paths: Any) -> bool:
        return any(str(p).casefold().split(".")[0].rsplit(":", 1)[-1] == key for p in paths)

    if parameters.attributes:
        return mentioned(parameters.attributes)
    return not (parameters.excluded_attributes and mentioned(parameters.excluded_attributes))


def resource_response(
    body: dict[str, Any], *, status: int = 200, version: str | None = None, location: str = ""
) -> Response:
    headers = {"ETag": version} if version else {}
    if location:
        headers["Location"] = location
    return Response(body, status=status, headers=headers)
