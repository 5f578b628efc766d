"""An authorised agent's signed permission, kept as a file under MEDIA_ROOT sealed with the
data subject's audit key (compliance.audit.crypto): erasing the subject destroys that key,
and with it every copy of the document, backups included."""

import base64
import hashlib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from compliance.audit import crypto
from compliance.audit.actor import Actor
from compliance.dsar.deadlines import RECORD_KEPT
from compliance.dsar.models import AuthorisedAgent, Status

PROOF_DIR = "dsar/agents"
MAX_PROOF_BYTES = 5 * 1024 * 1024


def proof_seal(agent: AuthorisedAgent, *, subject_id: str, content: bytes, name: str) -> None:
    """Write the document sealed under the subject's key, and note where on the agent."""
    keys = crypto.keys_for_writing([subject_id])
    sealed = crypto.encrypt_with(
        keys, subject_id, {"name": name, "content": base64.b64encode(content).decode()}
    )
    agent.proof_file = f"{PROOF_DIR}/{uuid.uuid4()}.sealed"
    agent.proof_name = name[:200]
    agent.proof_sha256 = hashlib.sha256(content).hexdigest()
    path = proof_path(agent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sealed)
    path.chmod(0o600)


def proof_open(agent: AuthorisedAgent) -> tuple[str, bytes] | None:
    """The document's name and content, or None once the subject's key is destroyed."""
    payload: dict[str, Any] | None = crypto.decrypt(
        agent.request.subject_id, proof_path(agent).read_text()
    )
    if payload is None:
        return None
    return str(payload["name"]), base64.b64decode(payload["content"])


def proof_delete(agent: AuthorisedAgent) -> None:
    if agent.proof_file:
        proof_path(agent).unlink(missing_ok=True)


def proof_path(agent: AuthorisedAgent) -> Path:
    return Path(settings.MEDIA_ROOT) / agent.proof_file


def proofs_expired(*, actor: Actor, now: datetime) -> int:
    """The retention rule of the signed permissions: deleted with the request's record,
    24 months after it closed (the rows go with the request; this removes the files)."""
    expired = AuthorisedAgent.objects.filter(
        request__status=Status.CLOSED, request__closed_at__lt=now - RECORD_KEPT
    ).exclude(proof_file="")
    deleted = 0
    for agent in expired.iterator():
        proof_delete(agent)
        deleted += 1
    expired.update(proof_file="")
    return deleted
