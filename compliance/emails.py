"""E-mail from compliance (a raised incident's notice to the privacy officers).

The door is the identity domain's `provisioning.emails.email_send`: it renders the
templates, keeps the copy linked to the people it concerns and writes to the outbox. The
domain registers it here in its `AppConfig.ready()`, so that compliance sends through the
same door without importing it.
"""

from collections.abc import Sequence
from typing import Any, Protocol


class EmailDoor(Protocol):
    def __call__(self, *, to: Sequence[str], template: str, context: dict[str, Any]) -> object: ...


_door: EmailDoor | None = None


def register_email_door(door: EmailDoor) -> None:
    global _door  # one door per process, set at start-up
    _door = door


def email_send(*, to: Sequence[str], template: str, context: dict[str, Any]) -> None:
    """Render templates/emails/<template>.{subject.txt,txt,html} and send it once the
    caller's transaction commits. Without a registered door this refuses: a notice that
    must go out is never dropped in silence."""
    if _door is None:
        raise LookupError("No e-mail door is registered (provisioning registers it in ready()).")
    _door(to=to, template=template, context=context)
