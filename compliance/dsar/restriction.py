"""The identity domain's doors for what a person asks of the processing itself: the
restriction of processing (GDPR Art. 18) and its lifting, the opt-out of sale or sharing
(CCPA §1798.120) and the limit on the use of sensitive personal information (§1798.121).
Registered once from the domain's AppConfig.ready() (register_processing_controls); each
door records its own audit event about the person and raises ControlRefused when the
domain refuses."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured

from compliance.audit.actor import Actor


@dataclass(frozen=True)
class ProcessingControls:
    # subject id, actor, reason: nothing pushed, no change but by a privacy officer.
    restrict: Callable[[str, Actor, str], None]
    # subject id, actor, reason: the restriction ends.
    lift: Callable[[str, Actor, str], None]
    # subject id -> since when their processing is restricted, or None.
    restricted_since: Callable[[str], datetime | None]
    # subject id, actor, the choice ("sale-opt-out" or "limit-sensitive").
    choose: Callable[[str, Actor, str], None]


_controls: ProcessingControls | None = None


def register_processing_controls(controls: ProcessingControls) -> None:
    global _controls  # one identity domain per process, set at start-up
    _controls = controls


def processing_controls() -> ProcessingControls:
    if _controls is None:
        raise ImproperlyConfigured("no app registered the processing controls")
    return _controls
