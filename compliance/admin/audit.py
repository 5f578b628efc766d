"""The audit trail in the admin: read-only, filtered, searched and exported."""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar, cast

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from compliance.admin.base import ViewOnlyAdminMixin, staff_actor
from compliance.audit import crypto, history, references
from compliance.audit.export import FORMATS, export_stream
from compliance.audit.filters import AUDIT_EVENT_FILTERS
from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_export
from compliance.subjects import subject_names, subjects_matching


@dataclass(frozen=True)
class AuditPage:
    """A page read from the trail that another app serves under the audit events' address
    and permissions: the identity domain's reports about people. Its view is called with
    the AuditEventAdmin, the request and the route's arguments."""

    route: str
    view: Callable[..., HttpResponseBase]
    name: str


ExportView = TypeVar("ExportView", bound=Callable[..., HttpResponseBase])


def export_page(view: ExportView) -> ExportView:
    """An audit page that exports. An export records an event, so it answers a POST only,
    never a GET, and only staff who may export the audit trail. The view is called with
    the AuditEventAdmin, the request and the route's arguments."""

    @functools.wraps(view)
    def guarded(
        model_admin: "AuditEventAdmin", request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not model_admin.has_export_permission(request):
            raise PermissionDenied
        return view(model_admin, request, *args, **kwargs)

    return cast(ExportView, guarded)


def export_download(
    content: Iterable[Any], *, content_type: str, name: str, extension: str
) -> StreamingHttpResponse:
    """An export, streamed as a file named for what it holds and when it was made (UTC)."""
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{extension}"'
    return response


# Filled by the admin of the apps above compliance as they are imported (admin
# autodiscovery), before the URLs are first read.
AUDIT_PAGES: list[AuditPage] = []

ERASED = "erased: the subject's key was destroyed, so these details can no longer be read"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[(name, spec.label) for name, spec in FORMATS.items()],
        help_text=(
            "Exports every event matching the current filters and search, in sequence order. "
            "Personal details are included decrypted where the subject's key still exists, "
            "so the file is personal data: store and share it accordingly. "
            "The export is itself recorded in the trail, with its filters and row count."
        ),
    )


class AuditEventChangeList(ChangeList):
    """Names the subjects and targets of a page of events in one query, for its columns."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        events: list[AuditEvent] = list(self.result_list)
        names = subject_names(
            {id for event in events for id in (event.subject_id, event.target_id)}
        )
        for event in events:
            event.subject_name = names.get(event.subject_id, "")  # type: ignore[attr-defined]
            event.target_name = names.get(event.target_id, "")  # type: ignore[attr-defined]


def _listed(values: dict[str, Any]) -> str:
    """Facts one to a line, as a person reads them: names and words, not JSON."""
    return format_html_join(
        "",
        "<div><strong>{}</strong>: {}</div>",
        ((name, history.value_shown(value)) for name, value in sorted(values.items())),
    )


def _model_name(target_type: str) -> str:
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin[AuditEvent]):
    """The trail, read-only: nobody adds, changes or deletes an event here. Auditors filter
    it by actor, subject, action, channel and date, and export what they filtered; an
    event's page shows its personal details decrypted, or says they were erased."""

    # Who it concerned comes before how: on a narrow screen the later columns scroll away.
    list_display = (
        "sequence",
        "occurred_at",
        "action",
        "subject",
        "actor_label",
        "target",
        "channel",
        "outcome",
    )
    list_filter = AUDIT_EVENT_FILTERS
    # get_search_results reads the term: a person's name, username, e-mail or employee
    # number, an actor's name, or an exact id. This only turns the search box on.
    search_fields = ("=subject_id",)
    search_help_text = (
        "A person's name, username, e-mail address or employee number; an actor's name; "
        "or an exact id. Erased people cannot be found by name."
    )
    date_hierarchy = "occurred_at"
    list_per_page = 100
    show_full_result_count = False
    # Facet counts would scan the whole trail once per filter choice.
    show_facets = admin.ShowFacets.NEVER
    # Every column is on the event row itself: no joins, no query per row.
    list_select_related = False
    fieldsets = (
        (None, {"fields": ("sequence", "occurred_at", "action", "outcome", "what_happened")}),
        (
            "Who and how",
            {"fields": ("actor_kind", "actor_id", "actor_label", "channel", "request_id")},
        ),
        ("Network", {"fields": ("client_address",)}),
        ("What", {"fields": ("target_type", "target_id", "subject_id", "facts")}),
        ("Personal details", {"fields": ("personal_details",)}),
        ("Chain", {"classes": ("collapse",), "fields": ("previous_hash", "hash")}),
    )
    readonly_fields = ("what_happened", "facts", "personal_details")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditEventChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        subjects = subjects_matching(term)
        found = (
            Q(actor_label__icontains=term)
            | Q(actor_id=term)
            | Q(subject_id=term)
            | Q(target_id=term)
            | Q(request_id=term)
            | Q(subject_id__in=subjects)
            | Q(target_id__in=subjects)
        )
        return queryset.filter(found), False

    @admin.display(description="target")
    def target(self, event: AuditEvent) -> str:
        name = getattr(event, "target_name", "")
        kind = _model_name(event.target_type)
        return f"{kind}: {name}" if name else kind

    @admin.display(description="subject")
    def subject(self, event: AuditEvent) -> str:
        if not event.subject_id:
            return "-"
        name = getattr(event, "subject_name", "") or "a person no longer known by name"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:compliance_identity_history", args=[event.subject_id]),
            name,
        )

    @admin.display(description="what happened")
    def what_happened(self, event: AuditEvent) -> str:
        return history.describe(event, *self._readable(event))

    @admin.display(description="facts (no personal data)")
    def facts(self, event: AuditEvent) -> str:
        _, labels = self._readable(event)
        return _listed(references.named_facts(event.action, event.data, labels)) or "none"

    @admin.display(description="personal details (decrypted)")
    def personal_details(self, event: AuditEvent) -> str:
        details, labels = self._readable(event)
        if details is None:
            return ERASED
        return _listed(references.named_facts(event.action, details, labels)) or "none recorded"

    def _readable(self, event: AuditEvent) -> tuple[dict[str, Any] | None, references.Labels]:
        """The event's details decrypted, with the people and objects it refers to named
        as the identity history names them, rather than by id: read once for the page's
        three fields, kept on the event the page loaded."""
        if (readable := getattr(event, "_readable", None)) is None:
            details = crypto.decrypt(event.subject_id, event.ciphertext)
            names = subject_names(references.referenced_subjects([details]))
            details = references.shown(details, names, gone=references.PERSON_GONE)
            labels = references.object_labels(
                (event.action, part) for part in (event.data, details or {})
            )
            readable = event._readable = (details, labels)  # type: ignore[attr-defined]
        return cast(tuple[dict[str, Any] | None, references.Labels], readable)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            "compliance.export_auditevent"
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="compliance_auditevent_export",
            ),
            *(
                path(
                    page.route, self.admin_site.admin_view(partial(page.view, self)), name=page.name
                )
                for page in AUDIT_PAGES
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse | TemplateResponse:
        context = {
            **(extra_context or {}),
            "export_form": ExportForm() if self.has_export_permission(request) else None,
            # The export covers the selection shown: it posts the changelist's filters back.
            "export_url": reverse("admin:compliance_auditevent_export")
            + (f"?{request.GET.urlencode()}" if request.GET else ""),
        }
        return super().changelist_view(request, context)

    @export_page
    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """Stream the changelist's current selection (its own filters, search and date
        hierarchy, read from the query string) in the chosen format."""
        back = f"{reverse('admin:compliance_auditevent_changelist')}?{request.GET.urlencode()}"
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an export format: CSV, JSON Lines or OCSF JSON.")
            return redirect(back)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "These filters are not valid; nothing was exported.")
            return redirect(back)
        format_name = form.cleaned_data["format"]
        filters = {k: v for k, v in request.GET.items() if k not in (PAGE_VAR, ORDER_VAR)}
        events, _ = audit_export(
            actor=staff_actor(request),
            events=changelist.queryset.order_by("sequence"),
            format_name=format_name,
            filters=filters,
        )
        spec = FORMATS[format_name]
        return export_download(
            export_stream(events, format_name),
            content_type=spec.content_type,
            name="audit-events",
            extension=spec.extension,
        )
