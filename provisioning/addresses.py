"""E-mail addresses as SCIM carries them: what scim2-models accepts as a User's
emails.value, pydantic's EmailStr (email-validator, without a deliverability check).

Every address the portal stores is held to this rule, whoever enters it (the admin's
forms, the services), so that no stored address can make a SCIM answer fail: Django's
own EmailValidator lets through addresses EmailStr refuses (at localhost, at a reserved
name such as .local)."""

from django.core.exceptions import ValidationError as FieldError
from pydantic import EmailStr, TypeAdapter, ValidationError

_ADDRESS = TypeAdapter(EmailStr)


def address_problem(value: str) -> str | None:
    """Why SCIM cannot carry this address, or None if it can."""
    try:
        _ADDRESS.validate_python(value)
    except ValidationError as error:
        return str(error.errors()[0]["msg"])
    return None


def address_for_scim(value: str) -> str | None:
    """The address as SCIM gives it back (its domain in lowercase, say), or None for an
    address stored before the rule held, which SCIM cannot carry."""
    try:
        return str(_ADDRESS.validate_python(value))
    except ValidationError:
        return None


def validate_address(value: str) -> None:
    """A model field's validator: an address SCIM can carry."""
    problem = address_problem(value)
    if problem is not None:
        raise FieldError(problem, code="invalid")
