"""The admin site: every page needs a password and a second factor (django-otp)."""

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from two_factor.admin import AdminSiteOTPRequiredMixin

from portal.dashboard import panels_for


class PortalAdminSite(AdminSiteOTPRequiredMixin, AdminSite):
    """Staff with a correct password but no verified OTP device reach no admin page: they
    are sent to the two-factor login, and from there to enrolment if they have no device."""

    site_header = "Provisioning portal"
    site_title = "Provisioning portal"
    index_title = "Dashboard"

    # --- The admin home as a dashboard (portal/dashboard.py) ---
    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        """The staff member's dashboard panels, above the list of apps."""
        context = {"dashboard_panels": panels_for(request), **(extra_context or {})}
        return super().index(request, context)


class ViewOnlyAdminMixin:
    """For records that only services write (audit events, incidents, approvals, export
    packages, the inventory): the admin shows them and never adds, changes or deletes one.
    Put it before ModelAdmin in the bases."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
