"""The data subjects of requests, legal holds, exports and erasures, as the identity
domain presents them. Compliance imports no domain model: a subject is the domain's
record of a person, opaque here but for its primary key, whose text is the pseudonymous
subject id the audit trail is keyed by.

What the engines must know beyond that (whom an operator names, what identifies someone,
whom a restored backup brought back) the domain registers once, from its
AppConfig.ready():

    register_subject_resolver(SubjectResolver(find=..., describe=..., lock=..., ...))
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured

# (kind, value): ("email", "ada@example.org"), as the erasure ledger hashes them.
Identifier = tuple[str, str]


class Subject(Protocol):
    """The domain's record of a data subject. Collectors and erasers receive the one the
    resolver gave; the engines read only its primary key."""

    @property
    def pk(self) -> Any: ...


SubjectT = TypeVar("SubjectT", bound=Subject)


@dataclass(frozen=True)
class SubjectResolver(Generic[SubjectT]):
    """Typed on the domain's own record; the engines hand back only what it gave them."""

    # An operator's name for a subject (the `dsar` command's argument) -> the subject.
    find: Callable[[str], SubjectT | None]
    # A subject -> the identifiers a request made on the command line records for them.
    describe: Callable[[SubjectT], dict[str, str]]
    # A subject id -> its record, locked until the caller's transaction ends: an eraser
    # works on a record no one else changes meanwhile.
    lock: Callable[[str], SubjectT]
    # A subject -> the identifiers that single them out, for the erasure ledger.
    identifiers: Callable[[SubjectT], list[Identifier]]
    # A chunk size -> the subjects whose identifiers the erasure ledger holds (a restored
    # backup brought them back), read that many at a time.
    erased_again: Callable[[int], list[SubjectT]]


_resolver: SubjectResolver[Any] | None = None


def register_subject_resolver(resolver: SubjectResolver[Any]) -> None:
    global _resolver  # one identity domain per process, set at start-up
    _resolver = resolver


def subject_resolver() -> SubjectResolver[Any]:
    if _resolver is None:
        raise ImproperlyConfigured("no app registered the data subjects' resolver")
    return _resolver


def subject_id(subject: Subject) -> str:
    return str(subject.pk)
