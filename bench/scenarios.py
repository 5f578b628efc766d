"""The issue's seven scenarios as calls on the standard SCIM 2.0 API (RFC 7644). The ids
come from the data set's seed, so that every target is asked about the same people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bench import dataset
from bench.load import Call, Scenario

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PAGE = 100
# At 100,000 users a full import is 1,000 pages; the peer takes seconds per page, so the
# full run asks for this many pages, spread evenly from the first to the last.
FULL_IMPORT_PAGES = 60
# python-scim's reference server (bench.peers.scim2server), for what the issue compares
# with it: the single lookups, group PATCH and /Bulk.
SCIM2_SERVER = "scim2-server"
LOOKUP_TARGETS = frozenset({"portal", "peer", SCIM2_SERVER, "floor"})
GROUP_PATCH_TARGETS = frozenset({"portal", "peer", SCIM2_SERVER})
BULK_TARGETS = frozenset({"portal", SCIM2_SERVER})


@dataclass(frozen=True)
class Size:
    """How hard the run pushes: smoke (1,000 users, quick) or full."""

    lookups: int
    lists: int
    writes: int
    bulk: int
    bulk_operations: int
    max_seconds: float
    # A /Bulk request is 1,000 creations: tens of seconds by design, so its batch has a
    # limit of its own rather than being cut by the one for single requests.
    bulk_max_seconds: float


SMOKE = Size(
    lookups=20, lists=3, writes=10, bulk=1, bulk_operations=100, max_seconds=1.0,
    bulk_max_seconds=15.0,
)  # fmt: skip
FULL = Size(
    lookups=900, lists=60, writes=60, bulk=3, bulk_operations=1000, max_seconds=8.0,
    bulk_max_seconds=60.0,
)  # fmt: skip


def _filter(expression: str) -> str:
    return quote(expression, safe="")


def _one_result(document: Any) -> bool:
    return isinstance(document, dict) and document.get("totalResults") == 1


def _page_of(size: int) -> Any:
    def check(document: Any) -> bool:
        return isinstance(document, dict) and len(document.get("Resources") or []) == size

    return check


def _without_members(document: Any) -> bool:
    return isinstance(document, dict) and not document.get("members")


def _is_resource(document: Any) -> bool:
    return isinstance(document, dict) and bool(document.get("id"))


def _all_created(document: Any) -> bool:
    """A /Bulk answer whose every operation created its user: a 200 can carry refusals."""
    operations = document.get("Operations") if isinstance(document, dict) else None
    return (
        isinstance(operations, list)
        and bool(operations)
        and all(str(operation.get("status", "")).startswith("201") for operation in operations)
    )


def build(plan: dataset.Plan, size: Size, run_tag: str) -> list[Scenario]:
    persons = [str(person_id) for person_id in dataset.person_ids(plan)]
    groups = [str(group_id) for group_id in dataset.group_ids(plan)]
    big = dict(zip(dataset.BIG_GROUP_SIZES, groups[plan.ordinary_groups :], strict=True))
    small_group = groups[0]
    largest = max(plan.big_groups)
    non_members = persons[largest:]
    users = plan.users

    def lookup(attribute: str, value: Any) -> Any:
        def call(n: int) -> Call:
            index = (n * 7919) % users  # spread over the table, not one hot row
            expression = f'{attribute} eq "{value(index)}"'
            return Call("GET", f"/Users?filter={_filter(expression)}")

        return call

    def import_page(n: int) -> Call:
        pages = -(-users // PAGE)
        wanted = pages if size is SMOKE else min(pages, FULL_IMPORT_PAGES)
        page = (n % wanted) * pages // wanted
        return Call("GET", f"/Users?startIndex={page * PAGE + 1}&count={PAGE}")

    active = _filter("active eq true")
    # Deep, yet with a full page of active users behind it (about 95% are active).
    deep_start = int(users * 0.8) // PAGE * PAGE + 1

    def add_member(group: str) -> Any:
        return lambda n: Call("PATCH", f"/Groups/{group}", {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members",
                            "value": [{"value": non_members[n % len(non_members)]}]}],
        })  # fmt: skip

    def remove_filtered(group: str, members: int) -> Any:
        return lambda n: Call("PATCH", f"/Groups/{group}", {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove",
                            "path": f'members[value eq "{persons[n % (members // 2)]}"]'}],
        })  # fmt: skip

    def remove_listed(group: str, members: int) -> Any:
        return lambda n: Call("PATCH", f"/Groups/{group}", {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": "members",
                            "value": [{"value": persons[members // 2 + n % (members // 2)]}]}],
        })  # fmt: skip

    def entra_patch(n: int) -> Call:
        index = (n * 104729) % users
        return Call("PATCH", f"/Users/{persons[index]}", {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "title", "value": f"Title {n}"},
                {"op": "Replace", "path": "name.familyName", "value": f"Family{n}"},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Research"},
                {"op": "Add", "path": "displayName", "value": f"Person {n}"},
                {"op": "Replace", "path": "active", "value": True},
            ],
        })  # fmt: skip

    def user_body(index: int, *, user_name: str, title: str) -> dict[str, Any]:
        # A new user's externalId is named after its userName: one per POST and per /Bulk
        # operation, so that no create is refused as a duplicate of an earlier one.
        return {
            "schemas": [USER, ENTERPRISE],
            "userName": user_name,
            "externalId": user_name.partition("@")[0] if user_name.startswith(run_tag) else (
                dataset.external_id(index)),
            "name": {"givenName": "Okta", "familyName": f"User{index}"},
            "displayName": f"Okta User{index}",
            "title": title,
            "active": True,
            "emails": [{"value": f"{user_name}", "type": "work", "primary": True}],
            ENTERPRISE: {"employeeNumber": f"E{index:06d}", "department": "Sales"},
        }  # fmt: skip

    def okta_put(n: int) -> Call:
        index = (n * 15485863) % users
        body = user_body(index, user_name=dataset.user_name(index), title=f"Put {n}")
        body["emails"] = [{"value": dataset.work_email(index), "type": "work", "primary": True}]
        return Call("PUT", f"/Users/{persons[index]}", body)

    def post_user(n: int) -> Call:
        name = f"{run_tag}-{n}@{dataset.DOMAIN}"
        return Call("POST", "/Users", user_body(n, user_name=name, title="New"))

    def bulk(n: int) -> Call:
        operations = [
            {"method": "POST", "path": "/Users", "bulkId": f"b{n}-{k}",
             "data": user_body(k, user_name=f"{run_tag}-bulk{n}-{k}@{dataset.DOMAIN}",
                               title="Bulk")}
            for k in range(size.bulk_operations)
        ]  # fmt: skip
        return Call("POST", "/Bulk", {"schemas": [BULK], "Operations": operations})

    scenarios = [
        Scenario("lookup_username", "userName eq", 1,
                 lookup("userName", dataset.user_name), size.lookups, _one_result, LOOKUP_TARGETS),
        Scenario("lookup_external_id", "externalId eq", 1,
                 lookup("externalId", dataset.external_id), size.lookups, _one_result,
                 LOOKUP_TARGETS),
        Scenario("lookup_email", 'emails[type eq "work"].value eq', 1,
                 lookup('emails[type eq "work"].value', dataset.work_email), size.lookups,
                 _one_result, LOOKUP_TARGETS),
        Scenario("full_import", "full import, count=100", 2, import_page, size.lists,
                 _page_of(PAGE)),
        Scenario("active_page", "active eq true, count=100", 3,
                 lambda n: Call("GET", f"/Users?filter={active}&count={PAGE}"),
                 size.lists, _page_of(PAGE)),
        Scenario("active_deep_page", "active eq true, deep page", 3,
                 lambda n: Call("GET", f"/Users?filter={active}&startIndex={deep_start}"
                                       f"&count={PAGE}"), size.lists, _page_of(PAGE)),
        Scenario("group_small_excluded", "small group, members excluded", 4,
                 lambda n: Call("GET", f"/Groups/{small_group}?excludedAttributes=members"),
                 size.lookups, _without_members),
        Scenario("group_50k_excluded", "50k group, members excluded", 4,
                 lambda n: Call("GET", f"/Groups/{big[50_000]}?excludedAttributes=members"),
                 size.lookups, _without_members),
        Scenario("group_display_name", "Groups displayName eq", 4,
                 lambda n: Call("GET", "/Groups?excludedAttributes=members&filter=" + _filter(
                     f'displayName eq "bench-group-{n % plan.ordinary_groups:04d}"')),
                 size.lookups, _one_result),
    ]  # fmt: skip
    for full_size, actual in zip(dataset.BIG_GROUP_SIZES, plan.big_groups, strict=True):
        label = f"{full_size // 1000}k"
        group = big[full_size]
        scenarios += [
            Scenario(f"patch_add_{label}", f"PATCH add member, {label} group", 5,
                     add_member(group), size.writes, targets=GROUP_PATCH_TARGETS),
            Scenario(f"patch_remove_filter_{label}",
                     f"PATCH remove members[value eq], {label} group", 5,
                     remove_filtered(group, actual), size.writes,
                     targets=GROUP_PATCH_TARGETS),
            Scenario(f"patch_remove_list_{label}", f"PATCH remove value list, {label} group", 5,
                     remove_listed(group, actual), size.writes, targets=GROUP_PATCH_TARGETS),
        ]  # fmt: skip
    scenarios += [
        Scenario("user_patch_entra", "Entra multi-operation user PATCH", 6, entra_patch,
                 size.writes),
        Scenario("user_put_okta", "Okta user PUT", 6, okta_put, size.writes, _is_resource),
        Scenario("user_post", "POST /Users", 7, post_user, size.writes, _is_resource),
        Scenario("bulk_1000", f"/Bulk, {size.bulk_operations:,} operations", 7, bulk,
                 size.bulk, _all_created, BULK_TARGETS, size.bulk_max_seconds),
    ]  # fmt: skip
    return scenarios
