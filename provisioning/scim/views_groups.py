"""/Groups. Members are read only when the response carries them, and changed through the
groups services' set operations."""

from functools import partial
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from rest_framework.request import Request
from rest_framework.response import Response
from scim2_models import Context, PatchOp, SearchRequest
from scim2_models import Group as GroupResource

from provisioning import first_pages as pages
from provisioning.conditions import Condition
from provisioning.models import Group, Membership
from provisioning.scim import filters, mapping, quirks
from provisioning.scim.agreed_reads import check_patch_paths
from provisioning.scim.base import (
    CLIENT_POLICY,
    ScimView,
    resource_response,
    response_parameters,
    wants,
)
from provisioning.scim.errors import ScimError, not_found
from provisioning.scim.etags import check_if_match, etag, not_modified
from provisioning.scim.group_patch import member_ids, read_group_patch
from provisioning.services import groups
from provisioning.services.groups import MemberChange


def visible_memberships() -> QuerySet[Membership]:
    """With each member's displayName, which a response gives as the member's display."""
    return (
        Membership.objects.filter(person__scim_deleted_at__isnull=True)
        .select_related("person")
        .only("group_id", "person_id", "person__display_name")
    )


def _member(membership: Membership) -> mapping.Member:
    return mapping.Member(membership.person_id, membership.person.display_name)


class GroupViewMixin(ScimView):
    def dump(
        self, group: Group, parameters: SearchRequest[Any], members: list[mapping.Member] | None
    ) -> dict[str, Any]:
        resource = mapping.group_resource(
            group, base=self.base_url(), members=members, agreed=self.agreement.attributes
        )
        return resource.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
        )

    def respond(self, group: Group, *, status: int = 200) -> Response:
        parameters = response_parameters(self.request.query_params.dict())
        group = Group.objects.get(pk=group.pk)
        members = (
            [_member(m) for m in visible_memberships().filter(group=group).order_by("person_id")]
            if wants(parameters, "members")
            else None
        )
        location = f"{self.base_url()}/Groups/{group.pk}" if status == 201 else ""
        return resource_response(
            self.dump(group, parameters, members),
            status=status,
            version=etag(group.version),
            location=location,
        )

    def parse_group(self, context: Context) -> GroupResource:
        return GroupResource.model_validate(
            quirks.group_payload(self.body()), scim_ctx=context, scim_policy=CLIENT_POLICY
        )


class GroupsView(GroupViewMixin):
    def get(self, request: Request) -> Response:
        return self.search(request.query_params.dict())

    def search(self, source: dict[str, Any]) -> Response:
        parameters = response_parameters(source)
        condition = Condition.fixed(Q())  # every group: first_page asks the ORM
        if source.get("filter"):
            condition = filters.group_condition(str(source["filter"]), agreement=self.agreement)
        descending = str(source.get("sortOrder") or "").lower() == "descending"
        sort_by = source.get("sortBy")
        ordering = filters.group_ordering(
            str(sort_by) if sort_by else None, descending, agreement=self.agreement
        )
        first_page = None
        if not sort_by:
            # The first page read as Users' is (first_pages); sorted pages stay with the
            # slice, as Users' do.
            first_page = partial(pages.first_page, pages.Shape(Group, tuple(ordering)), condition)
        page = self.pagination.page(
            lambda: Group.objects.filter(condition.q()).order_by(*ordering),
            source,
            first_page=first_page,
        )
        with_members = wants(parameters, "members")
        if with_members:
            prefetch_related_objects(
                page.items,
                Prefetch("memberships", queryset=visible_memberships().order_by("person_id")),
            )
        resources = [
            self.dump(
                group,
                parameters,
                [_member(m) for m in group.memberships.all()] if with_members else None,
            )
            for group in page.items
        ]
        return Response(self.pagination.body(page, resources))

    def post(self, request: Request) -> Response:
        resource = self.parse_group(Context.RESOURCE_CREATION_REQUEST)
        group = groups.group_create(
            actor=self.actor(),
            display_name=resource.display_name or "",
            external_id=resource.external_id or "",
            member_ids=member_ids([m.model_dump() for m in resource.members or []]),
        )
        return self.respond(group, status=201)


class GroupView(GroupViewMixin):
    def group(self, group_id: str) -> Group:
        try:
            return Group.objects.get(pk=UUID(group_id))
        except (ValueError, Group.DoesNotExist):
            raise not_found("Group") from None

    def get(self, request: Request, group_id: str) -> Response:
        group = self.group(group_id)
        if not_modified(request, group.version):
            return Response(status=304, headers={"ETag": etag(group.version)})
        return self.respond(group)

    def put(self, request: Request, group_id: str) -> Response:
        group = self.group(group_id)
        # Without If-Match the whole new state, applied under the row's lock (no 412).
        expected = check_if_match(request, group.version)
        sent_id = self.body().get("id")
        if sent_id is not None and str(sent_id) != str(group.pk):
            raise ScimError(400, "id cannot be changed.", "mutability")
        resource = self.parse_group(Context.RESOURCE_REPLACEMENT_REQUEST)
        members = member_ids([m.model_dump() for m in resource.members or []])
        updated = groups.group_change(
            group=group,
            actor=self.actor(),
            display_name=resource.display_name or "",
            external_id=resource.external_id or "",
            members=[MemberChange("replace", members)],
            expected_version=expected,
        )
        return self.respond(updated)

    def patch(self, request: Request, group_id: str) -> Response:
        group = self.group(group_id)
        # Set operations and a rename commute with other writers: only an explicit
        # If-Match asks for the version to be checked.
        expected = check_if_match(request, group.version)
        patch = PatchOp[GroupResource].model_validate(
            quirks.patch_payload(self.body()),
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
            scim_policy=CLIENT_POLICY,
        )
        check_patch_paths(patch, client=self.client, agreement=self.agreement)
        change = read_group_patch(patch, group)
        updated = groups.group_change(
            group=group,
            actor=self.actor(),
            display_name=change.display_name,
            external_id=change.external_id,
            members=change.members,
            expected_version=expected,
        )
        if not request.query_params.get("attributes"):
            # RFC 7644 §3.5.2: 204 is enough; a member list is never sent unasked.
            return Response(status=204, headers={"ETag": etag(updated.version)})
        return self.respond(updated)

    def delete(self, request: Request, group_id: str) -> Response:
        group = self.group(group_id)
        check_if_match(request, group.version)
        groups.group_delete(group=group, actor=self.actor())
        return Response(status=204)
