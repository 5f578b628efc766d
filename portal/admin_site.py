"""The admin site: every page needs a password and a second factor (django-otp)."""

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from two_factor.admin import AdminSiteOTPRequiredMixin

from portal.dashboard import panels_for


class AutocompleteView(AutocompleteJsonView):
    """The admin's autocomplete, letting a ModelAdmin say how its objects are found and
    named in a picker: `autocomplete_queryset(queryset)` and `autocomplete_label(obj)`."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        shape = getattr(self.model_admin, "autocomplete_queryset", None)
        return shape(queryset) if shape else queryset

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, Any]:
        result: dict[str, Any] = super().serialize_result(obj, to_field_name)  # type: ignore[misc]
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {**result, "text": label(obj)} if label else result


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

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        response = AutocompleteView.as_view(admin_site=self)(request)
        assert isinstance(response, HttpResponse)  # a JsonResponse, or a 403/404
        return response
