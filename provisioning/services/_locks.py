"""The person row locked for the change under way (persons.person_locked), for the
services that change the same person inside it: they work on the row already locked,
read with the person's contacts and groups, instead of locking and reading it again."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from provisioning.models import Person

_HELD: ContextVar[Person | None] = ContextVar("person_locked", default=None)


@contextmanager
def holding(person: Person) -> Iterator[Person]:
    token = _HELD.set(person)
    try:
        yield person
    finally:
        _HELD.reset(token)


def locked_row(person_id: UUID) -> Person | None:
    """The locked row of this person, if the change under way holds it."""
    person = _HELD.get()
    return person if person is not None and person.pk == person_id else None
