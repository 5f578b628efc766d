"""Keeps the subject keys and the erasure ledger in their own database (alias "keys") and
everything else out of it: restoring a backup of the main database must neither bring back
a destroyed key nor lose the record of who was erased. What a restore of the key store
itself would undo is kept outside both: the keyring (compliance.audit.keyring) and the
published ledger file (compliance.dsar.ledger_file)."""

from typing import Any

from django.db.models import Model

KEY_STORE = "keys"


KEY_STORE_MODELS = frozenset(
    {"compliance.SubjectKey", "compliance.ErasureLedgerEntry", "compliance.PublishedLedgerHead"}
)


def _is_key_model(model: type[Model]) -> bool:
    return model._meta.label in KEY_STORE_MODELS


class KeyStoreRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return KEY_STORE if _is_key_model(model) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        is_key = f"{app_label}.{model_name}" in {label.lower() for label in KEY_STORE_MODELS}
        return is_key == (db == KEY_STORE)
