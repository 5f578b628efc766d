from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from compliance.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The trail, read-only: nobody adds, changes or deletes an event here."""

    list_display = ("sequence", "occurred_at", "action", "actor_label", "channel", "outcome")
    list_filter = ("action", "channel", "outcome", "actor_kind", "occurred_at")
    search_fields = ("=actor_id", "=subject_id", "=target_id", "=request_id")
    date_hierarchy = "occurred_at"
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Data-subject requests, legal holds and export packages register their own pages.
from compliance.dsar import admin as dsar_admin  # noqa: E402, F401
