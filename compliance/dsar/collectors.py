"""The registry of collectors: each app registers, for each store it keeps, a function
returning a subject's records there. The export engine runs every registered collector.

Adding a store is one call, from the app's AppConfig.ready (or a module imported there):

    register_collector("grants", Category.ACCESS, lambda person: [...])
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from compliance.subjects import SubjectT

Records = Iterable[dict[str, Any]]
# Each app's collector takes its own record of the subject: the one the engine was given.
Collect = Callable[[Any], Records]


@dataclass(frozen=True)
class Collector:
    name: str
    category: str
    collect: Collect


_COLLECTORS: dict[str, Collector] = {}


def register_collector(name: str, category: str, function: Callable[[SubjectT], Records]) -> None:
    """Register (or replace, by name) the collector of one store. `category` is an
    inventory Category value; records are flat dicts of JSON-serialisable values."""
    _COLLECTORS[name] = Collector(name, str(category), function)


def unregister_collector(name: str) -> None:
    _COLLECTORS.pop(name, None)


def registered() -> tuple[Collector, ...]:
    return tuple(_COLLECTORS.values())
