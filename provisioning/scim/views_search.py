"""POST /.search (RFC 7644 §3.4.3), per resource type and at the root."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from scim2_models import Context, SearchRequest

from provisioning.scim import filters
from provisioning.scim.base import ScimView
from provisioning.scim.errors import ScimError
from provisioning.scim.pagination import LIST_RESPONSE, integer_parameter
from provisioning.scim.views_groups import GroupsView
from provisioning.scim.views_users import UsersView


def search_body(view: ScimView) -> dict[str, Any]:
    body = view.body()
    # Validated for its types; the raw values go on, as the GET parameters would.
    SearchRequest.model_validate(body, scim_ctx=Context.SEARCH_REQUEST)
    return body


class UsersSearchView(UsersView):
    http_method_names = ["post"]

    def post(self, request: Request) -> Response:
        return self.search(search_body(self))


class GroupsSearchView(GroupsView):
    http_method_names = ["post"]

    def post(self, request: Request) -> Response:
        return self.search(search_body(self))


class RootSearchView(ScimView):
    """Users and Groups together: the users first, then the groups. A filter naming an
    attribute one type lacks, or one outside the client's agreement, selects nothing of
    that type."""

    http_method_names = ["post"]

    def post(self, request: Request) -> Response:
        body = search_body(self)
        expression = body.get("filter")
        wanted = []
        for kind, view_class, translate in (
            ("Users", UsersView, filters.user_filter),
            ("Groups", GroupsView, filters.group_filter),
        ):
            try:
                if expression:
                    translate(str(expression), agreement=self.agreement)
            except filters.InvalidFilterError:
                continue
            wanted.append((kind, view_class))
        if not wanted:
            raise ScimError(400, f"No resource type understands {expression}", "invalidFilter")
        start = max(integer_parameter(body.get("startIndex"), "startIndex") or 1, 1)
        count = integer_parameter(body.get("count"), "count")
        resources: list[dict[str, Any]] = []
        total = 0
        for _kind, view_class in wanted:
            view = view_class()
            view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
            # Ask each type for what is left of the page, from where the page starts in it.
            remaining = None if count is None else max(count - len(resources), 0)
            offset = max(start - total, 1)
            page = view.search({**body, "startIndex": offset, "count": remaining}).data
            total += page["totalResults"]
            resources.extend(page["Resources"])
        return Response(
            {
                "schemas": [LIST_RESPONSE],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": len(resources),
                "Resources": resources,
            }
        )
