"""Every retention the inventory declares is enforced by a rule of the retention job, or
is declared as an exception, with the reason and how long the data is kept instead."""

from compliance import inventory, retention
from compliance.declarations import DECLARATIONS


def test_every_declared_retention_has_a_rule_that_enforces_it():
    assert retention.unenforced() == []


def test_the_only_exception_is_the_audit_events_client_address_and_it_says_why():
    exceptions = {
        entry.key: entry.retention.exception
        for entry in inventory.INVENTORY
        if entry.retention.exception
    }

    assert list(exceptions) == ["compliance.AuditEvent.client_address"]
    reason = exceptions["compliance.AuditEvent.client_address"]
    assert "Kept as long as the audit event" in reason
    assert "chain" in reason


def test_an_exception_is_what_the_records_say_of_the_retention():
    (entry,) = [entry for entry in DECLARATIONS.personal if entry.key.endswith(".client_address")]

    assert str(entry.retention).startswith("Kept as long as the audit event")


def test_an_exception_does_not_lengthen_the_shredding_of_the_audit_details():
    assert retention.retention_days("compliance.AuditEvent") == (inventory.SECURITY_RETENTION.days)
