"""People as compliance's data subjects (compliance.subjects): searched for and named in
the audit trail; for the DSAR engines found by userName, described, locked for an eraser,
singled out by their identifiers, and found again after a backup restore brought back
someone the erasure ledger says was erased."""

from compliance.dsar import ledger
from compliance.subjects import Identifier, SubjectResolver
from provisioning.models import Person
from provisioning.selectors import person_ids_matching, person_names


def person_named(user_name: str) -> Person | None:
    """The person whose userName this is, case ignored."""
    return Person.objects.filter(user_name__iexact=user_name).first()


def person_described(person: Person) -> dict[str, str]:
    return {"user_name": person.user_name}


def person_locked(subject_id: str) -> Person:
    return Person.objects.select_for_update().get(pk=subject_id)


def person_identifiers(person: Person) -> list[Identifier]:
    """The identifiers that single a person out, as stored on their record. Not phone
    numbers: a desk or switchboard number is shared, and matching on it would erase a
    colleague after a restore (reapply_erasures) or refuse them at a door."""
    found: list[Identifier] = [
        ("user_name", person.user_name),
        ("external_id", person.external_id),
        ("employee_number", person.employee_number),
    ]
    # .all() so a caller's prefetch_related is used when it made one.
    found += [("email", email.value) for email in person.emails.all()]
    return [(kind, value) for kind, value in found if value]


def people_erased_again(chunk_size: int) -> list[Person]:
    """People whose identifiers hash into the ledger, read a chunk at a time."""
    found: list[Person] = []
    chunk: list[Person] = []
    people = Person.objects.exclude(user_name__startswith="erased-").prefetch_related("emails")
    for person in people.iterator(chunk_size=chunk_size):
        chunk.append(person)
        if len(chunk) == chunk_size:
            found += _known(chunk)
            chunk = []
    return found + _known(chunk)


def _known(chunk: list[Person]) -> list[Person]:
    by_person = [(person, ledger.digests(person_identifiers(person))) for person in chunk]
    known = ledger.ledger_known(digest for _, digests in by_person for digest in digests)
    return [person for person, digests in by_person if known.intersection(digests)]


RESOLVER = SubjectResolver[Person](
    search=person_ids_matching,
    names=person_names,
    find=person_named,
    describe=person_described,
    lock=person_locked,
    identifiers=person_identifiers,
    erased_again=people_erased_again,
)
