import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from compliance.audit import crypto
from compliance.audit.filters import AUDIT_EVENT_FILTERS
from compliance.audit.models import AuditEvent

ERASED = "erased: the subject's key was destroyed, so these details can no longer be read"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The trail, read-only: nobody adds, changes or deletes an event here. Auditors filter
    it by actor, subject, action, channel and date; an event's page shows its personal
    details decrypted, or says they were erased."""

    list_display = (
        "sequence",
        "occurred_at",
        "action",
        "actor_label",
        "actor_kind",
        "channel",
        "target",
        "subject_id",
        "outcome",
    )
    list_filter = AUDIT_EVENT_FILTERS
    search_fields = ("=actor_id", "=subject_id", "=target_id", "=request_id")
    date_hierarchy = "occurred_at"
    list_per_page = 100
    show_full_result_count = False
    # Every column is on the event row itself: no joins, no query per row.
    list_select_related = False
    fieldsets = (
        (None, {"fields": ("sequence", "occurred_at", "action", "outcome")}),
        (
            "Who and how",
            {"fields": ("actor_kind", "actor_id", "actor_label", "channel", "request_id")},
        ),
        ("Network", {"fields": ("client_address",)}),
        ("What", {"fields": ("target_type", "target_id", "subject_id", "facts")}),
        ("Personal details", {"fields": ("personal_details",)}),
        ("Chain", {"classes": ("collapse",), "fields": ("previous_hash", "hash")}),
    )
    readonly_fields = ("facts", "personal_details")

    @admin.display(description="target")
    def target(self, event: AuditEvent) -> str:
        return f"{event.target_type} {event.target_id}"

    @admin.display(description="facts (no personal data)")
    def facts(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.data, indent=2, sort_keys=True))

    @admin.display(description="personal details (decrypted)")
    def personal_details(self, event: AuditEvent) -> str:
        details = crypto.decrypt(event.subject_id, event.ciphertext)
        if details is None:
            return ERASED
        if not details:
            return "none recorded"
        return format_html("<pre>{}</pre>", json.dumps(details, indent=2, sort_keys=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The inventory page, the incidents and the data-subject requests live in modules of their own.
from compliance import inventory_admin  # noqa: E402, F401
from compliance.dsar import admin as dsar_admin  # noqa: E402, F401
from compliance.incidents import admin as incidents_admin  # noqa: E402, F401
