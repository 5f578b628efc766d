"""The record of processing activities (GDPR Art. 30) in the admin: the page, and its
downloads as CSV, JSON and HTML. A download is an export, so like the audit trail's it
answers a POST only and is recorded in the trail."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from compliance import ropa
from compliance.admin.audit import export_download
from compliance.admin.base import ViewOnlyAdminMixin, staff_actor
from compliance.audit.services import report_export_record
from compliance.models import RecordOfProcessing

REPORT = "records-of-processing"


class DownloadForm(forms.Form):
    format = forms.ChoiceField(
        choices=[(name, spec.label) for name, spec in ropa.FORMATS.items()],
        help_text="The record as it stands now. The download is recorded in the audit trail.",
    )


@admin.register(RecordOfProcessing)
class RecordOfProcessingAdmin(ViewOnlyAdminMixin, admin.ModelAdmin[RecordOfProcessing]):
    """Not a list of rows: its list page shows the record, built from the inventory and
    the connectors' processors, with the form that downloads it."""

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "download/",
                self.admin_site.admin_view(self.download_view),
                name="compliance_recordofprocessing_download",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Records of processing activities",
            "opts": self.opts,
            "record": ropa.record(),
            "placeholders": ropa.placeholder_settings(),
            "download_form": DownloadForm(),
            "download_url": reverse("admin:compliance_recordofprocessing_download"),
        }
        return TemplateResponse(request, "admin/compliance/ropa.html", context)

    def download_view(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = DownloadForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a format: CSV, JSON or HTML.")
            return redirect("admin:compliance_recordofprocessing_changelist")
        name = form.cleaned_data["format"]
        document = ropa.record()
        report_export_record(
            actor=staff_actor(request),
            report=REPORT,
            format_name=name,
            filters={},
            rows=len(document.activities),
        )
        spec = ropa.FORMATS[name]
        return export_download(
            [spec.render(document)], content_type=spec.content_type, name=REPORT, extension=name
        )
