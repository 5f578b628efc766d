"""/Users: people as SCIM Users, restricted to the calling client's agreement. Views only
translate: scim2-models parses and patches, the persons services write."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response
from scim2_models import Context, PatchOp, SearchRequest
from scim2_models import User as UserModel

from provisioning.conditions import field_lookup, leaf
from provisioning.errors import ErasedIdentityError
from provisioning.models import Person
from provisioning.people_pages import (
    ContactRow,
    PersonDetails,
    details_of,
    people_page,
)
from provisioning.scim import filters, mapping, quirks
from provisioning.scim.agreed_reads import check_patch_paths
from provisioning.scim.base import (
    CLIENT_POLICY,
    USER_WRITE_POLICY,
    ScimView,
    resource_response,
    response_parameters,
    wants,
)
from provisioning.scim.errors import ScimError, not_found
from provisioning.scim.etags import check_if_match, etag, not_modified
from provisioning.scim.minimisation import within_agreement
from provisioning.services import persons

USER_URN = str(UserModel.__schema__)


# The people SCIM shows: a User deleted over SCIM is kept for the audit trail, unseen.
def _visible() -> Q:
    """People the identity provider has not deleted."""
    return Q(scim_deleted_at__isnull=True)


VISIBLE = leaf(_visible)


def visible_people() -> QuerySet[Person]:
    return Person.objects.filter(_visible())


def requested(parameters: SearchRequest[Any], path: str) -> bool:
    """Whether `attributes` names this path (with or without the User schema's URN): how
    a client asks for an attribute returned only on request."""
    wanted = path.casefold()
    return any(
        str(asked).casefold().removeprefix(USER_URN.casefold() + ":") == wanted
        for asked in parameters.attributes or ()
    )


class UserViewMixin(ScimView):
    def dump(
        self, person: Person, details: PersonDetails, parameters: SearchRequest[Any]
    ) -> dict[str, Any]:
        base, agreed = self.base_url(), self.agreement.attributes
        with_groups = wants(parameters, "groups")
        if not parameters.attributes and not parameters.excluded_attributes:
            # The whole resource (what identity providers ask for): built directly.
            return mapping.person_payload(
                person, details, base=base, agreed=agreed, with_groups=with_groups
            )
        resource = mapping.person_resource(
            person,
            details,
            base=base,
            agreed=agreed,
            with_groups=with_groups,
            with_formatted=requested(parameters, "name.formatted"),
        )
        return resource.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
        )

    def respond(
        self, person: Person, *, status: int = 200, details: PersonDetails | None = None
    ) -> Response:
        """The person with contacts and groups (read here unless given, or read with the
        row's lock by the write). The services return the person as they stored it (a
        write holds the row's lock), so it is not read again."""
        parameters = response_parameters(self.request.query_params.dict())
        if details is None:
            with_groups = wants(parameters, "groups")
            details = details_of([person], with_groups=with_groups)[person.pk]
        location = f"{self.base_url()}/Users/{person.pk}" if status == 201 else ""
        return resource_response(
            self.dump(person, details, parameters),
            status=status,
            version=etag(person.version),
            location=location,
        )

    def changes(self, resource: Any) -> mapping.PersonChanges:
        flat = within_agreement(
            mapping.flatten(mapping.user_dump(resource))
            | mapping.flatten_unknown(resource.unknown_attributes),
            client=self.client,
            agreement=self.agreement,
            actor=self.actor(),
        )
        return mapping.person_changes(flat, self.agreement.attributes)

    def parse_user(self, context: Context, body: dict[str, Any] | None = None) -> Any:
        """The request's User (or `body`, an operation's of /Bulk), validated."""
        payload = quirks.user_payload(self.body() if body is None else body, self.base_url())
        return mapping.UserResource.model_validate(
            payload, scim_ctx=context, scim_policy=USER_WRITE_POLICY
        )

    def new_person(self, body: dict[str, Any] | None = None) -> persons.NewPerson:
        """The person a POST of this User (the request's, or `body`) creates."""
        changes = self.changes(self.parse_user(Context.RESOURCE_CREATION_REQUEST, body))
        return persons.NewPerson(
            fields=changes.fields,
            emails=changes.emails or (),
            phones=changes.phones or (),
            active=True if changes.active is None else changes.active,
        )


class UsersView(UserViewMixin):
    def get(self, request: Request) -> Response:
        return self.search(request.query_params.dict())

    def search(self, source: dict[str, Any]) -> Response:
        parameters = response_parameters(source)
        condition = VISIBLE
        if source.get("filter"):
            condition &= filters.user_condition(str(source["filter"]), agreement=self.agreement)
        descending = str(source.get("sortOrder") or "").lower() == "descending"
        sort_by = source.get("sortBy")
        ordering = filters.user_ordering(
            str(sort_by) if sort_by else None, descending, agreement=self.agreement
        )
        with_groups = wants(parameters, "groups")
        first_page = None
        if not sort_by:
            # The first page with the details in the same statement: not with a sort,
            # where the database would read the details of every row it sorts.
            first_page = partial(people_page, condition, ordering=ordering, with_groups=with_groups)
        page = self.pagination.page(
            lambda: Person.objects.filter(condition.q()).order_by(*ordering),
            source,
            first_page=first_page,
        )
        details = details_of(page.items, with_groups=with_groups)
        resources = [self.dump(person, details[person.pk], parameters) for person in page.items]
        return Response(self.pagination.body(page, resources))

    def post(self, request: Request) -> Response:
        new = self.new_person()
        person = persons.person_scim_create(
            actor=self.actor(),
            fields=new.fields,
            emails=new.emails,
            phones=new.phones,
            active=new.active,
        )
        # A person just created (their first version) holds what was sent and belongs to
        # no group: nothing to read back. One who came back (POSTed again after a delete)
        # is read.
        details = _sent_details(new) if person.version == 1 else None
        return self.respond(person, status=201, details=details)


def _sent_details(new: persons.NewPerson) -> PersonDetails:
    """The contacts as person_details reads them: the primary first, then as given."""

    def rows(contacts: Sequence[persons.Contact]) -> list[ContactRow]:
        ordered = sorted(contacts, key=lambda contact: not contact.primary)
        return [ContactRow(c.value, c.type, c.primary) for c in ordered]

    return PersonDetails(emails=rows(new.emails), phones=rows(new.phones))


class UserView(UserViewMixin):
    def person(self, user_id: str) -> Person:
        try:
            return visible_people().get(pk=UUID(user_id))
        except (ValueError, Person.DoesNotExist):
            raise not_found("User") from None

    def get(self, request: Request, user_id: str) -> Response:
        # The person with their details in one statement, as a lookup reads them.
        with_groups = wants(response_parameters(request.query_params.dict()), "groups")
        try:
            condition = VISIBLE & leaf(field_lookup, "pk", values=[UUID(user_id)])
        except ValueError:
            raise not_found("User") from None
        found = people_page(condition, 1, ordering=(), with_groups=with_groups)
        if not found:
            raise not_found("User")
        person = found[0]
        if not_modified(request, person.version):
            return Response(status=304, headers={"ETag": etag(person.version)})
        details = details_of(found, with_groups=with_groups)[person.pk]
        return self.respond(person, details=details)

    def put(self, request: Request, user_id: str) -> Response:
        def replacement(person: Person) -> mapping.PersonChanges:
            sent_id = self.body().get("id")
            if sent_id is not None and str(sent_id) != str(person.pk):
                raise ScimError(400, "id cannot be changed.", "mutability")
            return self.changes(self.parse_user(Context.RESOURCE_REPLACEMENT_REQUEST))

        return self.write(user_id, replacement)

    def patch(self, request: Request, user_id: str) -> Response:
        def patched(person: Person) -> mapping.PersonChanges:
            patch = PatchOp[mapping.UserResource].model_validate(
                quirks.patch_payload(self.body(), self.base_url()),
                scim_ctx=Context.RESOURCE_PATCH_REQUEST,
                scim_policy=CLIENT_POLICY,
            )
            check_patch_paths(patch, client=self.client, agreement=self.agreement)
            return self.patched(person, patch)

        return self.write(user_id, patched)

    def write(
        self, user_id: str, changes_of: Callable[[Person], mapping.PersonChanges]
    ) -> Response:
        """A PUT's or PATCH's change: the person read once, under the row's lock, and
        checked against If-Match there, so that a concurrent writer makes this one wait
        rather than a 412; then replaced by what `changes_of` makes of them (a PATCH is
        relative to what is stored). Nothing is written if anything refuses."""
        try:
            person_id = UUID(user_id)
        except ValueError:
            raise not_found("User") from None
        changes = None
        try:
            with self.locked(person_id) as person:
                changes = changes_of(person)
                return self.respond(
                    persons.person_replace(
                        person=person,
                        actor=self.actor(),
                        fields=changes.fields,
                        emails=changes.emails,
                        phones=changes.phones,
                        active=changes.active,
                        client=self.client,
                    )
                )
        except ErasedIdentityError:
            # Refused under the row's lock, the refusal's record rolled back with the
            # change: asked again outside, it is recorded for good (and refused again).
            if changes is not None:
                persons.person_replace_check(
                    person=self.person(user_id),
                    actor=self.actor(),
                    fields=changes.fields,
                    emails=changes.emails,
                    active=changes.active,
                )
            raise

    @contextmanager
    def locked(self, person_id: UUID) -> Iterator[Person]:
        """The visible person of this id under the row's lock, at the version If-Match
        names; 404 or 412 before anything is written."""
        with ExitStack() as stack:
            try:
                person = stack.enter_context(persons.person_locked(person_id=person_id))
            except Person.DoesNotExist:
                raise not_found("User") from None
            if person.scim_deleted_at is not None:
                raise not_found("User")
            check_if_match(self.request, person.version)
            yield person

    def patched(
        self, person: Person, patch: PatchOp[mapping.UserResource]
    ) -> mapping.PersonChanges:
        resource = mapping.person_resource(
            person,
            details_of([person], with_groups=False)[person.pk],
            base=self.base_url(),
            agreed=self.agreement.attributes,
            with_groups=False,
        )
        patch.patch(resource, scim_policy=CLIENT_POLICY)
        if str(resource.id) != str(person.pk):
            raise ScimError(400, "id cannot be changed.", "mutability")
        if resource.active is None and self.agreement.allows("active"):
            # A person is active or not: /Schemas declares `active` required.
            raise ScimError(400, "active is required and cannot be removed.", "mutability")
        return self.changes(resource)

    def delete(self, request: Request, user_id: str) -> Response:
        person = self.person(user_id)
        check_if_match(request, person.version)
        persons.person_scim_delete(person=person, actor=self.actor(), client=self.client)
        return Response(status=204)
