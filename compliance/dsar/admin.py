"""Where privacy officers work: the queue of requests with deadlines, the steps of each
request as confirmation pages, a progress bar while a task runs, and the downloads."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from compliance.admin.base import (
    AutocompleteFieldsMixin,
    ServiceWriteMixin,
    ViewOnlyAdminMixin,
    staff_actor,
    workflow_form,
    workflow_page,
)
from compliance.dsar import erasure, export, failures, recipients, services, verification
from compliance.dsar import package as packages
from compliance.dsar.forms import IDENTIFIER_FIELDS, ReceiveForm
from compliance.dsar.models import (
    AuthorisedAgent,
    DataPoint,
    DataSubjectRequest,
    Erasure,
    ExportPackage,
    LegalHold,
    Status,
)
from compliance.dsar.steps import STEP_ACTIONS, STEPS, available_steps, step_form, step_warning
from compliance.errors import ComplianceError

SOON = 7


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Overdue"), ("week", "Due this week")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]
    ) -> QuerySet[DataSubjectRequest]:
        today = timezone.now().date()
        open_requests = queryset.exclude(status=Status.CLOSED)
        if self.value() == "overdue":
            return open_requests.filter(due_on__lt=today)
        if self.value() == "week":
            return open_requests.filter(due_on__gte=today, due_on__lte=today + timedelta(SOON))
        return queryset


def erasure_warning(obj: DataSubjectRequest) -> dict[str, Any]:
    """What erasing does, said before the officer confirms it."""
    return {
        "headline": f"Erasing {obj.person} cannot be undone.",
        "points": [
            "They are deactivated at once and lose every grant and group.",
            "Their accounts in downstream applications are deleted (or deactivated where the "
            "application refuses the deletion; the receipt then says so for you to follow up).",
            "Their personal data is removed from every store the portal keeps, and their key "
            "is destroyed, so the audit trail's details about them can no longer be read.",
            "What remains is a pseudonymous record, and the erasure ledger that refuses their "
            "identity if an identity provider sends it again.",
        ],
    }


def time_left(request: DataSubjectRequest) -> str:
    if request.status == Status.CLOSED:
        return "closed"
    days = (request.due_on - timezone.now().date()).days
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    return f"{days} day{'s' if days != 1 else ''} left"


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(
    AutocompleteFieldsMixin,
    ServiceWriteMixin[DataSubjectRequest],
    admin.ModelAdmin[DataSubjectRequest],
):
    form = ReceiveForm
    list_display = (
        "__str__",
        "regulation",
        "type",
        "status",
        "acknowledge_by",
        "due_on",
        "time_left_display",
        "progress_display",
        "received_at",
    )
    list_filter = (DeadlineFilter, "status", "regulation", "type", "outcome")
    search_fields = ("=id", "person__user_name", "person__display_name", "=contact_email")
    list_select_related = ("person",)
    list_per_page = 50
    autocomplete_fields = ("person",)
    ordering = ("due_on",)
    change_form_template = "admin/compliance/datasubjectrequest/change_form.html"
    readonly_fields = (
        "regulation",
        "type",
        "person",
        "status",
        "outcome",
        "denial_basis",
        "received_at",
        "received_by",
        "channel",
        "contact_email",
        "identifiers_display",
        "agent_display",
        "verification_method",
        "certainty_display",
        "verified_by",
        "verified_at",
        "acknowledge_by",
        "acknowledged_at",
        "due_on",
        "time_left_display",
        "extended_at",
        "extension_months",
        "extension_reason",
        "extension_notified_at",
        "handled_by",
        "closed_at",
        "notices_display",
        "recipients_display",
    )
    add_fieldsets = (
        (None, {"fields": ("regulation", "type", "channel", "received_at")}),
        ("Who the request is about", {"fields": ("person",)}),
        (
            "Or, when no one matches: what the requester told you",
            {"fields": tuple(IDENTIFIER_FIELDS)},
        ),
        ("Notices", {"fields": ("contact_email",)}),
    )

    @admin.display(description="identifiers given")
    def identifiers_display(self, obj: DataSubjectRequest) -> str:
        if obj.identifier_hashes and not obj.subject_identifiers:
            return f"erased ({len(obj.identifier_hashes)} kept only as keyed hashes)"
        given = obj.subject_identifiers
        return (
            "; ".join(
                f"{IDENTIFIER_FIELDS.get(kind, kind)}: {value}" for kind, value in given.items()
            )
            or "-"
        )

    @admin.display(description="authorised agent")
    def agent_display(self, obj: DataSubjectRequest) -> str:
        agent = AuthorisedAgent.objects.filter(request=obj).first()
        if agent is None:
            return "-"
        confirmed = (
            f"the consumer confirmed on {date_format(agent.consumer_confirmed_at, 'j F Y')}"
            if agent.consumer_confirmed_at
            else "not yet confirmed by the consumer"
        )
        return f"{agent.name} <{agent.email}>, signed permission “{agent.proof_name}”; {confirmed}"

    @admin.display(description="degree of certainty")
    def certainty_display(self, obj: DataSubjectRequest) -> str:
        if not obj.certainty:
            return "not verified"
        points = [DataPoint(point).label for point in obj.data_points if point in DataPoint.values]
        matched = (
            f"verified by matching {len(points)} data points ({'; '.join(points)})"
            if points
            else ""
        )
        declaration = "a signed declaration" if obj.declaration_signed else ""
        # Signing in, or an HR check in person, is as sure as the data points (§7062).
        authenticated = (
            obj.get_verification_method_display()
            if obj.verification_method in verification.AUTHENTICATED
            else ""
        )
        return ", ".join(
            part
            for part in (obj.get_certainty_display(), authenticated, matched, declaration)
            if part
        )

    @admin.display(description="notices sent")
    def notices_display(self, obj: DataSubjectRequest) -> str:
        sent = [
            f"{notice.get_kind_display()}: "
            f"{date_format(timezone.localtime(notice.sent_at), 'j M Y H:i')} "
            f"to {', '.join(notice.recipients) or '(erased)'}"
            for notice in obj.notices.all()
        ]
        return format_html_join("", "<div>{}</div>", ((line,) for line in sent)) or "-"

    @admin.display(description="recipients told")
    def recipients_display(self, obj: DataSubjectRequest) -> str:
        lines = [
            (
                event.data.get("recipient", ""),
                f"told on {date_format(timezone.localtime(event.occurred_at), 'j M Y H:i')} "
                f"at its privacy contact ({event.data.get('law')})"
                if event.outcome == "success"
                else "NOT TOLD: the connector declares no privacy contact; tell them "
                "yourself and set the contact on the connector",
            )
            for event in recipients.recipient_notices(obj)
        ]
        return format_html_join("", "<div>{}: {}</div>", lines) or "-"

    @admin.display(description="time left")
    def time_left_display(self, obj: DataSubjectRequest) -> str:
        text = time_left(obj)
        if obj.status == Status.CLOSED:
            return text
        days = (obj.due_on - timezone.now().date()).days
        colour = "#ba2121" if days < 0 else "#c77700" if days <= SOON else "inherit"
        weight = "bold" if days <= SOON else "normal"
        return format_html(
            '<span class="dsar-time-left" style="color:{};font-weight:{}">{}</span>',
            colour,
            weight,
            text,
        )

    @admin.display(description="progress")
    def progress_display(self, obj: DataSubjectRequest) -> str:
        if obj.status not in (Status.RUNNING, Status.READY):
            return "-"
        return format_html('<progress max="100" value="{}"></progress>', obj.progress)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return [(None, {"fields": self.readonly_fields})]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept 24 months after closing; retention deletes them

    def service_create(
        self, request: HttpRequest, obj: DataSubjectRequest, form: Any
    ) -> DataSubjectRequest:
        return services.request_receive(
            actor=staff_actor(request),
            regulation=form.cleaned_data["regulation"],
            type=form.cleaned_data["type"],
            person=form.cleaned_data.get("person"),
            identifiers=form.identifiers(),
            received_by=request.user,  # type: ignore[arg-type]
            received_at=form.cleaned_data.get("received_at"),
            contact_email=form.cleaned_data.get("contact_email") or "",
            channel=form.cleaned_data["channel"],
        )

    def service_update(self, request: HttpRequest, obj: DataSubjectRequest, form: Any) -> None:
        return None  # every change is a step with its own confirmation page

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if obj is not None:
            context.update(self._workflow_context(request, obj))
        return super().change_view(request, object_id, form_url, context)

    def _workflow_context(self, request: HttpRequest, obj: DataSubjectRequest) -> dict[str, Any]:
        can_change = self.has_change_permission(request, obj)
        can_download = request.user.has_perm("compliance.download_exportpackage")
        possible = available_steps(obj) if can_change else set()
        steps = [
            (name, label, reverse("admin:compliance_dsar_step", args=[obj.pk, name]))
            for name, (label, _) in STEPS.items()
            if name in possible and not verification.step_blocked(obj, name)
        ]
        blocked = [
            verification.step_blocked(obj, name)
            for name in STEPS
            if name in possible and verification.step_blocked(obj, name)
        ]
        erased = Erasure.objects.filter(request=obj, completed_at__isnull=False).first()
        return {
            "dsar_steps": steps,
            "dsar_blocked": blocked,
            "dsar_failures": failures.request_failures(obj),
            "dsar_status_url": reverse("admin:compliance_dsar_status", args=[obj.pk]),
            "dsar_packages": [
                (package, reverse("admin:compliance_dsar_download", args=[package_token]))
                for package in obj.packages.all()
                for package_token in [packages.package_link_token(package)]
            ]
            if can_download
            else [],
            "dsar_receipt_url": reverse("admin:compliance_dsar_receipt", args=[obj.pk])
            if erased
            else "",
        }

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path(
                "<uuid:pk>/step/<str:step>/",
                site.admin_view(self.step_view),
                name="compliance_dsar_step",
            ),
            path(
                "<uuid:pk>/status/",
                site.admin_view(self.status_view),
                name="compliance_dsar_status",
            ),
            path(
                "<uuid:pk>/receipt/",
                site.admin_view(self.receipt_view),
                name="compliance_dsar_receipt",
            ),
            path(
                "package/<str:token>/",
                site.admin_view(self.download_view),
                name="compliance_dsar_download",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request: HttpRequest, pk: Any, step: str) -> HttpResponse:
        obj = get_object_or_404(DataSubjectRequest, pk=pk)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if step not in STEPS or step not in available_steps(obj):
            messages.error(request, f"“{step}” is not possible while the request is {obj.status}.")
            return redirect("admin:compliance_datasubjectrequest_change", obj.pk)
        title = STEPS[step][0]
        posted = request.method == "POST"
        form = step_form(
            step, obj, request.POST if posted else None, request.FILES if posted else None
        )
        if response := workflow_form(
            request,
            form,
            lambda data: STEP_ACTIONS[step](request, obj, data),
            refused=ComplianceError,
            back=reverse("admin:compliance_datasubjectrequest_change", args=[obj.pk]),
        ):
            return response
        return workflow_page(
            self,
            request,
            title,
            crumbs=[
                (
                    "Data-subject requests",
                    reverse("admin:compliance_datasubjectrequest_changelist"),
                ),
                (str(obj), reverse("admin:compliance_datasubjectrequest_change", args=[obj.pk])),
            ],
            intro=f"{obj.get_regulation_display()} {obj.get_type_display()}, "
            f"{obj.get_status_display()}; due {date_format(obj.due_on, 'j F Y')} "
            f"({time_left(obj)}).",
            warning=erasure_warning(obj) if step == "erase" else step_warning(obj, step),
            form=form,
            buttons=[("confirm", title)],
            opts=self.opts,
        )

    def status_view(self, request: HttpRequest, pk: Any) -> JsonResponse:
        """Read-only: what the progress bar polls."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(DataSubjectRequest, pk=pk)
        return JsonResponse(
            {"status": obj.status, "progress": obj.progress, "label": obj.progress_label}
        )

    def receipt_view(self, request: HttpRequest, pk: Any) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        done = get_object_or_404(Erasure, request_id=pk, completed_at__isnull=False)
        return FileResponse(
            erasure.receipt_path(done).open("rb"),
            as_attachment=True,
            filename=f"erasure-receipt-{done.pk}.json",
            content_type="application/json",
        )

    def download_view(self, request: HttpRequest, token: str) -> HttpResponse:
        """The package behind an expiring signed link. Downloading personal data is itself
        recorded in the audit trail, so the download is a POST (a button on the request's
        page): a GET, as a prefetching browser or a scanner sends, records nothing."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("compliance.download_exportpackage"):
            raise PermissionDenied
        try:
            package = packages.package_from_token(token)
        except ComplianceError as error:
            return TemplateResponse(
                request,
                "admin/compliance/dsar_link_error.html",
                {**self.admin_site.each_context(request), "title": str(error)},
                status=410,
            )
        content = export.package_download(actor=staff_actor(request), package=package)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="dsar-{package.request_id}.zip"'
        return response


@admin.register(LegalHold)
class LegalHoldAdmin(ServiceWriteMixin[LegalHold], admin.ModelAdmin[LegalHold]):
    list_display = ("__str__", "person", "placed_at", "placed_by", "lifted_at")
    list_filter = ("lifted_at",)
    list_select_related = ("person", "placed_by")
    raw_id_fields = ("person",)
    fields = ("person", "reason")
    actions = ("lift",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("person", "reason")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_create(self, request: HttpRequest, obj: LegalHold, form: Any) -> LegalHold:
        return services.legal_hold_place(
            actor=staff_actor(request),
            person=form.cleaned_data["person"],
            reason=form.cleaned_data["reason"],
            placed_by=request.user,  # type: ignore[arg-type]
        )

    def service_update(self, request: HttpRequest, obj: LegalHold, form: Any) -> None:
        return None  # a hold is not edited: it is lifted, by the action below

    @admin.action(description="Lift the selected holds", permissions=["change"])
    def lift(self, request: HttpRequest, queryset: QuerySet[LegalHold]) -> HttpResponse | None:
        active = queryset.filter(lifted_at__isnull=True)
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Lift legal holds",
                "holds": active,
                "opts": self.opts,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/compliance/legalhold_lift.html", context)
        for hold in active:
            services.legal_hold_lift(
                actor=staff_actor(request),
                hold=hold,
                lifted_by=request.user,  # type: ignore[arg-type]
            )
        messages.success(request, f"Lifted {len(active)} hold(s).")
        return None


@admin.register(ExportPackage)
class ExportPackageAdmin(ViewOnlyAdminMixin, admin.ModelAdmin[ExportPackage]):
    list_display = ("__str__", "request", "created_at", "expires_at", "size")
    list_select_related = ("request",)
    readonly_fields = ("request", "person", "sha256", "size", "created_at", "expires_at")
    fields = readonly_fields
