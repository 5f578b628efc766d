"""The erasure ledger at every door: creating a person (SCIM POST and Bulk, the admin,
onboarding), changing a person's identifiers (SCIM PUT and PATCH, the admin) and bringing
one back (re-activation) first ask whether the identity was erased at the data subject's
request. A match is refused with ErasedIdentityError; the refusal is recorded and a
finding opened for the privacy officers (compliance.dsar.services), committed
before the error is raised. So the person services call these before opening their own
transaction, and the admin from its forms (whose error response commits)."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from compliance.audit.actor import Actor
from compliance.dsar import ledger
from compliance.dsar.models import Erasure
from compliance.dsar.services import erased_identity_refused
from provisioning.errors import ErasedIdentityError
from provisioning.models import Person
from provisioning.subjects import person_identifiers

# The attributes that single a person out. Phone numbers are not among them: a desk or
# switchboard number is shared, and would refuse people who were never erased.
IDENTIFYING_FIELDS = ("user_name", "external_id", "employee_number")


# Set while a service that asked calls another with the same identifiers (a SCIM POST
# creating or bringing back a person, a replace updating one): the inner one asks no more.
_ASKED: ContextVar[bool] = ContextVar("erasure_ledger_asked", default=False)


@contextmanager
def ledger_asked() -> Iterator[None]:
    """Within this block the ledger has been asked about the identifiers at hand."""
    token = _ASKED.set(True)
    try:
        yield
    finally:
        _ASKED.reset(token)


def erased_identity_check(
    *, actor: Actor, fields: Mapping[str, Any], emails: Iterable[str] = ()
) -> None:
    """Refuse identifiers (the given ones of `fields`, and e-mail addresses) that the
    erasure ledger holds. One query on the key store, none when nothing identifying is
    given."""
    if _ASKED.get():
        return
    identifiers = _identifiers(fields, emails)
    if not identifiers:
        return
    if found := ledger.ledger_blocking(identifiers):
        erased_identity_refused(actor=actor, digests=found)
        raise ErasedIdentityError


def erased_identities_check(
    *, actor: Actor, identities: Sequence[tuple[Mapping[str, Any], Iterable[str]]]
) -> list[bool]:
    """erased_identity_check for a batch (a /Bulk request, a batch of hires): which of
    these identities (fields and e-mail addresses) the ledger holds, in order, from one
    query on the key store however many are asked about. Each refused one is recorded as
    erased_identity_check records one; nothing is raised, the caller refuses them."""
    if _ASKED.get():
        return [False] * len(identities)
    # Each identity's digests hashed once (sorted), for the query and for its answer.
    asked = [ledger.digests(_identifiers(fields, emails)) for fields, emails in identities]
    held = ledger.ledger_known(digest for digests in asked for digest in digests)
    refused = []
    for digests in asked:
        found = [digest for digest in digests if digest in held]
        if found:
            erased_identity_refused(actor=actor, digests=found)
        refused.append(bool(found))
    return refused


def _identifiers(fields: Mapping[str, Any], emails: Iterable[str]) -> list[tuple[str, str]]:
    """The identifiers of a new or changed person that the ledger is asked about."""
    identifiers = [(name, str(fields[name])) for name in IDENTIFYING_FIELDS if fields.get(name)]
    return identifiers + [("email", address) for address in emails if address]


def erased_person_check(*, actor: Actor, person: Person) -> None:
    """Refuse to bring back a person who was erased (their pseudonymous stub: a rehire is
    a new record), or whose identifiers the ledger holds (a restored backup's copy that
    reapply_erasures has not reached yet)."""
    if _ASKED.get():
        return
    if Erasure.objects.filter(person_id=person.pk).exists():
        erased_identity_refused(
            actor=actor,
            digests=[ledger.digest("subject", str(person.pk))],
            subject_id=str(person.pk),
        )
        raise ErasedIdentityError
    identifying = [(kind, value) for kind, value in person_identifiers(person) if kind != "phone"]
    if found := ledger.ledger_blocking(identifying):
        erased_identity_refused(actor=actor, digests=found, subject_id=str(person.pk))
        raise ErasedIdentityError
