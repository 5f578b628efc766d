"""Placeholder for the SCIM filter translation (filter -> Django Q); replaced at merge by
the full FilterVisitor. It understands only `eq` on the identifying attributes."""

import re

from django.db.models import Q

from provisioning.errors import ProvisioningError


class InvalidFilterError(ProvisioningError):
    """str(error) is the detail of the SCIM error body."""


EQUALS = re.compile(r'^\s*(?P<attribute>[A-Za-z]+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I)

USER_ATTRIBUTES = {"username": "user_name__iexact", "externalid": "external_id"}
GROUP_ATTRIBUTES = {"displayname": "display_name__iexact", "externalid": "external_id"}


def _filter(expression: str, attributes: dict[str, str]) -> Q:
    match = EQUALS.match(expression)
    if not match or match["attribute"].lower() not in attributes:
        raise InvalidFilterError(f"Unsupported filter: {expression}")
    value = match["value"].replace('\\"', '"').replace("\\\\", "\\")
    return Q(**{attributes[match["attribute"].lower()]: value})


def user_filter(expression: str) -> Q:
    return _filter(expression, USER_ATTRIBUTES)


def group_filter(expression: str) -> Q:
    return _filter(expression, GROUP_ATTRIBUTES)


def user_ordering(sort_by: str | None, descending: bool) -> list[str]:
    return _ordering(sort_by, descending, {"username": "user_name"}, ["created", "id"])


def group_ordering(sort_by: str | None, descending: bool) -> list[str]:
    return _ordering(sort_by, descending, {"displayname": "display_name"}, ["created", "id"])


def _ordering(
    sort_by: str | None, descending: bool, fields: dict[str, str], tiebreak: list[str]
) -> list[str]:
    if not sort_by:
        return tiebreak
    field = fields.get(sort_by.lower())
    if field is None:
        raise InvalidFilterError(f"Cannot sort by {sort_by}")
    return [f"-{field}" if descending else field, *tiebreak]
