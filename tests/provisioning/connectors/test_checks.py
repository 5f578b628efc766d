"""`manage.py check` refuses an allow-list naming an attribute the inventory does not
declare for provisioned applications."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from compliance import inventory


def test_an_allow_list_entry_the_inventory_does_not_declare_fails_the_check(monkeypatch):
    listed = {**inventory.PROVISIONED_APPLICATIONS, "slack": frozenset({"userName", "shoeSize"})}
    monkeypatch.setattr(inventory, "PROVISIONED_APPLICATIONS", listed)

    with pytest.raises(SystemCheckError, match="shoeSize on the allow-list of 'slack'"):
        call_command("check")


def test_the_shipped_allow_lists_pass_the_check():
    call_command("check")
