from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from compliance.audit.models import APPEND_ONLY_TRIGGER, AuditEvent

EVENTS = AuditEvent._meta.db_table


@pytest.fixture
def tamper() -> Callable[..., None]:
    """tamper(sql, params): raw SQL on the audit events, as an attacker with the table
    owner's rights would run it: past the append-only trigger, which is restored after."""

    def run(sql: str, params: Any = None) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER {APPEND_ONLY_TRIGGER}")
            cursor.execute(sql, params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER {APPEND_ONLY_TRIGGER}")

    return run
