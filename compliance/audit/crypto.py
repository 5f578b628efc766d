"""Per-subject encryption of personal data: AES-GCM under the subject's own keys, kept in
the key store wrapped (AES key wrap) under the keyring's current key-encryption key
(compliance.audit.keyring), which rotates.

Audit details are sealed under one key per subject per calendar quarter (its epoch),
stored as "<subject>@<epoch>", and the epoch is written before the sealed details
("2026q4:<base64>"). Destroying a subject's keys erases all their details; destroying the
keys of quarters past the retention period erases only the old details
(compliance.retention), and the chain, which hashes the ciphertext, still verifies. The
key named by the subject alone seals what is not an audit detail (export packages) and the
details sealed before epochs (no prefix). Keys wrapped before the keyring existed name no
KEK and are wrapped under the master key until rotation re-wraps them."""

import base64
import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit.keyring import kek_current, kek_key, master_key
from compliance.audit.models import SubjectKey
from compliance.errors import KeyringError
from compliance.routers import KEY_STORE

__all__ = ["NONCE_BYTES", "master_key"]  # master_key: its home is the keyring, re-exported

NONCE_BYTES = 12
# Subject keys wrapped before the keyring existed: under the master key itself.
LEGACY_KEK = ""
EPOCH_MARK = "@"  # between the subject and the epoch, in a key's name
EPOCH_END = ":"  # after the epoch, in a ciphertext (base64 never holds one)


def epoch_of(moment: datetime) -> str:
    """The quarter a moment falls in (UTC): 2026q4."""
    utc = moment.astimezone(UTC)
    return f"{utc.year}q{(utc.month - 1) // 3 + 1}"


def epoch_start(moment: datetime) -> datetime:
    """The first instant of the quarter a moment falls in (UTC)."""
    utc = moment.astimezone(UTC)
    return utc.replace(
        month=3 * ((utc.month - 1) // 3) + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def key_name(subject_id: str, ciphertext: str) -> str:
    """The key that sealed a ciphertext: the subject's key of its epoch, or the first."""
    epoch, mark, _ = ciphertext.partition(EPOCH_END)
    return f"{subject_id}{EPOCH_MARK}{epoch}" if mark else subject_id


class Sealed(Protocol):
    subject_id: str
    ciphertext: str


class WritingKeys(dict[str, bytes]):
    """The subjects' keys of one epoch, by subject: what encrypt_with() seals with."""

    def __init__(self, keys: Mapping[str, bytes], epoch: str) -> None:
        super().__init__(keys)
        self.epoch = epoch


def keys_for_writing(subject_ids: Collection[str], *, new: Collection[str] = ()) -> WritingKeys:
    """This quarter's keys to encrypt these subjects' details with, creating the missing
    ones: one query to read them and, when some are new, one insert, whatever the
    batch's size. The subjects in `new` came into being in the caller's transaction (a
    joiner's id was drawn just now), so no key of theirs can exist: theirs are made
    without asking, and a batch of joiners costs the insert alone."""
    epoch = epoch_of(timezone.now())
    names = {f"{subject_id}{EPOCH_MARK}{epoch}": subject_id for subject_id in subject_ids}
    unread = {name for name, subject_id in names.items() if subject_id in new}
    stored = _keys_created(names, unread=unread)
    return WritingKeys({names[name]: key for name, key in stored.items()}, epoch)


def subject_keys_for_writing(subject_ids: Collection[str]) -> dict[str, bytes]:
    """Each subject's own key, named by the subject alone, created if missing: what seals
    an export package, so that erasing the subject makes every copy unreadable."""
    return _keys_created(subject_ids)


def _keys_created(names: Collection[str], *, unread: Collection[str] = ()) -> dict[str, bytes]:
    """The keys of these names, the missing ones created under the current KEK. The names
    in `unread` are known to be missing, and not looked for."""
    stored = _unwrapped([name for name in names if name not in unread])
    missing = set(names) - set(stored)
    if not missing:
        return stored
    fresh = {name: AESGCM.generate_key(bit_length=256) for name in missing}
    kek = kek_current()
    try:
        SubjectKey.objects.bulk_create(
            SubjectKey(subject_id=name, wrapped_key=aes_key_wrap(kek.key, key), kek=kek.id)
            for name, key in fresh.items()
        )
    except IntegrityError:  # a concurrent writer created some of them first: theirs hold
        theirs = _unwrapped(missing)
        if set(theirs) != missing:  # a row no KEK opens: a key store restored too late
            raise KeyringError(
                "the key store holds subject keys that no key-encryption key can unwrap"
            ) from None
        return stored | theirs
    _remember(fresh)
    return stored | fresh


def encrypt_with(keys: WritingKeys, subject_id: str, payload: dict[str, Any]) -> str:
    """Seal a subject's details with their key, fetched beforehand by keys_for_writing(),
    naming the key's epoch in front."""
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(payload, sort_keys=True, default=str).encode()
    sealed = AESGCM(keys[subject_id]).encrypt(nonce, plaintext, subject_id.encode())
    return f"{keys.epoch}{EPOCH_END}{base64.b64encode(nonce + sealed).decode()}"


def decrypt(subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    """The payload, or None once the subject's key has been destroyed."""
    if not ciphertext:
        return {}
    name = key_name(subject_id, ciphertext)
    return _open(_unwrapped([name]).get(name), subject_id, ciphertext)


def subject_keys(subject_ids: Collection[str]) -> dict[str, bytes]:
    """The keys of these names (a subject alone, or "<subject>@<epoch>") that still exist
    and unwrap, in one query."""
    return _unwrapped(subject_ids)


def reading_keys(events: Iterable[Sealed]) -> dict[str, bytes]:
    """The keys that still exist for these events' details, in one query: for decrypting
    many events (an export, a report) without a key-store round trip per event."""
    return _unwrapped(
        {key_name(event.subject_id, event.ciphertext) for event in events if event.ciphertext}
    )


# The keys read or made within one request (subject_keys_scope), by name: a request that
# records several events about the same person asks the key store once. Outside a scope
# nothing is kept, so no key outlives the request that used it.
_SCOPE: ContextVar[dict[str, bytes] | None] = ContextVar("subject_keys_scope", default=None)


@contextmanager
def subject_keys_scope() -> Iterator[None]:
    """Keep the subject keys used inside this block for the rest of it, and forget them
    when it ends (compliance.audit.middleware wraps each request in one). Destroying a
    subject's keys inside the block forgets them at once."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def _unwrapped(names: Collection[str]) -> dict[str, bytes]:
    """The keys that exist, from this scope's cache or in one query for the rest."""
    cached = _SCOPE.get()
    if cached is None:
        return _read(names)
    found = {name: cached[name] for name in names if name in cached}
    missing = [name for name in names if name not in found]
    if missing:
        fresh = _read(missing)
        cached.update(fresh)
        found |= fresh
    return found


def _remember(keys: Mapping[str, bytes]) -> None:
    cached = _SCOPE.get()
    if cached is not None:
        cached.update(keys)


def _forget(subject_id: str | None = None) -> None:
    """Drop a subject's keys (every epoch) from this scope's cache, or all of them."""
    cached = _SCOPE.get()
    if cached is None:
        return
    if subject_id is None:
        cached.clear()
        return
    for name in [n for n in cached if n.partition(EPOCH_MARK)[0] == subject_id]:
        del cached[name]


def _read(names: Collection[str]) -> dict[str, bytes]:
    """One query, and each KEK looked up once: a key whose KEK is gone is as good as gone."""
    stored = list(
        SubjectKey.objects.filter(subject_id__in=names).values_list(
            "subject_id", "wrapped_key", "kek"
        )
    )
    keks = {kek_id: _kek(kek_id) for kek_id in {kek_id for _, _, kek_id in stored}}
    unwrapped = ((name, _unwrap(bytes(wrapped), keks[kek])) for name, wrapped, kek in stored)
    return {name: key for name, key in unwrapped if key is not None}


def _kek(kek_id: str) -> bytes | None:
    """The key that wraps a subject key, or None once destroyed: a key restored from a
    key-store backup older than the retention window is as good as destroyed."""
    return master_key() if kek_id == LEGACY_KEK else kek_key(kek_id)


def _unwrap(wrapped: bytes, kek: bytes | None) -> bytes | None:
    if kek is None:
        return None
    try:
        return aes_key_unwrap(kek, wrapped)
    except InvalidUnwrap:
        return None


def decrypt_with(
    keys: Mapping[str, bytes], subject_id: str, ciphertext: str
) -> dict[str, Any] | None:
    """decrypt() with keys fetched beforehand by reading_keys()."""
    if not ciphertext:
        return {}
    return _open(keys.get(key_name(subject_id, ciphertext)), subject_id, ciphertext)


def _open(key: bytes | None, subject_id: str, ciphertext: str) -> dict[str, Any] | None:
    if key is None:
        return None
    raw = base64.b64decode(ciphertext.rpartition(EPOCH_END)[2])
    try:
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject_id.encode())
    except InvalidTag:
        return None
    result: dict[str, Any] = json.loads(plaintext)
    return result


def destroy_subject_key(subject_id: str) -> bool:
    """Crypto-shred: the subject's details, of every quarter, and their packages can no
    longer be read. True if a key existed."""
    _forget(subject_id)
    deleted, _ = SubjectKey.objects.filter(
        Q(subject_id=subject_id) | Q(subject_id__startswith=f"{subject_id}{EPOCH_MARK}")
    ).delete()
    return deleted > 0


def epoch_keys_destroy(*, before: datetime, limit: int) -> int:
    """Crypto-shred by age: destroy up to `limit` quarterly keys created before `before`,
    the start of a quarter, so every detail they sealed is older than it. Returns how
    many."""
    _forget()
    old = SubjectKey.objects.filter(subject_id__contains=EPOCH_MARK, created__lt=before)
    chunk = list(old.order_by("pk").values_list("pk", flat=True)[:limit])
    deleted, _ = SubjectKey.objects.filter(pk__in=chunk).delete()
    return deleted


def subject_keys_rewrap(*, chunk_size: int) -> tuple[int, int]:
    """Re-wrap under the current KEK every subject key wrapped under another, a chunk at a
    time in key order (each chunk one read and one update, in its own transaction).
    Returns how many were re-wrapped, and how many no KEK could unwrap (lost already)."""
    current = kek_current()
    rewrapped = lost = 0
    after = 0
    while True:
        with transaction.atomic(using=KEY_STORE):
            chunk = list(
                SubjectKey.objects.select_for_update()
                .filter(pk__gt=after)
                .exclude(kek=current.id)
                .order_by("pk")[:chunk_size]
            )
            if not chunk:
                return rewrapped, lost
            movable = []
            for stored in chunk:
                key = _unwrap(bytes(stored.wrapped_key), _kek(stored.kek))
                if key is None:
                    lost += 1
                    continue
                stored.wrapped_key, stored.kek = aes_key_wrap(current.key, key), current.id
                movable.append(stored)
            SubjectKey.objects.bulk_update(movable, ["wrapped_key", "kek"])
        rewrapped += len(movable)
        after = chunk[-1].pk


def keks_needed(candidates: Collection[str]) -> set[str]:
    """Which of these KEKs some live subject key is still wrapped under: one indexed
    existence check per KEK (a handful), whatever the number of keys."""
    return {kek for kek in candidates if SubjectKey.objects.filter(kek=kek).exists()}
