"""Admin for IT: SCIM clients and their tokens. A token is shown once, on the page that
issues it, and never again: only its hash is stored."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html_join

from compliance.admin.base import ServiceWriteMixin, staff_actor
from compliance.scim_agreements import AGREEMENTS, readable_attributes
from provisioning.errors import ProvisioningError
from provisioning.models import Deprovisioning, ScimClient, ScimToken
from provisioning.services import scim_clients

EDITABLE = ("name", "profile", "mode", "deprovisioning", "enabled", "expires_at")


# An admin action, as the admin calls it: the model admin, the request, the selected rows.
Action = Callable[[Any, HttpRequest, QuerySet[Any]], TemplateResponse | None]


def confirmed_first(*, title: str, question: str) -> Callable[[Action], Action]:
    """An action that changes credentials acts only once staff confirm it: the first post
    shows the selected rows and the question, and the page's Confirm posts the action again."""

    def decorate(action: Action) -> Action:
        @functools.wraps(action)
        def confirmed(
            modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
        ) -> TemplateResponse | None:
            if "confirm" in request.POST:
                return action(modeladmin, request, queryset)
            context = {
                **modeladmin.admin_site.each_context(request),
                "opts": modeladmin.model._meta,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": title,
                "action": action.__name__,
                "question": question,
            }
            return TemplateResponse(request, "admin/provisioning/scim_confirm.html", context)

        return confirmed

    return decorate


class ScimTokenInline(admin.TabularInline[ScimToken, ScimClient]):
    model = ScimToken
    extra = 0
    can_delete = False
    fields = ("prefix", "created", "expires_at", "revoked_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tokens are issued through the action, which shows the secret once


@admin.register(ScimClient)
class ScimClientAdmin(ServiceWriteMixin[ScimClient], admin.ModelAdmin[ScimClient]):
    list_display = (
        "name",
        "profile",
        "mode",
        "deprovisioning_applied",
        "enabled",
        "expires_at",
        "last_used_at",
    )
    list_filter = ("enabled", "profile", "mode", "deprovisioning")
    search_fields = ("name",)
    fields = (
        *EDITABLE,
        "deprovisioning_applied",
        "agreed_attributes",
        "last_used_at",
        "last_used_address",
        "created",
    )
    readonly_fields = (
        "deprovisioning_applied",
        "agreed_attributes",
        "last_used_at",
        "last_used_address",
        "created",
    )
    inlines = (ScimTokenInline,)
    actions = ("issue_token",)
    list_per_page = 50

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable a client instead: its audit trail keeps pointing at it

    @admin.display(description="deprovisioning that applies")
    def deprovisioning_applied(self, client: ScimClient | None) -> str:
        """The policy in force, in words: the client's own, or the portal's default."""
        if client is None or client.pk is None:
            return f"{Deprovisioning.default().label} (the portal's default, SCIM_DEPROVISIONING)"
        source = "this client's choice" if client.deprovisioning else "the portal's default"
        return f"{client.deprovisioning_policy.label} ({source})"

    @admin.display(description="what each profile allows")
    def agreed_attributes(self, client: ScimClient | None) -> str:
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            (
                (agreement.name, ", ".join(readable_attributes(agreement)))
                for agreement in AGREEMENTS.values()
            ),
        )

    def service_update(self, request: HttpRequest, obj: ScimClient, form: Any) -> None:
        data = form.cleaned_data
        changes = {name: data[name] for name in form.changed_data if name in EDITABLE}
        if changes:
            scim_clients.scim_client_update(client=obj, actor=staff_actor(request), changes=changes)

    def service_create(self, request: HttpRequest, obj: ScimClient, form: Any) -> ScimClient:
        data = form.cleaned_data
        created = scim_clients.scim_client_create(
            actor=staff_actor(request),
            name=data["name"],
            profile=data["profile"],
            mode=data["mode"],
            expires_at=data["expires_at"],
            deprovisioning=data["deprovisioning"],
        )
        if not data["enabled"]:
            scim_clients.scim_client_update(
                client=created, actor=staff_actor(request), changes={"enabled": False}
            )
        return created

    @admin.action(description="Issue a new token (shown once)", permissions=["change"])
    @confirmed_first(
        title="Issue a new token?",
        question="Each selected client gets a new token. Its existing tokens stay valid until "
        "you revoke them, so the identity provider can be switched over without downtime.",
    )
    def issue_token(
        self, request: HttpRequest, queryset: QuerySet[ScimClient]
    ) -> TemplateResponse | None:
        try:
            issued = [
                (client, scim_clients.scim_token_issue(client=client, actor=staff_actor(request)))
                for client in queryset
            ]
        except ProvisioningError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "New SCIM tokens",
            "issued": [(client, token.secret) for client, token in issued],
        }
        response = TemplateResponse(request, "admin/provisioning/scim_token_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin[ScimToken]):
    list_display = ("prefix", "client", "created", "expires_at", "revoked_at")
    list_filter = ("client",)
    search_fields = ("=prefix", "client__name")
    list_select_related = ("client",)
    fields = ("client", "prefix", "created", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    @confirmed_first(
        title="Revoke these tokens?",
        question="The identity providers using them are refused from now on.",
    )
    def revoke(
        self, request: HttpRequest, queryset: QuerySet[ScimToken]
    ) -> TemplateResponse | None:
        for token in queryset:
            scim_clients.scim_token_revoke(token=token, actor=staff_actor(request))
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)
        return None
