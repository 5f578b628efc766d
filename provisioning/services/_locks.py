"""The person row locked for the change under way (persons.person_locked), for the
services that change the same person inside it: they work on the row already locked,
read with the person's contacts and groups, instead of locking and reading it again; and
the person is pushed downstream once for the whole change, however many of them changed
the row or the person's access."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

from provisioning import signals
from provisioning.models import Person


@dataclass
class _Change:
    person: Person
    pushed: bool = False  # whether a service changed the row in a way worth pushing


_HELD: ContextVar[_Change | None] = ContextVar("person_locked", default=None)


@contextmanager
def holding(person: Person) -> Iterator[Person]:
    """Hold the locked row for the services called inside; when the block ends without
    error, queue the person's outbound pushes if any of them asked for it (person_pushed),
    still inside the change's transaction."""
    change = _Change(person)
    token = _HELD.set(change)
    try:
        yield person
    finally:
        _HELD.reset(token)
    if change.pushed:
        signals.person_changed_on_commit(person.pk)


def locked_row(person_id: UUID) -> Person | None:
    """The locked row of this person, if the change under way holds it."""
    change = _HELD.get()
    return change.person if change is not None and change.person.pk == person_id else None


def person_pushed(person_id: UUID) -> None:
    """Queue the person's outbound pushes: once, when the change holding their row ends (a
    returner whose attributes also changed is pushed once, not once per service), or now
    outside one. A push reads the person as they are when it runs, so one is enough."""
    change = _HELD.get()
    if change is not None and change.person.pk == person_id:
        change.pushed = True
    else:
        signals.person_changed_on_commit(person_id)


def people_pushed(person_ids: Iterable[UUID]) -> None:
    """person_pushed for the people whose access changed, in one signal for those whose
    row no change holds: a grant given or ended inside a person's change (the mover's, the
    leaver's, the returner's) joins that change's one push."""
    change = _HELD.get()
    others = []
    for person_id in person_ids:
        if change is not None and change.person.pk == person_id:
            change.pushed = True
        else:
            others.append(person_id)
    if others:
        signals.access_changed_on_commit(others)
