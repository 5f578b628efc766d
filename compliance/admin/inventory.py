"""The personal-data inventory in the admin: read-only, one table per model."""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from compliance import inventory
from compliance.admin.base import ViewOnlyAdminMixin
from compliance.models import Inventory


@dataclass(frozen=True)
class ModelInventory:
    label: str
    name: str
    fields: list[tuple[str, inventory.PersonalField]]


def inventory_by_model() -> Iterator[ModelInventory]:
    """The declared personal fields, grouped by model, each with its human name."""
    entries = sorted(inventory.INVENTORY, key=lambda entry: entry.model)
    for label, declared in groupby(entries, key=lambda entry: entry.model):
        model = apps.get_model(label)
        fields = []
        for entry in declared:
            try:
                name = str(model._meta.get_field(entry.field).verbose_name)
            except FieldDoesNotExist:
                name = entry.field
            fields.append((name, entry))
        yield ModelInventory(label, str(model._meta.verbose_name).capitalize(), fields)


@admin.register(Inventory)
class InventoryAdmin(ViewOnlyAdminMixin, admin.ModelAdmin[Inventory]):
    """Not a list of rows: its list page shows the declarations from compliance/inventory.py."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Personal-data inventory",
            "opts": self.opts,
            "models": list(inventory_by_model()),
            "field_count": len(inventory.INVENTORY),
        }
        return TemplateResponse(request, "admin/compliance/inventory.html", context)
