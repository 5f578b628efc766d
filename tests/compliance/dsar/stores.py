"""Every place the portal keeps data, read whole for a residue search after an erasure:
both databases (pg_dump on PostgreSQL, the SQL dump on SQLite), the MEDIA_ROOT folder,
the test's Redis databases (every key and value), and what the remaining keys still
decrypt (audit details under each subject key left, sealed outbox payloads)."""

import json
import subprocess
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connections

from compliance.audit import crypto
from compliance.audit.models import AuditEvent
from compliance.outbox.models import OutboxMessage
from compliance.outbox.sealing import unseal

# tests use REDIS_URL's database number and the three after it (tests/conftest.py).
REDIS_DATABASES = 4


def database_dump(alias: str) -> str:
    connection = connections[alias]
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    command = ["pg_dump", "--no-owner", "-h", params["HOST"] or "127.0.0.1"]
    command += ["-p", str(params["PORT"] or 5432), "-U", params["USER"], params["NAME"]]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def media_dump() -> dict[str, str]:
    """Every file under MEDIA_ROOT, by path, its bytes read as Latin-1 (any byte maps)."""
    root = Path(settings.MEDIA_ROOT)
    return {
        str(path.relative_to(root)): path.read_bytes().decode("latin-1")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _redis_value(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key).decode()
    readers = {
        "string": lambda: client.get(key),
        "hash": lambda: client.hgetall(key),
        "list": lambda: client.lrange(key, 0, -1),
        "set": lambda: client.smembers(key),
        "zset": lambda: client.zrange(key, 0, -1, withscores=True),
        "stream": lambda: client.xrange(key),
    }
    return readers.get(kind, lambda: b"")()


def redis_dump() -> str:
    """Every key and value of the test's Redis databases, as one text."""
    if not settings.REDIS_URL:
        return ""
    first = redis.Redis.from_url(settings.REDIS_URL).connection_pool.connection_kwargs["db"]
    lines = []
    for number in range(first, first + REDIS_DATABASES):
        client = redis.Redis.from_url(settings.REDIS_URL, db=number)
        for key in client.scan_iter(count=500):
            lines.append(f"{number} {key!r} {_redis_value(client, key)!r}")
    return "\n".join(lines)


def decryptable_dump() -> str:
    """What the keys that remain still open: every audit detail under its subject's key
    (an erased subject's key is gone), and every sealed outbox payload."""
    opened = []
    events = AuditEvent.objects.exclude(ciphertext="").values_list("subject_id", "ciphertext")
    for subject_id, ciphertext in events.iterator():
        details = crypto.decrypt(subject_id, ciphertext)
        if details is not None:
            opened.append(json.dumps(details, default=str))
    for message_id, sealed in OutboxMessage.objects.exclude(sealed="").values_list("pk", "sealed"):
        opened.append(json.dumps(unseal(sealed, message_id=message_id), default=str))
    return "\n".join(opened)


def every_store() -> dict[str, str]:
    """Store name -> its whole content as text."""
    return {
        "main database": database_dump("default"),
        "key store": database_dump("keys"),
        **{f"media: {path}": content for path, content in media_dump().items()},
        "redis": redis_dump(),
        "decryptable with the remaining keys": decryptable_dump(),
    }


def residue(markers: list[str]) -> dict[str, list[str]]:
    """Store -> the markers found in it, case ignored; empty when the erasure is complete."""
    found = {}
    for store, content in every_store().items():
        lowered = content.lower()
        if hits := [marker for marker in markers if marker.lower() in lowered]:
            found[store] = hits
    return found
