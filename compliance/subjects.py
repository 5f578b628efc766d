"""The identity domain's data subjects, as compliance sees them. Compliance imports no
domain model: a subject is the domain's record of a person, opaque here but for its
primary key, whose text is the pseudonymous subject id the audit trail is keyed by.

What compliance must know beyond that the domain registers once, from its
AppConfig.ready(): how the audit trail is searched and read by people's names, and what the
DSAR engines need (whom an operator names, what identifies someone, whom a restored backup
brought back).

    register_subject_resolver(SubjectResolver(search=..., names=..., find=..., ...))

Names are resolved through the live people table: an erased subject has no name left to be
found by or shown with.
"""

from collections.abc import Callable, Collection, Mapping
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

    # A search term (a name, a username, an e-mail address, an employee number) -> the ids
    # of the subjects it finds (a bounded number): the audit trail's search.
    search: Callable[[str], list[str]]
    # Subject ids -> a display name for each one still known; one query for all of them.
    names: Callable[[Collection[str]], Mapping[str, str]]
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
    """The registered resolver; the DSAR engines cannot work without one."""
    if _resolver is None:
        raise ImproperlyConfigured("no app registered the data subjects' resolver")
    return _resolver


def subject_id(subject: Subject) -> str:
    return str(subject.pk)


def subjects_matching(term: str) -> list[str]:
    """The ids of the subjects a search term finds; none without a registered domain."""
    return _resolver.search(term) if _resolver and term.strip() else []


def subject_names(subject_ids: Collection[str]) -> Mapping[str, str]:
    """Display names of the subjects still known; none without a registered domain."""
    wanted = [subject_id for subject_id in subject_ids if subject_id]
    return _resolver.names(wanted) if _resolver and wanted else {}
