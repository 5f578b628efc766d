"""Finding and naming data subjects without knowing the domain's models.

The audit trail keys everything to a pseudonymous subject id. People search it by what
they know (a name, a username, an e-mail address, an employee number) and read it by
names, so the identity domain registers a directory here in its `AppConfig.ready()`.
Resolution goes through the live people table: an erased subject has no name left to be
found by or shown with.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectDirectory:
    # A search term -> the ids of the subjects it finds (a bounded number).
    find: Callable[[str], list[str]]
    # Subject ids -> a display name for each one still known; one query for all of them.
    names: Callable[[Collection[str]], Mapping[str, str]]


_directory: SubjectDirectory | None = None


def register_subject_directory(directory: SubjectDirectory) -> None:
    global _directory  # one directory per process, set at start-up
    _directory = directory


def subjects_matching(term: str) -> list[str]:
    return _directory.find(term) if _directory and term.strip() else []


def subject_names(subject_ids: Collection[str]) -> Mapping[str, str]:
    wanted = [subject_id for subject_id in subject_ids if subject_id]
    return _directory.names(wanted) if _directory and wanted else {}
