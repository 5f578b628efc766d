"""Every error under /scim/v2/ leaves as a SCIM Error body (RFC 7644 §3.12): `status` as a
string and the scimType that names the problem. Domain errors, scim2-models' validation
errors and DRF's own exceptions are all translated here."""

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from pydantic import ValidationError
from redis.exceptions import RedisError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback
from scim2_models import Error, SCIMException

from provisioning import errors as domain
from provisioning.scim.filters import FilterTooLargeError, InvalidFilterError

logger = logging.getLogger(__name__)


class ScimError(drf.APIException):
    """An error the SCIM views raise on purpose, with its HTTP status and scimType."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        self.status_code = status
        self.scim_type = scim_type
        super().__init__(detail)


def not_found(what: str = "resource") -> ScimError:
    return ScimError(404, f"No such {what}.")


def error_response(
    status: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = Error(status=status, scim_type=scim_type, detail=detail).model_dump()
    return Response(body, status=status, headers=headers)


def from_validation_error(error: ValidationError) -> Error:
    return Error.from_validation_error(error.errors()[0])


DOMAIN_ERRORS: tuple[tuple[type[Exception], int, str | None], ...] = (
    (domain.UniquenessError, 409, "uniqueness"),
    # The ledger still holds the identity: a conflict with an existing (erased) one, as
    # RFC 7644 §3.3 has it, not a malformed payload (400) the client should correct.
    (domain.ErasedIdentityError, 409, "uniqueness"),
    (domain.VersionConflictError, 412, None),
    # The record's current state forbids the change (RFC 7644 §3.12, "mutability").
    (domain.RestrictedPersonError, 400, "mutability"),
    (FilterTooLargeError, 400, "tooMany"),
    (InvalidFilterError, 400, "invalidFilter"),
    (domain.InvalidValueError, 400, "invalidValue"),
)

DRF_ERRORS: tuple[tuple[type[Exception], str | None], ...] = (
    (drf.ParseError, "invalidSyntax"),
    (drf.ValidationError, "invalidValue"),
)


# How long a client should wait when a service the portal depends on does not answer.
RETRY_AFTER_SECONDS = 30


def unavailable(detail: str) -> Response:
    """503 with Retry-After: identity providers retry such an answer later, as they should."""
    return error_response(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def scim_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """The DRF exception handler of the SCIM views."""
    response = _translate(exc)
    set_rollback()  # under ATOMIC_REQUESTS, an answered error still writes nothing
    return response


def error_answer(exc: Exception) -> Response:
    """The SCIM Error response a view answers for this exception, without marking any
    transaction for rollback: the answer to one operation of /Bulk."""
    return _translate(exc)


def _translate(exc: Exception) -> Response:
    if isinstance(exc, ScimError):
        if exc.status_code == 503:
            return unavailable(str(exc.detail))
        return error_response(exc.status_code, str(exc.detail), exc.scim_type)
    if isinstance(exc, SCIMException):
        error = exc.to_error()
        return Response(error.model_dump(), status=error.status or 400)
    if isinstance(exc, ValidationError):
        error = from_validation_error(exc)
        return Response(error.model_dump(), status=error.status or 400)
    for kind, status, scim_type in DOMAIN_ERRORS:
        if isinstance(exc, kind):
            return error_response(status, str(exc), scim_type)
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "The request body is too large.")
    if isinstance(exc, Http404):
        return error_response(404, "Not found.")
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return error_response(
            401, str(exc.detail), headers={"WWW-Authenticate": 'Bearer realm="scim"'}
        )
    if isinstance(exc, drf.APIException):
        scim_type = next((t for k, t in DRF_ERRORS if isinstance(exc, k)), None)
        headers = (
            {"Retry-After": str(getattr(exc, "wait", ""))}
            if isinstance(exc, drf.Throttled)
            else None
        )
        detail = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
        return error_response(exc.status_code, str(detail), scim_type, headers=headers)
    if isinstance(exc, UnicodeEncodeError):
        # The parser refuses lone surrogates in bodies; a filter's own escapes
        # (`userName eq "\\ud800"`) can still make one, which no database can encode.
        return error_response(
            400, "A value holds a lone surrogate, which is no text.", "invalidValue"
        )
    if isinstance(exc, DataError | OperationalError | InterfaceError | RedisError):
        return _refused_by_a_store(exc)
    logger.exception("Unexpected error in a SCIM request")
    return error_response(500, "Internal error; it has been logged.")


def _refused_by_a_store(exc: Exception) -> Response:
    """What the database or Redis refused. A value the database cannot hold (out of its
    type's range, longer than its column) is the client's to correct; SQLite refuses a LIKE
    pattern over 50,000 bytes, which only an absurd filter operand makes. Anything else
    (the connection lost, a deadlock, Redis down) passes: the client should try again."""
    if isinstance(exc, DataError):
        return error_response(
            400, "A value is out of range or too long for its attribute.", "invalidValue"
        )
    if isinstance(exc, OperationalError) and "pattern too complex" in str(exc):
        return error_response(400, "A filter's comparison value is too long.", "invalidFilter")
    logger.warning("A SCIM request could not reach a store: %r", exc)
    return unavailable("The service is temporarily unavailable; try again later.")


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(item) for item in detail)
    return str(detail)
