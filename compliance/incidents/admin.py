"""Findings and breaches in the admin. Findings: what the rules found, grouped, awaiting
the privacy officer's triage. Breaches: the 72-hour clock, what Art. 33(3) and 34 ask to
record, and the close. The workflows that are not CRUD (triage, describe, correct
awareness, close, lift an erasure block) are custom admin views calling the services."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
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
from compliance.incidents.details import details_rows
from compliance.incidents.models import Breach, Finding, Incident
from compliance.incidents.services import (
    BreachDescription,
    breach_describe,
    finding_dismiss,
    finding_merge,
    finding_triage_breach,
    incident_close,
    incident_set_awareness,
)

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
Stage = Incident.Stage


class TriageForm(forms.Form):
    BREACH, NOT_BREACH, MERGE = "breach", "not-breach", "merge"
    outcome = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[
            (BREACH, "A personal-data breach: start the 72-hour clock now"),
            (NOT_BREACH, "Not a personal-data breach"),
            (MERGE, "Part of a breach already open"),
        ],
        help_text="A breach is a breach of security leading to the accidental or unlawful "
        "destruction, loss, alteration, unauthorised disclosure of, or access to, personal "
        "data (GDPR Art. 4(12)).",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why. Required when it is not a breach: the record shows why nothing was "
        "notified (Art. 33(5)).",
    )
    breach = forms.ModelChoiceField(
        queryset=Breach.objects.none(),
        required=False,
        help_text="The open breach this finding is part of; its clock does not move.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["breach"]
        field.queryset = Breach.objects.filter(
            stage=Stage.BREACH, status=Incident.Status.OPEN
        ).order_by("-aware_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == self.MERGE and data.get("breach") is None:
            self.add_error("breach", "Choose the breach it is part of.")
        if data.get("outcome") == self.NOT_BREACH and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why this is not a personal-data breach.")
        return data


class DescribeForm(forms.ModelForm[Incident]):
    """Art. 33(3) and 34, as the facts come in; saved by breach_describe, never here."""

    class Meta:
        model = Incident
        fields = (
            "nature",
            "subject_categories",
            "subjects_approx",
            "record_categories",
            "records_approx",
            "consequences",
            "measures",
            "dpo_contact",
            "subjects_informed",
            "subjects_informed_at",
            "subjects_informed_how",
            "subjects_not_informed_reason",
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "nature",
                "subject_categories",
                "record_categories",
                "consequences",
                "measures",
                "subjects_informed_how",
                "subjects_not_informed_reason",
            )
        } | {"subjects_informed_at": DATETIME_INPUT}
        labels = {"subjects_informed_at": "Told at (UTC)"}

    def description(self) -> BreachDescription:
        return BreachDescription(**self.cleaned_data)


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
        label="Close the breach",
        help_text="A closed breach is kept as the record of the breach; it is not reopened.",
        error_messages={"required": "Tick the box to close the breach."},
    )


class AwarenessForm(forms.Form):
    aware_at = forms.DateTimeField(
        widget=DATETIME_INPUT,
        label="Aware since (UTC)",
        help_text="When the organisation became aware; the 72-hour deadline counts from here.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the awareness time differs from the triage time.",
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
    if incident.status != Incident.Status.OPEN or not incident.is_breach:
        return "closed" if incident.status == Incident.Status.CLOSED else "-"
    text, urgency = time_left(incident)
    return format_html(
        '<span class="incident-countdown {}" style="{}">{}</span>',
        urgency,
        URGENCY_STYLE.get(urgency, ""),
        text,
    )


class IncidentPages(ViewOnlyAdminMixin, admin.ModelAdmin[Any]):
    """What the finding and breach pages share: read-only records, the permission to act
    (compliance.change_incident, the privacy officers'), details in words, and the frame
    of their workflow pages."""

    change_form_template = "admin/compliance/incident/change_form.html"

    def can_handle(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.change_incident")

    @admin.display(description="what was found")
    def found(self, incident: Incident) -> SafeString:
        rows = details_rows(incident)
        if not rows:
            return format_html("{}", "nothing more than the summary")
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {"can_handle": self.can_handle(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def _workflow(
        self,
        request: HttpRequest,
        pk: Any,
        *,
        form_class: Callable[..., Any],
        title: str,
        apply: Callable[[Incident, Any, Actor], Incident],
        done: str,
    ) -> HttpResponse:
        """A workflow page: `apply` gets the record, the valid form and the actor."""
        if not self.can_handle(request):
            raise PermissionDenied
        incident = get_object_or_404(self.model, pk=pk)
        change_url = reverse(f"admin:compliance_{self.opts.model_name}_change", args=[incident.pk])
        form = form_class(request.POST if request.method == "POST" else None, incident=incident)

        def applied(data: dict[str, Any]) -> str:
            apply(incident, form, staff_actor(request))
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
                    reverse(f"admin:compliance_{self.opts.model_name}_changelist"),
                ),
                (Truncator(incident.summary).chars(40), change_url),
            ],
            intro=self._intro(incident),
            form=form,
            buttons=[("confirm", title)],
            cancel_url=change_url,
            opts=self.opts,
            original=incident,
        )

    @staticmethod
    def _intro(incident: Incident) -> SafeString:
        found = format_html(
            "{}, first found {} UTC.",
            capfirst(incident.get_kind_display()),
            date_format(localtime(incident.detected_at), "Y-m-d H:i"),
        )
        deadline = incident.notification_deadline
        if incident.aware_at is None or deadline is None:
            return found
        return format_html(
            "{} Aware since {} UTC; notification deadline <strong>{} UTC</strong>.",
            found,
            *(
                date_format(localtime(moment), "Y-m-d H:i")
                for moment in (incident.aware_at, deadline)
            ),
        )


def _with_incident(form_class: type[forms.Form]) -> Callable[..., forms.Form]:
    """A plain form built like the describe form, which starts from the breach."""

    def build(data: Any, *, incident: Incident) -> forms.Form:
        return form_class(data)

    return build


def _triage(finding: Incident, form: Any, actor: Actor) -> Incident:
    data = form.cleaned_data
    if data["outcome"] == TriageForm.BREACH:
        return finding_triage_breach(finding=finding, actor=actor, reason=data["reason"])
    if data["outcome"] == TriageForm.MERGE:
        return finding_merge(finding=finding, breach=data["breach"], actor=actor)
    return finding_dismiss(finding=finding, actor=actor, reason=data["reason"])


@admin.register(Finding)
class FindingAdmin(IncidentPages):
    """What the alert rules found, one row per kind and subject with how often."""

    list_display = (
        "summary",
        "kind",
        "severity",
        "occurrences",
        "detected_at",
        "last_detected_at",
        "stage",
    )
    list_filter = ("stage", "kind", "severity", "detected_at")
    search_fields = ("summary",)
    date_hierarchy = "detected_at"
    list_per_page = 50
    readonly_fields = (
        "kind",
        "severity",
        "summary",
        "found",
        "occurrences",
        "detected_at",
        "last_detected_at",
        "stage",
        "triaged_at",
        "triaged_by",
        "triage_reason",
        "breach_link",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Every row a rule raised, triaged or not, but the triaged breaches (their page
        # is the breaches list); the officer's first filter is "awaiting triage".
        return (
            super()
            .get_queryset(request)
            .exclude(stage=Stage.BREACH)
            .select_related("merged_into", "triaged_by")
        )

    @admin.display(description="merged into")
    def breach_link(self, finding: Incident) -> SafeString:
        breach = finding.merged_into
        if breach is None:
            return format_html("{}", "-")
        url = reverse("admin:compliance_breach_change", args=[breach.pk])
        return format_html('<a href="{}">{}</a>', url, breach.summary)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:pk>/triage/", wrap(self.triage_view), name="compliance_finding_triage"),
            path("<uuid:pk>/lift/", wrap(self.lift_view), name="compliance_finding_lift"),
            *super().get_urls(),
        ]

    def triage_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=_with_incident(TriageForm),
            title="Triage the finding",
            apply=_triage,
            done="The finding is triaged.",
        )

    def lift_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=_with_incident(LiftForm),
            title="Lift the erasure block for a rehire",
            apply=lambda finding, form, actor: erasure_block_lift(
                incident=finding, reason=form.cleaned_data["reason"], actor=actor
            ),
            done="The block is lifted: the identity can be provisioned again.",
        )


def _describe_form(data: Any, *, incident: Incident) -> Any:
    return DescribeForm(data, instance=Incident.objects.get(pk=incident.pk))


@admin.register(Breach)
class BreachAdmin(IncidentPages):
    """Personal-data breaches with their 72-hour clock, from triage to close."""

    # The clock first: at a laptop's width, the columns past the fifth scroll out of sight.
    list_display = (
        "summary",
        "countdown",
        "deadline",
        "status",
        "severity",
        "kind",
        "aware_at",
        "notified_to_authority",
    )
    list_filter = ("status", "kind", "severity", "notified_to_authority", "aware_at")
    search_fields = ("summary",)
    date_hierarchy = "aware_at"
    list_per_page = 50
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "severity",
                    "summary",
                    "found",
                    "detected_at",
                    "triaged_at",
                    "triaged_by",
                    "triage_reason",
                    "findings",
                )
            },
        ),
        (
            "The 72-hour clock",
            {"fields": ("aware_at", "awareness_reason", "deadline", "countdown")},
        ),
        (
            "What a notification describes (Art. 33(3))",
            {
                "fields": (
                    "nature",
                    "subject_categories",
                    "subjects_approx",
                    "record_categories",
                    "records_approx",
                    "consequences",
                    "measures",
                    "dpo_contact",
                )
            },
        ),
        (
            "Telling the people affected (Art. 34)",
            {
                "fields": (
                    "subjects_informed",
                    "subjects_informed_at",
                    "subjects_informed_how",
                    "subjects_not_informed_reason",
                )
            },
        ),
        (
            "Closing",
            {
                "fields": (
                    "status",
                    "notified_to_authority",
                    "notified_at",
                    "closed_at",
                    "closed_by",
                    "closing_note",
                )
            },
        ),
    )
    readonly_fields = tuple(name for _, block in fieldsets for name in block["fields"])  # type: ignore[misc]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(stage=Stage.BREACH)

    @admin.display(description="notification deadline", ordering="aware_at")
    def deadline(self, breach: Incident) -> Any:
        return breach.notification_deadline

    @admin.display(description="time left")
    def countdown(self, breach: Incident) -> str:
        return countdown_html(breach)

    @admin.display(description="findings merged into it")
    def findings(self, breach: Incident) -> SafeString:
        merged = list(breach.merged_findings.order_by("detected_at").values_list("pk", "summary"))
        if not merged:
            return format_html("{}", "none")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:compliance_finding_change", args=[pk]), summary)
                for pk, summary in merged
            ),
        )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<uuid:pk>/describe/", wrap(self.describe_view), name="compliance_breach_describe"
            ),
            path("<uuid:pk>/close/", wrap(self.close_view), name="compliance_breach_close"),
            path(
                "<uuid:pk>/awareness/",
                wrap(self.awareness_view),
                name="compliance_breach_awareness",
            ),
            *super().get_urls(),
        ]

    def describe_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=_describe_form,
            title="Describe the breach",
            apply=lambda breach, form, actor: _describe(breach, form, actor),
            done="The breach's description is saved.",
        )

    def close_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=_with_incident(CloseForm),
            title="Close the breach",
            apply=lambda breach, form, actor: incident_close(
                incident=breach,
                actor=actor,
                notified_to_authority=form.cleaned_data["notified_to_authority"],
                notified_at=form.cleaned_data["notified_at"],
                note=form.cleaned_data["note"],
            ),
            done="The breach is closed.",
        )

    def awareness_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self._workflow(
            request,
            pk,
            form_class=_with_incident(AwarenessForm),
            title="Correct when the organisation became aware",
            apply=lambda breach, form, actor: incident_set_awareness(
                incident=breach,
                aware_at=form.cleaned_data["aware_at"],
                reason=form.cleaned_data["reason"],
                actor=actor,
            ),
            done="The awareness time and the deadline are updated.",
        )


def _describe(breach: Incident, form: Any, actor: Actor) -> Incident:
    return breach_describe(breach=breach, description=form.description(), actor=actor)
