"""The identity reports read from the audit trail: a person's history and the access
report (who holds what). They are served under the audit events' admin, with its address
and permissions: reading needs the view permission on audit events; exporting needs
compliance.export_auditevent, happens only by POST, and is recorded."""

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from compliance.admin.audit import (
    AUDIT_PAGES,
    AuditEventAdmin,
    AuditPage,
    export_download,
    export_page,
)
from compliance.admin.base import staff_actor
from compliance.audit.export import csv_lines, in_chunks
from compliance.audit.history import HISTORY_FORMATS, history_page, history_stream, subject_history
from compliance.audit.services import audit_export, report_export_record
from provisioning.access_report import HOLDING_COLUMNS, AccessHoldings, Holding
from provisioning.admin.forms import person_field
from provisioning.models import AccessGrant, Person

HISTORY_PAGE_SIZE = 50


class HistoryExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("json", "JSON")],
        help_text=(
            "The whole history, with personal details decrypted where the person's key still "
            "exists: the file is personal data. The export is recorded in the person's own "
            "history."
        ),
    )


def identity_history_view(
    model_admin: AuditEventAdmin, request: HttpRequest, subject_id: UUID
) -> TemplateResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    subject = str(subject_id)
    page = Paginator(subject_history(subject_id=subject), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Identity history",
        "opts": model_admin.opts,
        "subject_id": subject,
        "person": Person.objects.filter(pk=subject_id).first(),
        "page": page,
        "entries": history_page(page.object_list, subject),
        "export_form": HistoryExportForm() if model_admin.has_export_permission(request) else None,
    }
    return TemplateResponse(request, "admin/compliance/identity_history.html", context)


@export_page
def identity_history_export_view(
    model_admin: AuditEventAdmin, request: HttpRequest, subject_id: UUID
) -> HttpResponseBase:
    subject = str(subject_id)
    form = HistoryExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an export format: CSV or JSON.")
        return redirect(reverse("admin:compliance_identity_history", args=[subject]))
    format_name = form.cleaned_data["format"]
    events, _ = audit_export(
        actor=staff_actor(request),
        events=subject_history(subject_id=subject),
        format_name=f"identity-history.{format_name}",
        filters={"report": "identity-history", "subject": subject},
        subject_id=subject,
    )
    content_type, extension = HISTORY_FORMATS[format_name]
    return export_download(
        history_stream(events, subject_id=subject, format_name=format_name),
        content_type=content_type,
        name=f"identity-history-{subject}",
        extension=extension,
    )


class AccessFilterForm(forms.Form):
    person = person_field(
        AccessGrant,
        "person",
        required=False,
        help_text="Only this person's access: type part of their name, username or e-mail.",
    )


ACCESS_PAGE_SIZE = 100


def _access_filter(request: HttpRequest) -> AccessFilterForm:
    return AccessFilterForm({"person": request.GET.get("person", "")})


def _person_id(form: AccessFilterForm) -> UUID | None:
    person: Person | None = form.cleaned_data.get("person")
    return person.pk if person else None


def access_report_view(model_admin: AuditEventAdmin, request: HttpRequest) -> TemplateResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = _access_filter(request)
    # An invalid filter shows its error and matches nothing, rather than everything.
    holdings: AccessHoldings | list[Holding] = (
        AccessHoldings(person_id=_person_id(form)) if form.is_valid() else []
    )
    page = Paginator[Holding](holdings, ACCESS_PAGE_SIZE).get_page(request.GET.get("page"))
    person = form["person"].value()  # as typed, so the next page shows the same filter
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Access report",
        "opts": model_admin.opts,
        "form": form,
        "page": page,
        # The export covers what the page shows: it posts the page's filter back.
        "export_url": reverse("admin:compliance_access_report_export")
        + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "person_filter": urlencode({"person": person}) if person else "",
        "export_form": AccessExportForm() if model_admin.has_export_permission(request) else None,
    }
    return TemplateResponse(request, "admin/compliance/access_report.html", context)


class AccessExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("csv", "CSV")],
        widget=forms.HiddenInput,
        initial="csv",
        help_text=(
            "Every holding matching the filter, as CSV. It names people, so it is personal "
            "data; the export is recorded in the audit trail."
        ),
    )


@export_page
def access_report_export_view(
    model_admin: AuditEventAdmin, request: HttpRequest
) -> HttpResponseBase:
    form = _access_filter(request)
    if not form.is_valid():
        messages.error(request, "Choose the person from the list; nothing was exported.")
        return redirect(f"{reverse('admin:compliance_access_report')}?{request.GET.urlencode()}")
    person_id = _person_id(form)
    holdings = AccessHoldings(person_id=person_id)
    report_export_record(
        actor=staff_actor(request),
        report="access",
        format_name="csv",
        filters={"person": str(person_id)} if person_id else {},
        rows=holdings.count(),
        subject_id=str(person_id or ""),
    )
    documents = ({**asdict(h), "since": h.since.isoformat()} for h in holdings)
    return export_download(
        in_chunks(csv_lines(HOLDING_COLUMNS, documents)),
        content_type="text/csv; charset=utf-8",
        name="access-report",
        extension="csv",
    )


AUDIT_PAGES.extend(
    [
        AuditPage(
            "history/<uuid:subject_id>/", identity_history_view, "compliance_identity_history"
        ),
        AuditPage(
            "history/<uuid:subject_id>/export/",
            identity_history_export_view,
            "compliance_identity_history_export",
        ),
        AuditPage("reports/access/", access_report_view, "compliance_access_report"),
        AuditPage(
            "reports/access/export/",
            access_report_export_view,
            "compliance_access_report_export",
        ),
    ]
)
