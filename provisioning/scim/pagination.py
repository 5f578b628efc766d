"""startIndex/count pagination (RFC 7644 §3.4.2.4), capped at maxResults. The database
counts and slices; nothing is loaded beyond the page."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

from provisioning.scim.errors import ScimError

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def max_results() -> int:
    return int(settings.SCIM_MAX_RESULTS)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    start_index: int


# The largest offset a database can skip to (a signed 64-bit integer): a page starting
# beyond it is empty without asking, as any page beyond the last one is.
LARGEST_OFFSET = 2**63 - 1


def integer_parameter(raw: Any, name: str) -> int | None:
    """A whole number from a query string or a JSON body. A JSON number must be whole
    (`1e999` is infinity, `1.5` no count of anything); true and false are no numbers."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        try:
            return int(raw)
        except ValueError:  # also a string of more digits than Python converts
            pass
    raise ScimError(400, f"{name} must be an integer.", "invalidValue")


class ScimPagination(BasePagination):
    @staticmethod
    def start(parameters: dict[str, Any]) -> int:
        """startIndex, 1-based; values below 1 read as 1."""
        return max(integer_parameter(parameters.get("startIndex"), "startIndex") or 1, 1)

    def page(
        self,
        queryset: QuerySet[Any] | Callable[[], QuerySet[Any]],
        parameters: dict[str, Any],
        *,
        first_page: Callable[[int], list[Any]] | None = None,
    ) -> Page:
        """Slice `queryset` by startIndex (1-based, values below 1 read as 1) and count
        (negative reads as 0, capped at maxResults). `first_page(count)`, when given,
        reads the first page instead of the slice: the same items, read another way.
        `queryset` may be a function that builds it: it is then built only when needed,
        not for a first page that first_page reads and that is not full."""

        def rows() -> QuerySet[Any]:
            return queryset() if callable(queryset) else queryset

        start = self.start(parameters)
        count = integer_parameter(parameters.get("count"), "count")
        count = max_results() if count is None else min(max(count, 0), max_results())
        if not count or start - 1 + count > LARGEST_OFFSET:
            items = []
        elif start == 1 and first_page is not None:
            items = first_page(count)
        else:
            items = list(rows()[start - 1 : start - 1 + count])
        if count and len(items) < count and (items or start == 1):
            # A page that is not full ends the result set: its end is the total. This
            # spares the COUNT on the lookups identity providers send most (eq filters).
            total = start - 1 + len(items)
        else:
            total = rows().count()
        return Page(items=items, total=total, start_index=start)

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        return self.page(queryset, dict(request.query_params.items())).items

    @staticmethod
    def body(page: Page, resources: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": page.total,
            "startIndex": page.start_index,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
