"""The erasure engine: run every registered eraser for a subject, each in its own
transaction with the record of its completion, then write a receipt without personal data.

A run killed halfway leaves the completed steps recorded; running it again skips them and
finishes the rest. Nothing is left half-done: each eraser commits whole or not at all."""

import json
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from compliance.dsar import erasers, progress, services
from compliance.dsar.models import DataSubjectRequest, Erasure, ErasureStep, RequestType
from compliance.errors import LegalHoldError, RequestStateError
from compliance.subjects import Subject, subject_resolver

RECEIPT_DIR = "dsar/receipts"


def request_erase(*, actor: Actor, request: DataSubjectRequest) -> Erasure:
    """Erase the subject of a verified deletion request, unless a legal hold blocks it.
    Running it again resumes an interrupted erasure and otherwise changes nothing."""
    if request.type != RequestType.DELETION:
        raise RequestStateError("only a deletion request erases data")
    if request.person_id is None:
        raise RequestStateError("no person matches this request; there is nothing to erase")
    _refuse_if_held(request.person_id)
    request = progress.request_start(request=request, label="erasing")
    erasure, _ = Erasure.objects.get_or_create(
        request=request, defaults={"person_id": request.person_id, "reason": Erasure.Reason.REQUEST}
    )
    erasure_run(actor=actor, erasure=erasure, request=request)
    progress.request_fulfilled(request=request)
    return erasure


def person_erase(*, actor: Actor, person: Subject, reason: str) -> Erasure:
    """Erase a subject without a request: at the end of retention, or after a restore."""
    _refuse_if_held(person.pk)
    erasure = Erasure.objects.filter(person_id=person.pk, completed_at__isnull=True).first()
    if erasure is None:
        erasure = Erasure.objects.create(person_id=person.pk, reason=reason)
    return erasure_run(actor=actor, erasure=erasure)


def erasure_run(
    *, actor: Actor, erasure: Erasure, request: DataSubjectRequest | None = None
) -> Erasure:
    """Run the erasers not yet completed for this erasure, in order, then the receipt."""
    done = set(erasure.steps.values_list("eraser", flat=True))
    registered = erasers.registered()
    for number, eraser in enumerate(registered, start=1):
        if eraser.name not in done:
            _step(actor, erasure, eraser)
        if request is not None:
            progress.request_progress(
                request=request,
                percent=int(95 * number / len(registered)),
                label=f"erased {eraser.name}",
            )
    if erasure.completed_at is None:
        with transaction.atomic():
            erasure.completed_at = timezone.now()
            erasure.receipt = f"{RECEIPT_DIR}/{erasure.pk}.json"
            receipt_path(erasure).parent.mkdir(parents=True, exist_ok=True)
            receipt_path(erasure).write_text(json.dumps(receipt(erasure), indent=2))
            erasure.save(update_fields=["completed_at", "receipt"])
    return erasure


def _step(actor: Actor, erasure: Erasure, eraser: erasers.Eraser) -> None:
    with transaction.atomic():
        _refuse_if_held(erasure.person_id)
        subject = subject_resolver().lock(str(erasure.person_id))
        result = eraser.erase(subject, actor)
        ErasureStep.objects.create(
            erasure=erasure, eraser=eraser.name, store=eraser.store, result=result
        )
        event_record(
            actor=actor,
            action=Action.DSAR_ERASED,
            target=erasure,
            subject_id=str(erasure.person_id),
            data={"store": eraser.name, "result": result, "reason": erasure.reason},
        )


def _refuse_if_held(person_id: object) -> None:
    hold = services.active_hold(person_id)
    if hold is not None:
        raise LegalHoldError(hold.reason)


def receipt(erasure: Erasure) -> dict[str, object]:
    """What was erased or anonymised where, and when: ids, stores, counts, times."""
    document: dict[str, object] = json.loads(
        json.dumps(
            {
                "erasure": str(erasure.pk),
                "request": str(erasure.request_id) if erasure.request_id else None,
                "reason": erasure.reason,
                "subject": str(erasure.person_id),
                "started_at": erasure.started_at,
                "completed_at": erasure.completed_at,
                "steps": [
                    {
                        "eraser": step.eraser,
                        "store": step.store,
                        "completed_at": step.completed_at,
                        "result": step.result,
                    }
                    for step in erasure.steps.all()
                ],
            },
            cls=DjangoJSONEncoder,
        )
    )
    return document


def receipt_path(erasure: Erasure) -> Path:
    return Path(settings.MEDIA_ROOT) / erasure.receipt
