"""Audit details name other people only by their pseudonymous subject id (a detail is
encrypted under its own subject's key, and would keep another person's name past that
person's erasure). Readers show a name instead while the person still exists: the domain
registers, from its AppConfig.ready(), which detail keys hold a subject id; the names come
from the registered subject resolver (compliance.subjects).

Details and facts name the objects they touch (a group, a role, a grant) by id as well, so
that the trail outlives a rename. A page a person reads shows their names instead: each app
registers, for the keys that hold its objects' ids, how to name a batch of them in one
query and what to say when one is gone."""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

_KEYS: set[str] = set()

# Said in place of a person the trail names by subject id once they are no longer known.
PERSON_GONE = "(a person no longer in the portal)"


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


def shown(
    details: dict[str, Any] | None, names: Mapping[str, str], *, gone: str | None = None
) -> dict[str, Any] | None:
    """The details with each reference to a person who still exists shown by name, and to
    one who does not by `gone` when given (else by their subject id)."""

    def part(values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return {
            key: names.get(str(value), value if gone is None else gone)
            if key in _KEYS and value
            else value
            for key, value in values.items()
        }

    if details is None:
        return None
    return {
        key: part(value) if key in ("before", "after") else value
        for key, value in part(details).items()
    }


@dataclass(frozen=True)
class ObjectReference:
    """Values under `keys`, in events whose action starts with `actions`, are ids of one
    kind of object: `names` gives the name of each one that still exists (one query for
    them all); `gone` is said of the others. A value that `is_key` refuses is not an id
    (an older event wrote a name there) and is shown as it is."""

    keys: frozenset[str]
    names: Callable[[Collection[str]], Mapping[str, str]]
    gone: str
    actions: str = ""
    is_key: Callable[[str], bool] = lambda value: True


_OBJECTS: list[ObjectReference] = []


def object_reference(
    keys: Collection[str],
    queryset: QuerySet[Any],
    name: Callable[[Any], str] = str,
    *,
    actions: str = "",
) -> ObjectReference:
    """Ids under `keys` are the primary keys of `queryset`'s rows, each named by `name`;
    a deleted one reads "(deleted <its model's name>)"."""
    model: type[Model] = queryset.model

    def is_key(value: str) -> bool:
        try:
            model._meta.pk.to_python(value)
        except ValidationError:
            return False
        return True

    def names(ids: Collection[str]) -> dict[str, str]:
        found = queryset.filter(pk__in=[i for i in ids if is_key(i)])
        return {str(instance.pk): name(instance) for instance in found}

    return ObjectReference(
        keys=frozenset(keys),
        names=names,
        gone=f"(deleted {model._meta.verbose_name})",
        actions=actions,
        is_key=is_key,
    )


def register_object_reference(reference: ObjectReference) -> None:
    _OBJECTS.append(reference)


def _reference(action: str, key: str) -> ObjectReference | None:
    """The most specific registration for this key in this action (the longest prefix)."""
    found = [r for r in _OBJECTS if key in r.keys and action.startswith(r.actions)]
    return max(found, key=lambda r: len(r.actions), default=None)


Labels = dict[tuple[int, str], str]


def object_labels(facts: Iterable[tuple[str, Mapping[str, Any]]]) -> Labels:
    """For (action, facts) pairs, the name to show for each (kind, id) they refer to, the
    ids of each kind named in one query."""
    wanted: dict[int, set[str]] = {}
    for action, values in facts:
        for key, value in values.items():
            reference = _reference(action, key) if value else None
            if reference and reference.is_key(str(value)):
                wanted.setdefault(id(reference), set()).add(str(value))
    labels: Labels = {}
    for reference in _OBJECTS:
        ids = wanted.get(id(reference))
        if ids:
            names = reference.names(ids)
            labels.update({(id(reference), i): names.get(i, reference.gone) for i in ids})
    return labels


def named_facts(action: str, values: Mapping[str, Any], labels: Labels) -> dict[str, Any]:
    """The facts with each object id replaced by its label."""
    shown_values: dict[str, Any] = {}
    for key, value in values.items():
        reference = _reference(action, key) if value else None
        shown_values[key] = labels.get((id(reference), str(value)), value) if reference else value
    return shown_values
