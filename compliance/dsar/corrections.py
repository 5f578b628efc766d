"""Correction (GDPR Art. 16, CCPA §1798.106): the identity domain's attributes a privacy
officer may correct, and its door for correcting them. Compliance imports no domain model;
the domain registers its corrector once, from its AppConfig.ready():

    register_corrector(Corrector(fields=..., current=..., correct=...))

The correction goes through the domain's own person service, so it is recorded there as a
change and pushed downstream like any other (through the outbox)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured

from compliance.audit.actor import Actor

# field -> (value before, value after), for the fields that changed.
Changes = dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Corrector:
    # A subject id -> the correctable attributes as form fields (label, help text, length),
    # by name, their contacts included; a new instance each call, since a form owns its
    # fields.
    fields: Callable[[str], dict[str, forms.Field]]
    # A subject id -> the current values of those attributes.
    current: Callable[[str], dict[str, Any]]
    # A subject id, the new values of the attributes to change, and who asks -> what
    # changed. Raises ControlRefusedError when the domain refuses a value.
    correct: Callable[[str, dict[str, Any], Actor], Changes]


_corrector: Corrector | None = None


def register_corrector(corrector: Corrector) -> None:
    global _corrector  # one identity domain per process, set at start-up
    _corrector = corrector


def corrector() -> Corrector:
    if _corrector is None:
        raise ImproperlyConfigured("no app registered a corrector for correction requests")
    return _corrector
