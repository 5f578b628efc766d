"""Each app declares its own models' fields once and registers them once."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from compliance import inventory
from compliance.inventory import Category, Declarations, PersonalField, Registry, Technical

PURPOSE = "To test the registry."


def declarations(app="shop", *personal, **kwargs):
    return Declarations(app=app, personal=personal, technical=kwargs.pop("technical", ()), **kwargs)


def test_every_app_registers_its_declarations_in_ready():
    assert inventory.INVENTORY.apps == ("portal", "provisioning", "compliance")


def test_the_registry_lists_the_apps_entries_in_the_order_they_registered():
    registry = Registry()
    first = PersonalField("shop.Order", "name", Category.IDENTITY, PURPOSE)
    second = PersonalField("till.Receipt", "email", Category.CONTACT, PURPOSE)
    registry.register(declarations("shop", first, technical=(Technical("shop.Order", ("id",)),)))
    registry.register(declarations("till", second, no_personal_data=("till.Drawer",)))

    assert list(registry) == [first, second]
    assert len(registry) == 2
    assert second in registry
    assert registry.technical("shop.Order") == frozenset({"id"})
    assert registry.holds_no_personal_data("till.Drawer")


def test_an_app_registers_only_once():
    registry = Registry()
    registry.register(declarations())

    with pytest.raises(ImproperlyConfigured, match="shop registered its inventory twice"):
        registry.register(declarations())


def test_an_app_declares_only_its_own_models():
    registry = Registry()
    foreign = declarations("shop", technical=(Technical("till.Receipt", ("id",)),))

    with pytest.raises(ImproperlyConfigured, match=r"models of another app: till\.Receipt"):
        registry.register(foreign)


def test_a_field_is_declared_once():
    registry = Registry()
    entry = PersonalField("shop.Order", "name", Category.IDENTITY, PURPOSE)

    with pytest.raises(ImproperlyConfigured, match=r"twice in the inventory: shop\.Order\.name"):
        registry.register(declarations("shop", entry, entry))
