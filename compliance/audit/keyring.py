"""Key-encryption keys (KEKs): the keys that wrap the subject keys in the key store.

They live in a keyring file (KEYRING_PATH), outside both databases and so outside their
backups, each one sealed (AES key wrap) under the audit master key. The one not retired is
current and wraps every new subject key. Rotation retires it; once BACKUP_RETENTION_DAYS
have passed since then it is destroyed, and a key-store backup whose subject keys it
wrapped unwraps nothing any more: erasures made since that backup stay erased.

Every process reads the file once and keeps the unwrapped KEKs, reading it again only when
the file changed (another process rotated), so decrypting costs no file read."""

import base64
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.conf import settings
from django.utils import timezone

from compliance.errors import KeyringError

FORMAT = 1


@dataclass(frozen=True)
class Kek:
    id: str
    key: bytes
    created: datetime
    retired: datetime | None = None


# The unwrapped keyring of each file this process has read, with the file's signature
# (inode, modification time, size) when it was read.
_READ: dict[str, tuple[tuple[int, int, int], dict[str, Kek]]] = {}


@cache
def master_key() -> bytes:
    """AUDIT_MASTER_KEY (32 bytes, base64). In development it is derived from SECRET_KEY;
    settings refuse to start without it when DEBUG is off."""
    configured: str = settings.AUDIT_MASTER_KEY
    if configured:
        return base64.urlsafe_b64decode(configured)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"audit-master-key").derive(
        settings.SECRET_KEY.encode()
    )


def keyring_path() -> Path:
    return Path(settings.KEYRING_PATH)


def kek_current() -> Kek:
    """The KEK that wraps new subject keys; the first one is made on first use."""
    current = _current(_read())
    if current is not None:
        return current
    with _locked():
        keks = _read()
        current = _current(keks)
        if current is None:
            current = _fresh()
            _write({**keks, current.id: current})
    return current


def kek_key(kek_id: str) -> bytes | None:
    """The KEK with this id, or None once it has been destroyed."""
    kek = _read().get(kek_id)
    return kek.key if kek is not None else None


def kek_rotate(*, now: datetime, every: timedelta) -> tuple[Kek, Kek | None]:
    """Make a new current KEK when the current one is `every` old, retiring it.
    Returns the new KEK and the retired one, or the current KEK and None if too young."""
    with _locked():
        keks = _read()
        current = _current(keks)
        if current is not None and now - current.created < every:
            return current, None
        fresh = _fresh(now)
        changed = {fresh.id: fresh}
        retired = replace(current, retired=now) if current is not None else None
        if retired is not None:
            changed[retired.id] = retired
        _write({**keks, **changed})
    return fresh, retired


def keks_destroy(*, now: datetime, kept_for: timedelta, in_use: set[str]) -> list[str]:
    """Destroy the KEKs retired at least `kept_for` ago that no live subject key needs.
    Returns their ids."""
    with _locked():
        keks = _read()
        expired = sorted(
            kek.id
            for kek in keks.values()
            if kek.retired is not None and now - kek.retired >= kept_for and kek.id not in in_use
        )
        if expired:
            _write({kek_id: kek for kek_id, kek in keks.items() if kek_id not in expired})
    return expired


def keks_retired() -> list[str]:
    return sorted(kek.id for kek in _read().values() if kek.retired is not None)


def _current(keks: dict[str, Kek]) -> Kek | None:
    live = [kek for kek in keks.values() if kek.retired is None]
    return max(live, key=lambda kek: kek.created) if live else None


def _fresh(now: datetime | None = None) -> Kek:
    return Kek(
        id=f"kek-{secrets.token_hex(8)}",
        key=AESGCM.generate_key(bit_length=256),
        created=now or timezone.now(),
    )


def _read() -> dict[str, Kek]:
    path = keyring_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    known = _READ.get(str(path))
    if known is not None and known[0] == signature:
        return known[1]
    keks = {kek.id: kek for kek in _parse(path)}
    _READ[str(path)] = (signature, keks)
    return keks


def _parse(path: Path) -> Iterator[Kek]:
    try:
        document = json.loads(path.read_text())
        for entry in document["keks"]:
            yield Kek(
                id=entry["id"],
                key=aes_key_unwrap(master_key(), base64.b64decode(entry["sealed"])),
                created=datetime.fromisoformat(entry["created"]),
                retired=datetime.fromisoformat(entry["retired"]) if entry["retired"] else None,
            )
    except InvalidUnwrap:
        raise KeyringError(f"{path} was not sealed with this AUDIT_MASTER_KEY") from None
    except (ValueError, KeyError, TypeError) as error:
        raise KeyringError(f"{path} is not a keyring ({error})") from None


def _write(keks: dict[str, Kek]) -> None:
    """Replace the file whole (write aside, fsync, rename, fsync the folder), readable by
    its owner only: a reader sees the old keyring or the new one, never half of one."""
    path = keyring_path()
    document = {
        "format": FORMAT,
        "keks": [
            {
                "id": kek.id,
                "sealed": base64.b64encode(aes_key_wrap(master_key(), kek.key)).decode(),
                "created": kek.created.isoformat(),
                "retired": kek.retired.isoformat() if kek.retired else None,
            }
            for kek in sorted(keks.values(), key=lambda kek: kek.created)
        ],
    }
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(aside, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def _locked() -> Iterator[None]:
    """One writer at a time across processes: an exclusive lock on a file beside it."""
    path = keyring_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
