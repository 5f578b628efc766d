"""Staff sign-in events for the audit trail."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.actor import Actor, request_context
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action, ActorKind, Channel, Outcome
from portal.models import StaffUser


@receiver(user_logged_in)
def record_login(sender: Any, request: HttpRequest, user: StaffUser, **kwargs: Any) -> None:
    event_record(actor=Actor.staff(user, request=request), action=Action.STAFF_LOGIN, target=user)


@receiver(user_logged_out)
def record_logout(sender: Any, request: HttpRequest, user: StaffUser | None, **kwargs: Any) -> None:
    if user is not None:
        actor = Actor.staff(user, request=request)
        event_record(actor=actor, action=Action.STAFF_LOGOUT, target=user)


@receiver(user_login_failed)
def record_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    actor = Actor(
        kind=ActorKind.STAFF,
        identifier="unknown",
        label=username,
        channel=Channel.ADMIN,
        **request_context(request),
    )
    event_record(
        actor=actor,
        action=Action.STAFF_LOGIN_FAILED,
        target=("portal.staffuser", username),
        outcome=Outcome.DENIED,
    )


@receiver(post_save, sender=TOTPDevice)
def record_enrolment(sender: Any, instance: TOTPDevice, created: bool, **kwargs: Any) -> None:
    if created and instance.confirmed:
        user = instance.user
        actor = Actor.staff(user)
        event_record(actor=actor, action=Action.STAFF_MFA_ENROLLED, target=user)
