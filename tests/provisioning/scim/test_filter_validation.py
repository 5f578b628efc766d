"""The portal checks a filter with scim2-models' own rules, only with cached
TypeAdapters: it must accept and refuse exactly the filters the library does."""

import uuid
from functools import partial
from typing import Any
from unittest import mock
from urllib.parse import quote

import email_validator
import pytest
from scim2_models import EnterpriseUser, ScimFilter, User
from scim2_models import Group as GroupResource
from scim2_models.exceptions import InvalidFilterException

from provisioning.scim import filters
from provisioning.scim.filters import InvalidFilterError
from tests.provisioning.scim.agreements import EVERY_ATTRIBUTE

user_filter = partial(filters.user_filter, agreement=EVERY_ATTRIBUTE)
group_filter = partial(filters.group_filter, agreement=EVERY_ATTRIBUTE)

USER_FILTERS = [
    'userName eq "ada@example.org"',
    'emails[type eq "work"].value eq "ada@example.org"',
    'emails[type eq "work"].value eq "not an address"',
    'emails[type eq "work" and value co "ada"]',
    'emails.value eq "ada@example.org"',
    'emails.value eq "@"',
    "title eq null",
    "active eq true",
    'active eq "yes"',
    'active gt "2024"',
    'meta.lastModified gt "2024-01-01T00:00:00Z"',
    'meta.lastModified gt "yesterday"',
    'userName[value eq "x"]',
    'phoneNumbers[type eq "work"].value sw "+44"',
    "externalId eq 12",
]
GROUP_FILTERS = [
    'displayName eq "Staff"',
    'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
    "members.value eq 12",
    'meta.created lt "not a date"',
]


def library_accepts(model: type, expression: str) -> bool:
    try:
        ScimFilter[model](expression)  # type: ignore[valid-type]
    except InvalidFilterException:
        return False
    return True


def portal_accepts(translate: object, expression: str) -> bool:
    try:
        translate(expression)  # type: ignore[operator]
    except InvalidFilterError as error:
        return "not supported" in str(error) or "unknown attribute" in str(error)
    return True


@pytest.mark.parametrize("expression", USER_FILTERS)
def test_user_filters_are_refused_as_scim2_models_refuses_them(expression: str):
    assert portal_accepts(user_filter, expression) == library_accepts(
        User[EnterpriseUser], expression
    )


@pytest.mark.parametrize("expression", GROUP_FILTERS)
def test_group_filters_are_refused_as_scim2_models_refuses_them(expression: str):
    assert portal_accepts(group_filter, expression) == library_accepts(GroupResource, expression)


@pytest.mark.django_db
def test_an_email_lookup_validates_its_address_once(scim: Any):
    """The semantic check and the translation both validate the value: the second time
    is a cache hit, as an address costs about 0.1 ms to validate."""
    address = f"{uuid.uuid4().hex}@example.org"  # never validated before in this process
    wrapped = mock.patch.object(
        email_validator, "validate_email", wraps=email_validator.validate_email
    )
    with wrapped as validate:
        response = scim.get("Users?filter=" + quote(f'emails[type eq "work"].value eq "{address}"'))

    assert response.status_code == 200
    assert response.json()["totalResults"] == 0
    assert validate.call_count == 1


def test_a_refused_value_is_refused_every_time():
    expression = 'emails[type eq "work"].value eq "not an address"'
    for _ in range(2):
        with pytest.raises(InvalidFilterError, match="not valid"):
            user_filter(expression)
