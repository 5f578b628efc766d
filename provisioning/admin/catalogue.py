"""Admin for the application catalogue: applications and the entitlements granted in
them. Every write goes through the catalogue services."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from compliance.admin.base import ServiceDeleteMixin, ServiceWriteMixin, staff_actor
from provisioning.admin.base import LabelledTabularInline, active_staff
from provisioning.models import Application, Entitlement
from provisioning.services import catalogue


class EntitlementInline(LabelledTabularInline):
    model = Entitlement
    extra = 0
    fields = ("name", "description")


@admin.register(Application)
class ApplicationAdmin(
    ServiceWriteMixin[Application], ServiceDeleteMixin[Application], admin.ModelAdmin[Application]
):
    list_display = ("name", "url", "owner", "entitlement_count", "modified")
    list_select_related = ("owner",)
    search_fields = ("name",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = (EntitlementInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).annotate(entitlement_total=Count("entitlements"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":  # an owner reviews the application's accounts
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="entitlements", ordering="entitlement_total")
    def entitlement_count(self, application: Application) -> int:
        return application.entitlement_total  # type: ignore[attr-defined, no-any-return]

    def service_create(self, request: HttpRequest, obj: Application, form: Any) -> Application:
        return catalogue.application_create(actor=staff_actor(request), application=obj)

    def service_update(self, request: HttpRequest, obj: Application, form: Any) -> None:
        catalogue.application_update(actor=staff_actor(request), application=obj)

    def service_delete(self, request: HttpRequest, obj: Application) -> None:
        catalogue.application_delete(actor=staff_actor(request), application=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = staff_actor(request)
        formset.save(commit=False)  # sorts the rows into new, changed and deleted
        for entitlement, _ in formset.changed_objects:
            catalogue.entitlement_update(actor=actor, entitlement=entitlement)
        for entitlement in formset.new_objects:
            catalogue.entitlement_create(actor=actor, entitlement=entitlement)
        for entitlement in formset.deleted_objects:
            catalogue.entitlement_delete(actor=actor, entitlement=entitlement)


@admin.register(Entitlement)
class EntitlementAdmin(
    ServiceWriteMixin[Entitlement], ServiceDeleteMixin[Entitlement], admin.ModelAdmin[Entitlement]
):
    list_display = ("name", "application", "created")
    list_filter = ("application",)
    search_fields = ("name", "application__name")
    list_select_related = ("application",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entitlement]:
        # Its name includes its application's: the autocomplete lists read it too.
        return super().get_queryset(request).select_related("application")

    def service_create(self, request: HttpRequest, obj: Entitlement, form: Any) -> Entitlement:
        return catalogue.entitlement_create(actor=staff_actor(request), entitlement=obj)

    def service_update(self, request: HttpRequest, obj: Entitlement, form: Any) -> None:
        catalogue.entitlement_update(actor=staff_actor(request), entitlement=obj)

    def service_delete(self, request: HttpRequest, obj: Entitlement) -> None:
        catalogue.entitlement_delete(actor=staff_actor(request), entitlement=obj)
