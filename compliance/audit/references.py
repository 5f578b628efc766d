"""Audit details name other people only by their pseudonymous subject id (a detail is
encrypted under its own subject's key, and would keep another person's name past that
person's erasure). Readers show a name instead while the person still exists: the domain
registers, from its AppConfig.ready(), which detail keys hold a subject id; the names come
from the registered subject resolver (compliance.subjects)."""

from collections.abc import Iterable, Mapping
from typing import Any

_KEYS: set[str] = set()


def register_subject_reference(key: str) -> None:
    """Detail values under `key` are subject ids."""
    _KEYS.add(key)


def referenced_subjects(details: Iterable[Mapping[str, Any] | None]) -> set[str]:
    """The subject ids that these details (with their before/after parts) refer to."""
    found: set[str] = set()
    for detail in details:
        for part in (detail or {}, (detail or {}).get("before"), (detail or {}).get("after")):
            if isinstance(part, Mapping):
                found.update(str(part[key]) for key in _KEYS if part.get(key))
    return found


def shown(details: dict[str, Any] | None, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The details with each reference to a person who still exists shown by name."""

    def part(values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return {
            key: names.get(str(value), value) if key in _KEYS and value else value
            for key, value in values.items()
        }

    if details is None:
        return None
    return {
        key: part(value) if key in ("before", "after") else value
        for key, value in part(details).items()
    }
