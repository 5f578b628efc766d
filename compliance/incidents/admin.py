"""Incidents in the admin: the list with the 72-hour clock, and two workflows that are not
CRUD (close, correct awareness) as custom admin views calling the services."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.timezone import localtime

from compliance.admin.base import (
    ViewOnlyAdminMixin,
    staff_actor,
    workflow_form,
    workflow_page,
)
from compliance.audit.actor import Actor
from compliance.dsar.services import erasure_block_lift
from compliance.errors import IncidentError
from compliance.incidents.countdown import time_left
from compliance.incidents.models import Incident
from compliance.incidents.services import incident_close, incident_set_awareness

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CloseForm(forms.Form):
    notified_to_authority = forms.BooleanField(
        required=False,
        label="Notified to the supervisory authority",
        help_text="Tick if the breach was notified under GDPR Art. 33.",
    )
    notified_at = forms.DateTimeField(
        required=False,
        widget=DATETIME_INPUT,
        label="Notified at (UTC)",
        help_text="When the notification was made; required if it was notified.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Closing note",
        help_text="What happened, its effects and what was done (Art. 33(5)). No personal "
        "data beyond what the record needs.",
    )
    confirm = forms.BooleanField(
        label="Close the incident",
        help_text="A closed incident is kept as the record of the breach; it is not reopened.",
        error_messages={"required": "Tick the box to close the incident."},
    )


class AwarenessForm(forms.Form):
    aware_at = forms.DateTimeField(
        widget=DATETIME_INPUT,
        label="Aware since (UTC)",
        help_text="When the organisation became aware; the 72-hour deadline counts from here.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the awareness time differs from the detection time.",
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this person may be provisioned again (a genuine rehire: the hiring "
        "record, the new contract). Kept encrypted in the audit trail.",
    )


URGENCY_STYLE = {
    "overdue": "color: #fff; background: #ba2121; padding: 2px 6px; border-radius: 3px;",
    "soon": "color: #000; background: #ffc107; padding: 2px 6px; border-radius: 3px;",
}


def countdown_html(incident: Incident) -> str:
    if incident.status != Incident.Status.OPEN:
        return "closed"
    text, urgency = time_left(incident)
    return format_html(
        '<span class="incident-countdown {}" style="{}">{}</span>',
        urgency,
        URGENCY_STYLE.get(urgency, ""),
        text,
    )


@admin.register(Incident)
class IncidentAdmin(ViewOnlyAdminMixin, admin.ModelAdmin[Incident]):
    # Raised by the rules and changed only through the two workflows below.
    list_display = (
        "summary",
        "kind",
        "severity",
        "status",
        "aware_at",
        "deadline",
        "countdown",
        "notified_to_authority",
    )
    list_filter = ("status", "kind", "severity", "notified_to_authority", "detected_at")
    search_fields = ("summary",)
    date_hierarchy = "detected_at"
    list_per_page = 50
    readonly_fields = (
        "kind",
        "severity",
        "summary",
        "details",
        "detected_at",
        "aware_at",
        "awareness_reason",
        "deadline",
        "countdown",
        "status",
        "notified_to_authority",
        "notified_at",
        "closed_at",
        "closed_by",
        "closing_note",
    )
    fields = readonly_fields
    change_form_template = "admin/compliance/incident/change_form.html"

    @admin.display(description="notification deadline", ordering="aware_at")
    def deadline(self, incident: Incident) -> Any:
        return incident.notification_deadline

    @admin.display(description="time left")
    def countdown(self, incident: Incident) -> str:
        return countdown_html(incident)

    def can_handle(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.change_incident")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:pk>/close/", wrap(self.close_view), name="compliance_incident_close"),
            path(
                "<uuid:pk>/awareness/",
                wrap(self.awareness_view),
                name="compliance_incident_awareness",
            ),
            path("<uuid:pk>/lift/", wrap(self.lift_view), name="compliance_incident_lift"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {"can_handle": self.can_handle(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def close_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=CloseForm,
            title="Close incident",
            apply=lambda incident, data, actor: incident_close(
                incident=incident,
                actor=actor,
                notified_to_authority=data["notified_to_authority"],
                notified_at=data["notified_at"],
                note=data["note"],
            ),
            done="The incident is closed.",
        )

    def awareness_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=AwarenessForm,
            title="Correct when the organisation became aware",
            apply=lambda incident, data, actor: incident_set_awareness(
                incident=incident, aware_at=data["aware_at"], reason=data["reason"], actor=actor
            ),
            done="The awareness time and the deadline are updated.",
        )

    def lift_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=LiftForm,
            title="Lift the erasure block for a rehire",
            apply=lambda incident, data, actor: erasure_block_lift(
                incident=incident, reason=data["reason"], actor=actor
            ),
            done="The block is lifted: the identity can be provisioned again.",
        )

    def _workflow(
        self,
        request: HttpRequest,
        pk: Any,
        *,
        form_class: type[forms.Form],
        title: str,
        apply: Callable[[Incident, dict[str, Any], Actor], Incident],
        done: str,
    ) -> HttpResponse:
        if not self.can_handle(request):
            raise PermissionDenied
        incident = get_object_or_404(Incident, pk=pk)
        change_url = reverse("admin:compliance_incident_change", args=[incident.pk])
        form = form_class(request.POST if request.method == "POST" else None)

        def applied(data: dict[str, Any]) -> str:
            apply(incident, data, staff_actor(request))
            return done

        if response := workflow_form(
            request, form, applied, refused=IncidentError, back=change_url
        ):
            return response
        return workflow_page(
            self,
            request,
            title,
            crumbs=[
                (
                    str(self.opts.app_config.verbose_name),
                    reverse("admin:app_list", kwargs={"app_label": self.opts.app_label}),
                ),
                (
                    str(capfirst(self.opts.verbose_name_plural)),
                    reverse("admin:compliance_incident_changelist"),
                ),
                (Truncator(incident.summary).chars(40), change_url),
            ],
            intro=format_html(
                "{}, detected {} UTC. Aware since {} UTC; notification deadline "
                "<strong>{} UTC</strong>.",
                capfirst(incident.get_kind_display()),
                *(
                    date_format(localtime(moment), "Y-m-d H:i")
                    for moment in (
                        incident.detected_at,
                        incident.aware_at,
                        incident.notification_deadline,
                    )
                ),
            ),
            form=form,
            buttons=[("confirm", title)],
            cancel_url=change_url,
            opts=self.opts,
            original=incident,
        )
