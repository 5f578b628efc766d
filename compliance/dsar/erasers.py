"""The registry of erasers: each removes or anonymises a subject in one store and returns
what it did (counts, a downstream system's answer) for the receipt, with no personal data.

Each eraser runs inside its own transaction together with the record of its completion,
so it either finished or left nothing behind, and a retry skips it. An eraser must be
idempotent: after a crash between its external effect and the commit it runs again.

Outbound connectors register one eraser per downstream application:

    register_eraser("downstream:slack", "Slack (SCIM)", delete_in_slack, order=DOWNSTREAM)
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compliance.audit.actor import Actor
from compliance.subjects import SubjectT

# Each app's eraser takes its own record of the subject: the one the domain locked.
Erase = Callable[[Any, Actor], dict[str, Any]]

# Order bands: identifiers are recorded first, downstream systems are told while the
# subject's identifiers still exist here, then local stores, and the subject key last.
LEDGER = 0
DOWNSTREAM = 10
LOCAL = 50
ANONYMISE = 80
KEYS = 100


@dataclass(frozen=True)
class Eraser:
    name: str
    store: str
    erase: Erase
    order: int


_ERASERS: dict[str, Eraser] = {}


def register_eraser(
    name: str,
    store: str,
    function: Callable[[SubjectT, Actor], dict[str, Any]],
    *,
    order: int = LOCAL,
) -> None:
    """Register (or replace, by name) the eraser of one store."""
    _ERASERS[name] = Eraser(name, store, function, order)


def unregister_eraser(name: str) -> None:
    _ERASERS.pop(name, None)


def registered() -> tuple[Eraser, ...]:
    return tuple(sorted(_ERASERS.values(), key=lambda eraser: (eraser.order, eraser.name)))
