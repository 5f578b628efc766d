"""/Bulk (RFC 7644 §3.7): each operation runs as its own request through the same views,
after its bulkId references have been replaced by the ids created earlier in the request;
consecutive User creations run as one batch through the same checks (BulkRun)."""

import io
import json
import re
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from rest_framework.request import Request
from rest_framework.response import Response

from provisioning import selectors
from provisioning.errors import UniquenessError
from provisioning.models import Person
from provisioning.scim.errors import ScimError, error_answer
from provisioning.scim.etags import etag
from provisioning.scim.views_users import UserViewMixin
from provisioning.services import persons

BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
BULK_REFERENCE = re.compile(r"bulkId:(?P<id>[^\s\"/]+)")
METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def resolve_references(value: Any, created: dict[str, str]) -> Any:
    """Replace every `bulkId:<id>` by the id its operation created."""
    if isinstance(value, str):
        if "bulkId:" not in value:  # nearly every string: no pattern matched, none replaced
            return value

        def replace(match: re.Match[str]) -> str:
            if match["id"] not in created:
                raise ScimError(
                    409, f"bulkId {match['id']} refers to no earlier operation.", "invalidValue"
                )
            return created[match["id"]]

        return BULK_REFERENCE.sub(replace, value)
    if isinstance(value, list):
        return [resolve_references(item, created) for item in value]
    if isinstance(value, dict):
        return {key: resolve_references(item, created) for key, item in value.items()}
    return value


def subrequest(
    bulk: Request, method: str, path: str, data: Any, version: str | None
) -> HttpResponse:
    """Run one operation through its view, as the client the /Bulk request authenticated
    (DRF's forced authentication: the token is not looked up again per operation)."""
    original = bulk._request
    body = b"" if data is None else json.dumps(data).encode()
    request = HttpRequest()
    request._force_auth_user, request._force_auth_token = bulk.user, bulk.auth  # type: ignore[attr-defined]
    request.method = method
    request.path = request.path_info = f"/scim/v2{path}"
    request.META = {
        **original.META,
        "REQUEST_METHOD": method,
        "PATH_INFO": request.path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/scim+json",
        "CONTENT_LENGTH": str(len(body)),
    }
    request.META.pop("HTTP_IF_MATCH", None)
    if version:
        request.META["HTTP_IF_MATCH"] = version
    request._stream = io.BytesIO(body)
    request._read_started = False  # type: ignore[attr-defined]
    try:
        match = resolve(request.path_info)
    except Resolver404 as error:
        raise ScimError(404, f"No endpoint at {path}.") from error
    if match.url_name not in {"users", "user", "groups", "group"}:
        raise ScimError(400, f"{path} cannot be changed through /Bulk.", "invalidPath")
    response: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return response


def _body(response: HttpResponse) -> Any:
    """The operation's answer as data: a DRF response's own, without rendering it to JSON
    and parsing it back."""
    if isinstance(response, Response):
        return response.data
    return json.loads(response.content) if response.content else None


def run_operation(bulk: Request, operation: Any, created: dict[str, str]) -> dict[str, Any]:
    if not isinstance(operation, dict):
        raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
    method = str(operation.get("method") or "").upper()
    path = operation.get("path")
    bulk_id = operation.get("bulkId")
    version = operation.get("version")
    if method not in METHODS or not isinstance(path, str) or not path.startswith("/"):
        raise ScimError(400, "Each operation needs a method and a path.", "invalidSyntax")
    if method == "POST" and not bulk_id:
        raise ScimError(400, "A POST operation needs a bulkId.", "invalidValue")
    # RFC 7644 §3.7 makes both strings: a bulkId is echoed and referred to as text, and a
    # version is an ETag for If-Match.
    for name, value in (("bulkId", bulk_id), ("version", version)):
        if value is not None and not isinstance(value, str):
            raise ScimError(400, f"An operation's {name} must be a string.", "invalidValue")
    path = resolve_references(path, created)
    data = resolve_references(operation.get("data"), created)
    response = subrequest(bulk, method, path, data, version)
    result: dict[str, Any] = {"method": method, "status": str(response.status_code)}
    if bulk_id:
        result["bulkId"] = bulk_id
    body = _body(response)
    if response.status_code >= 400:
        result["response"] = body
        return result
    if isinstance(body, dict) and "meta" in body:
        result["location"] = body["meta"].get("location")
        result["version"] = body["meta"].get("version")
        if method == "POST" and bulk_id:
            created[str(bulk_id)] = str(body["id"])
    elif method != "POST":
        result["location"] = f"{bulk.build_absolute_uri('/scim/v2')}{path}"
    return result


def error_result(operation: Any, error: ScimError) -> dict[str, Any]:
    result: dict[str, Any] = {
        "method": str(operation.get("method", "")) if isinstance(operation, dict) else "",
        "status": str(error.status_code),
        "response": {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": str(error.status_code),
            "detail": str(error.detail),
            **({"scimType": error.scim_type} if error.scim_type else {}),
        },
    }
    if isinstance(operation, dict) and isinstance(operation.get("bulkId"), str):
        result["bulkId"] = operation["bulkId"]
    return result


def creates_user(operation: Any) -> bool:
    """A POST of a User that the batch path can take: everything else (and anything
    malformed, which the single path answers) goes through the views one by one."""
    return (
        isinstance(operation, dict)
        and str(operation.get("method") or "").upper() == "POST"
        and operation.get("path") == "/Users"
        and isinstance(operation.get("bulkId"), str)
        and bool(operation["bulkId"])
        and isinstance(operation.get("version"), str | None)
    )


def references(operation: dict[str, Any]) -> set[str]:
    """The bulkIds an operation's data refers to."""
    return set(BULK_REFERENCE.findall(json.dumps(operation.get("data"))))


# An operation of the batch, and the person it creates or its result (an error).
Prepared = tuple[dict[str, Any], persons.NewPerson | dict[str, Any]]


class BulkRun:
    """One /Bulk request's operations, in order, with failOnErrors. Consecutive User
    creations are checked together (persons.people_check) and created as one batch
    (persons.people_create_checked: a fixed number of queries for the batch), every other
    operation one by one through its view. Each operation's result is the one it would get
    on its own, in order: a creation the batch's check refuses gets its error and the
    others are created; a creation that refers to one still in the batch starts a new
    batch; a POST of a User the identity provider deleted (who comes back) and, when a
    concurrent writer took a userName since the check, the whole batch, take the single
    path."""

    def __init__(self, view: UserViewMixin, request: Request, fail_on_errors: int) -> None:
        self.view, self.request = view, request
        self.actor = view.actor()
        self.fail_on_errors = fail_on_errors
        self.created: dict[str, str] = {}
        self.results: list[dict[str, Any]] = []
        self.errors = 0
        self.pending: list[dict[str, Any]] = []
        self.pending_ids: set[str] = set()

    @property
    def stopped(self) -> bool:
        return self.fail_on_errors > 0 and self.errors >= self.fail_on_errors

    def run(self, operations: list[Any]) -> list[dict[str, Any]]:
        for operation in operations:
            if creates_user(operation) and not references(operation) & self.pending_ids:
                self.pending.append(operation)
                self.pending_ids.add(operation["bulkId"])
                continue
            self.flush()
            if self.stopped:
                break
            self.record(self.single(operation))
            if self.stopped:
                break
        self.flush()
        return self.results

    def record(self, result: dict[str, Any]) -> None:
        self.results.append(result)
        if int(result["status"]) >= 400:
            self.errors += 1

    def single(self, operation: Any) -> dict[str, Any]:
        try:
            return run_operation(self.request, operation, self.created)
        except ScimError as error:
            return error_result(operation, error)

    def flush(self) -> None:
        """Run the pending creations: each prepared (parsed, within the agreement), all
        checked at once (people_check), then in order: the returning ones by themselves,
        the others in batches between them. A returning one was refused because a person
        the identity provider deleted holds its userName or externalId: that person comes
        back (person_scim_create). So only creations refused as taken are looked up among
        the deleted, and a batch without such refusals asks nothing more. Checked before a
        return runs, a later creation still gets its own answer: a name the returning
        person takes is refused by the unique index (the batch then runs one by one), and
        a name they give up was a deleted person's, so its creation ran by itself too."""
        batch, self.pending, self.pending_ids = self.pending, [], set()
        if self.stopped or not batch:
            return
        prepared = [self.prepare(operation) for operation in batch]
        news = [new for _, new in prepared if isinstance(new, persons.NewPerson)]
        refusals = iter(persons.people_check(actor=self.actor, people=news))
        checked: list[Prepared] = []
        taken: dict[int, persons.NewPerson] = {}  # by position: refused as taken
        for operation, new in prepared:
            if isinstance(new, persons.NewPerson) and (refused := next(refusals)) is not None:
                if isinstance(refused, UniquenessError):
                    taken[len(checked)] = new
                new = _failed(operation, error_answer(refused))
            checked.append((operation, new))
        names, ids = selectors.identifiers_held(
            user_names=[str(new.fields.get("user_name") or "") for new in taken.values()],
            external_ids=[str(new.fields.get("external_id") or "") for new in taken.values()],
            scim_deleted=True,
        )
        chunk: list[Prepared] = []
        for index, (operation, new) in enumerate(checked):
            if index in taken and _matches(taken[index], names, ids):
                self.create_batch(chunk)
                chunk = []
                if not self.stopped:
                    self.record(self.single(operation))
            else:
                chunk.append((operation, new))
            if self.stopped:
                return
        self.create_batch(chunk)

    def prepare(self, operation: dict[str, Any]) -> Prepared:
        """The operation and the person it creates, or its error result."""
        try:
            data = resolve_references(operation.get("data"), self.created)
            if not isinstance(data, dict):
                raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
            return operation, self.view.new_person(data)
        except Exception as error:  # answered as its view would answer it
            return operation, _failed(operation, error_answer(error))

    def create_batch(self, chunk: list[Prepared]) -> None:
        """Results in order up to where failOnErrors stops; the creations among them
        (checked already) in one people_create_checked, or one by one if a concurrent
        writer got in between."""
        if self.stopped or not chunk:
            return
        slots: list[Prepared] = []
        errors = self.errors
        for operation, new in chunk:
            slots.append((operation, new))
            if isinstance(new, dict):
                errors += 1
                if 0 < self.fail_on_errors <= errors:
                    break
        accepted = [new for _, new in slots if isinstance(new, persons.NewPerson)]
        try:
            people = iter(persons.people_create_checked(actor=self.actor, people=accepted))
        except DatabaseError:
            for operation, _ in slots:
                self.record(self.single(operation))
                if self.stopped:
                    return
            return
        for operation, new in slots:
            if isinstance(new, persons.NewPerson):
                self.record(self.created_result(operation, next(people)))
            else:
                self.record(new)

    def created_result(self, operation: dict[str, Any], person: Person) -> dict[str, Any]:
        self.created[operation["bulkId"]] = str(person.pk)
        return {
            "method": "POST",
            "status": "201",
            "bulkId": operation["bulkId"],
            "location": f"{self.view.base_url()}/Users/{person.pk}",
            "version": etag(person.version),
        }


def _matches(new: persons.NewPerson, names: set[str], ids: set[str]) -> bool:
    return (
        str(new.fields.get("user_name") or "").lower() in names
        or str(new.fields.get("external_id") or "") in ids
    )


def _failed(operation: dict[str, Any], answer: Response) -> dict[str, Any]:
    return {
        "method": "POST",
        "status": str(answer.status_code),
        "bulkId": operation["bulkId"],
        "response": answer.data,
    }
