"""E-mail addresses as SCIM carries them: what scim2-models accepts as a User's
emails.value, pydantic's EmailStr (email-validator, without a deliverability check), and
what the portal's mail server can deliver to: a non-ASCII mailbox (before the @) only when
it declares SMTPUTF8 (EMAIL_SMTPUTF8). Non-ASCII domains are fine; they go out as IDNA.

Every address the portal stores is held to this rule, whoever enters it (the admin's
forms, the services), so that no stored address can make a SCIM answer fail: Django's
own EmailValidator lets through addresses EmailStr refuses (at localhost, at a reserved
name such as .local)."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError as FieldError
from pydantic import EmailStr, TypeAdapter, ValidationError

_ADDRESS = TypeAdapter(EmailStr)


def address_problem(value: str) -> str | None:
    """Why the portal cannot store this address, in words for the person who typed it, or
    None if it can."""
    if problem := _syntax_problem(value):
        return problem
    mailbox = value.rpartition("@")[0]
    if not mailbox.isascii() and not settings.EMAIL_SMTPUTF8:
        return (
            "The part before the @-sign has letters outside plain ASCII (such as é), which "
            "the portal's mail server cannot deliver to. Use the address's ASCII form."
        )
    return None


@lru_cache(maxsize=4096)
def _syntax_problem(value: str) -> str | None:
    """EmailStr's refusal, if any. Cached: a batch checks each address more than once
    (its check, then the insert's), and email-validator is the costly part."""
    try:
        _ADDRESS.validate_python(value)
    except ValidationError as error:
        reason = error.errors()[0].get("ctx", {}).get("reason", "")
        return f"This is not a valid e-mail address. {reason}".strip()
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
