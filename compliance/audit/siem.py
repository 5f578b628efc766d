"""Forwarding committed audit events to a SIEM through logging.

Each event becomes one JSON line on the logger "compliance.audit.siem", after its
transaction commits (a rolled-back change forwards nothing). Settings attach the handler
AUDIT_SIEM_FORMAT asks for: JSON lines on standard output, or RFC 5424 syslog over UDP or
TCP. Only the event's non-personal fields leave: never its ciphertext, never its
decrypted details, not the client address (the inventory names auditors as its only
recipients).

Not through the outbox, on purpose. The trail in the database is the durable record; the
SIEM gets a copy. An outbox row per event would double the writes on the path every change
takes and make the feed wait on Redis and the workers. A line lost in between (a process
killed after the commit, a UDP datagram dropped) shows as a gap in the forwarded
`sequence` numbers, which are consecutive, and the audit export fills it from the trail.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from compliance.audit.models import AuditEvent

logger = logging.getLogger("compliance.audit.siem")


def forwarded_fields() -> tuple[str, ...]:
    """The event's fields that leave: none the inventory declares personal, and not the
    previous hash (every event's own hash leaves, and links them as well)."""
    # Imported here: the logging configuration imports this module before apps are ready.
    from compliance import inventory
    from compliance.audit.models import EVENT_FIELDS, AuditEvent

    personal = {entry.field for entry in inventory.personal_fields(AuditEvent._meta.label)}
    left_out = personal | {"previous_hash"}
    return tuple(name for name in EVENT_FIELDS if name not in left_out)


def siem_line(event: AuditEvent) -> str:
    from compliance.audit.vocabulary import Action

    document: dict[str, Any] = {name: getattr(event, name) for name in forwarded_fields()}
    document["occurred_at"] = event.occurred_at.isoformat()
    document["ocsf_class_uid"] = int(Action(event.action).ocsf_class)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)


def forward(events: Sequence[AuditEvent]) -> None:
    """Emit each event as one JSON line: called on commit by the recording path. Events
    sealed at their commit (PostgreSQL) are read back once, for their sequence and hash."""
    if settings.AUDIT_SIEM_FORMAT == "off":
        return
    forwarded: Iterable[AuditEvent] = events
    if any(event.sequence is None for event in events):
        from compliance.audit.models import AuditEvent

        forwarded = AuditEvent.objects.filter(pk__in=[event.pk for event in events]).order_by(
            "sequence"
        )
    for event in forwarded:
        failed = event.outcome != "success"
        logger.log(
            logging.WARNING if failed else logging.INFO,
            siem_line(event),
            extra={"audit_action": event.action},
        )


# RFC 5424 numbers: facility 13 is "log audit"; severities by logging level.
LOG_AUDIT = 13
SEVERITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6}


class SyslogHandler(logging.Handler):
    """RFC 5424 syslog: one datagram per message over UDP, or octet-counted frames over
    TCP (RFC 6587), reconnecting once if the collector dropped the connection. The
    standard library's SysLogHandler writes the older BSD format."""

    def __init__(
        self,
        host: str,
        port: int,
        transport: str = "udp",
        app_name: str = "provisioning-portal",
        level: int = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        self.address = (host, port)
        self.transport = transport
        self.app_name = app_name
        self.hostname = socket.gethostname() or "-"
        self._socket: socket.socket | None = None

    def frame(self, record: logging.LogRecord) -> bytes:
        severity = SEVERITIES.get(record.levelno, 7)
        stamp = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="microseconds")
        message_id = getattr(record, "audit_action", "-")[:32]
        header = (
            f"<{LOG_AUDIT * 8 + severity}>1 {stamp.replace('+00:00', 'Z')} "
            f"{self.hostname} {self.app_name} {os.getpid()} {message_id} -"
        )
        message = f"{header} {self.format(record)}".encode()
        if self.transport == "tcp":
            return f"{len(message)} ".encode() + message
        return message

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(self.frame(record))
        except Exception:
            self.handleError(record)

    def _send(self, data: bytes) -> None:
        if self.transport == "udp":
            self._connected().sendto(data, self.address)
            return
        try:
            self._connected().sendall(data)
        except OSError:
            self.close_socket()
            self._connected().sendall(data)

    def _connected(self) -> socket.socket:
        if self._socket is None:
            if self.transport == "udp":
                self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            else:
                self._socket = socket.create_connection(self.address, timeout=5)
        return self._socket

    def close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        self.close_socket()
        super().close()
