"""Admin for IT: connectors (write-only secrets, connection test, reconciliation), the
dead-letter list with its retry, and the orphans reconciliation found."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from compliance.admin.base import (
    AutocompleteFieldsMixin,
    ServiceDeleteMixin,
    ServiceWriteMixin,
    staff_actor,
)
from compliance.scim_agreements import readable_attribute
from provisioning.admin.base import LabelledTabularInline
from provisioning.connectors import attributes, services, sync, tasks
from provisioning.connectors.errors import (
    ConnectorError,
    DownstreamError,
    InsecureTransportError,
)
from provisioning.connectors.models import (
    Connector,
    DownstreamAccount,
    DownstreamOrphan,
    GroupMapping,
)
from provisioning.connectors.selectors import connectors_with_health, pushes_waiting


def _in_words(error: ConnectorError, connector: Connector) -> str:
    """What went wrong and what to do about it, for the IT admin."""
    application = connector.application.name
    if isinstance(error, DownstreamError):
        return error.advice(application)
    return f"{application}: {error}"


class ConnectorForm(forms.ModelForm[Connector]):
    base_url = forms.URLField(
        label="SCIM base URL",
        assume_scheme="https",
        help_text="For example https://app.example.com/scim/v2",
    )
    token_url = forms.URLField(
        label="OAuth token URL",
        required=False,
        assume_scheme="https",
        help_text="Only for OAuth client credentials.",
    )
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="The bearer token, or the OAuth client secret. Write-only: it is stored "
        "encrypted and never shown again. Leave empty to keep the stored one.",
    )
    attributes = forms.MultipleChoiceField(
        required=False,
        choices=[(path, readable_attribute(path)) for path in attributes.VALUES],
        widget=forms.CheckboxSelectMultiple,
        help_text="The SCIM attributes sent. Only those the personal-data inventory allows "
        "for this application may be chosen; userName and active are always sent.",
    )

    class Meta:
        model = Connector
        fields = (
            "application",
            "base_url",
            "auth",
            "token_url",
            "client_id",
            "secret",
            "attributes",
            "scope",
            "deprovision",
            "sold_or_shared",
            "sensitive_needed",
            "privacy_contact",
            "enabled",
            "processor",
            "processor_country",
            "transfer_safeguard",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        self.instance.attributes = data.get("attributes") or []
        if data.get("application") is None:
            return data
        self.instance.application = data["application"]
        if data.get("auth") == Connector.Auth.OAUTH and not (
            data.get("token_url") and data.get("client_id")
        ):
            self.add_error("token_url", "OAuth needs a token URL and a client id.")
        if data.get("processor") and not data.get("processor_country"):
            self.add_error("processor_country", "Say where the processor processes the data.")
        if not data.get("secret") and not self.instance.secret_sealed:
            self.add_error("secret", "A bearer token or client secret is required.")
        self.instance.base_url = data.get("base_url") or ""
        self.instance.token_url = data.get("token_url") or ""
        try:
            services.connector_check(self.instance)
        except InsecureTransportError as error:
            self.add_error(error.field, str(error))
        except ConnectorError as error:
            self.add_error("attributes", str(error))
        return data


class GroupMappingFormSet(BaseInlineFormSet[GroupMapping, Connector, Any]):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            entitlement = data.get("entitlement")
            if data.get("DELETE") or entitlement is None:
                continue
            if entitlement.application_id != self.instance.application_id:
                form.add_error("entitlement", "This entitlement belongs to another application.")


class GroupMappingInline(AutocompleteFieldsMixin, LabelledTabularInline):
    model = GroupMapping
    formset = GroupMappingFormSet
    extra = 0
    fields = ("group", "entitlement", "downstream_name", "downstream_id")
    readonly_fields = ("downstream_id",)
    autocomplete_fields = ("group", "entitlement")


@admin.register(Connector)
class ConnectorAdmin(
    ServiceWriteMixin[Connector], ServiceDeleteMixin[Connector], admin.ModelAdmin[Connector]
):
    form = ConnectorForm
    list_display = (
        "application",
        "base_url",
        "enabled",
        "healthy",
        "retrying",
        "dead_lettered",
        "orphans",
    )
    list_filter = ("enabled", "scope", "auth", "deprovision", "sold_or_shared")
    search_fields = ("application__name", "base_url")
    inlines = (GroupMappingInline,)
    actions = ("test_connection", "reconcile_now")

    change_list_template = "admin/provisioning/connector/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Connector]:
        return connectors_with_health()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Pushes the broker has not taken yet (it was down): they are not lost, and here
        # is how many and how long the oldest has waited, per connector.
        return super().changelist_view(
            request, {**(extra_context or {}), "outbox_waiting": pushes_waiting()}
        )

    @staticmethod
    def _accounts_link(connector: Connector, count: int, status: str) -> str:
        if not count:
            return "0"
        url = reverse("admin:provisioning_downstreamaccount_changelist")
        query = urlencode({"connector__id__exact": str(connector.pk), "status__exact": status})
        return format_html('<a href="{}?{}">{}</a>', url, query, count)

    @admin.display(description="healthy", ordering="healthy_total")
    def healthy(self, connector: Connector) -> str:
        return self._accounts_link(connector, connector.healthy_total, "healthy")  # type: ignore[attr-defined]

    @admin.display(description="retrying", ordering="retrying_total")
    def retrying(self, connector: Connector) -> str:
        return self._accounts_link(connector, connector.retrying_total, "retrying")  # type: ignore[attr-defined]

    @admin.display(description="dead-lettered", ordering="dead_total")
    def dead_lettered(self, connector: Connector) -> str:
        return self._accounts_link(connector, connector.dead_total, "dead-lettered")  # type: ignore[attr-defined]

    @admin.display(description="orphans", ordering="orphan_total")
    def orphans(self, connector: Connector) -> str:
        count: int = connector.orphan_total  # type: ignore[attr-defined]
        if not count:
            return "0"
        url = reverse("admin:provisioning_downstreamorphan_changelist")
        return format_html('<a href="{}?connector__id__exact={}">{}</a>', url, connector.pk, count)

    def service_create(self, request: HttpRequest, obj: Connector, form: Any) -> Connector:
        secret = form.cleaned_data.get("secret", "")
        return services.connector_create(actor=staff_actor(request), connector=obj, secret=secret)

    def service_update(self, request: HttpRequest, obj: Connector, form: Any) -> None:
        secret = form.cleaned_data.get("secret", "")
        services.connector_update(actor=staff_actor(request), connector=obj, secret=secret)

    def service_delete(self, request: HttpRequest, obj: Connector) -> None:
        services.connector_delete(actor=staff_actor(request), connector=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = staff_actor(request)
        for mapping in formset.save(commit=False):
            services.group_mapping_save(actor=actor, mapping=mapping)
        for mapping in formset.deleted_objects:
            services.group_mapping_delete(actor=actor, mapping=mapping)

    @admin.action(description="Test connection (reads /ServiceProviderConfig and /Schemas)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Connector]) -> None:
        for connector in queryset:
            try:
                report = services.connection_test(connector=connector)
            except ConnectorError as error:
                self.message_user(request, _in_words(error, connector), messages.ERROR)
            else:
                self.message_user(request, f"{connector.application}: {report}", messages.SUCCESS)

    @admin.action(description="Reconcile now", permissions=["change"])
    def reconcile_now(self, request: HttpRequest, queryset: QuerySet[Connector]) -> None:
        for connector in queryset:
            try:
                result = tasks.reconcile_connector.delay(str(connector.pk))
            except ConnectorError as error:
                self.message_user(request, _in_words(error, connector), messages.ERROR)
                continue
            counts = result.result if result.ready() else None
            if isinstance(counts, dict):  # tasks run in-process (no broker): report at once
                outcome = (
                    "done ("
                    + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items())
                    + ")"
                )
            else:
                outcome = "queued"
            self.message_user(request, f"{connector.application}: reconciliation {outcome}")


@admin.register(DownstreamAccount)
class DownstreamAccountAdmin(admin.ModelAdmin[DownstreamAccount]):
    """The push state of every account; filter on dead-lettered for the dead-letter list."""

    list_display = (
        "person",
        "connector",
        "status",
        "attempts",
        "last_error",
        "last_pushed",
        "last_used",
        "revoked_at",
        "downstream_id",
    )
    list_filter = ("status", "connector", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("person__user_name", "=downstream_id")
    list_select_related = ("person", "connector__application")
    readonly_fields = (
        "person",
        "connector",
        "downstream_id",
        "pushed_version",
        "pushed_groups",
        "status",
        "attempts",
        "last_error",
        "last_pushed",
        "last_used",
        "revoked_at",
        "modified",
    )
    exclude = ("pushed_digests",)
    actions = ("retry_pushes", "let_back_in")
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Retry the selected dead-lettered pushes", permissions=["change"])
    def retry_pushes(self, request: HttpRequest, queryset: QuerySet[DownstreamAccount]) -> None:
        queued = sync.dead_letters_retry(actor=staff_actor(request), accounts=list(queryset))
        self.message_user(request, f"{queued} dead-lettered push(es) queued again.")

    @admin.action(
        description="Let the selected people back into the application (undo a review's "
        "revocation)",
        permissions=["change"],
    )
    def let_back_in(self, request: HttpRequest, queryset: QuerySet[DownstreamAccount]) -> None:
        restored = services.accounts_restore(
            account_ids=list(queryset.values_list("pk", flat=True)), actor=staff_actor(request)
        )
        self.message_user(
            request,
            f"{len(restored)} account(s) let back in; they are provisioned again as their "
            "groups and entitlements say.",
        )


@admin.register(DownstreamOrphan)
class DownstreamOrphanAdmin(
    ServiceDeleteMixin[DownstreamOrphan], admin.ModelAdmin[DownstreamOrphan]
):
    """Downstream accounts matching no person. The portal never deletes them: IT decides,
    and dismisses the orphan here once done."""

    list_display = ("user_name", "downstream_id", "connector", "first_seen", "last_seen")
    list_filter = ("connector",)
    search_fields = ("user_name", "=downstream_id")
    list_select_related = ("connector__application",)
    readonly_fields = ("connector", "downstream_id", "user_name", "first_seen", "last_seen")
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_delete(self, request: HttpRequest, obj: DownstreamOrphan) -> None:
        services.orphan_dismiss(actor=staff_actor(request), orphan=obj)
