"""Admin for grants and their paper trail: grants (read-only, revoked through a service),
manual grants, least-privilege reports, access requests with their approval stages, the
approver inbox and scheduled leavers."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from compliance.admin.base import ViewOnlyAdminMixin, staff_actor, workflow_page
from provisioning import errors, selectors
from provisioning.admin.base import (
    PER_PAGE,
    Cancellation,
    LinkedPagesAdmin,
    ScheduledChangeAdmin,
    action_confirmation,
    require,
)
from provisioning.admin.forms import (
    AccessRequestForm,
    CancelOffboardingForm,
    ManualGrantForm,
    RevokeForm,
    days,
)
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Approval,
    Entitlement,
    ScheduledOffboarding,
)
from provisioning.services import access, lifecycle, requests

REPORTS = {
    "expiring": "Grants expiring in the next 7 days",
    "stale": "Stale identities",
    "manual": "Grants made by hand",
    "shared": "Accounts that look shared",
    "sod": "People holding conflicting roles",
}


class HeldEntitlementFilter(admin.RelatedOnlyFieldListFilter):
    """The entitlements granted directly, named with their application in one query."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        held = model_admin.get_queryset(request).values("entitlement_id")
        entitlements = Entitlement.objects.filter(pk__in=held).select_related("application")
        return [(entitlement.pk, str(entitlement)) for entitlement in entitlements]


@admin.register(AccessGrant)
class AccessGrantAdmin(LinkedPagesAdmin):
    list_display = ("person", "held", "source", "status", "starts_at", "expires_at", "granted_by")
    list_filter = (
        "status",
        "source",
        ("role", admin.RelatedOnlyFieldListFilter),
        ("entitlement", HeldEntitlementFilter),
    )
    search_fields = (
        "person__user_name",
        "person__display_name",
        "role__name",
        "entitlement__name",
    )
    list_select_related = ("person", "role", "entitlement__application")
    date_hierarchy = "starts_at"
    list_per_page = PER_PAGE
    show_full_result_count = False
    actions = ("revoke",)
    links = (
        ("Least-privilege reports", "admin:provisioning_reports", "provisioning.view_accessgrant"),
    )

    @admin.display(description="role or entitlement")
    def held(self, grant: AccessGrant) -> str:
        return str(grant.held)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AccessGrant._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        return HttpResponseRedirect(reverse("admin:provisioning_grant_manual"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("manual/", view(self.manual_view), name="provisioning_grant_manual"),
            path("reports/", view(self.reports_view), name="provisioning_reports"),
            path("reports/<str:name>/", view(self.report_view), name="provisioning_report"),
            *super().get_urls(),
        ]

    def manual_view(self, request: HttpRequest) -> HttpResponse:
        require(request, "provisioning.add_accessgrant")
        form = ManualGrantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                access.grant_create(
                    person=data["person"],
                    role=data["role"],
                    entitlement=data["entitlement"],
                    source=AccessGrant.Source.MANUAL,
                    expires_at=data["expires_at"],
                    reason=data["reason"],
                    actor=staff_actor(request),
                )
            except errors.ProvisioningError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Granted.")
                return redirect("admin:provisioning_accessgrant_changelist")
        return workflow_page(
            self, request, "Grant access by hand", form=form, buttons=[("Grant", "Grant")]
        )

    @admin.action(description="Revoke the selected grants", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessGrant]) -> Any:
        form = RevokeForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            ended = access.grants_end(
                grants=queryset, actor=staff_actor(request), reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"{ended} grants revoked.")
            return None
        active = queryset.filter(status=AccessGrant.Status.ACTIVE).select_related(
            "person", "role", "entitlement__application"
        )
        return action_confirmation(
            request,
            self,
            action="revoke",
            title="Revoke grants",
            intro="These active grants will be revoked at once. Give the reason; it is "
            "recorded on each.",
            items=[f"{grant.held} — {grant.person}" for grant in active[:200]],
            empty="None of the selected grants is active.",
            form=form,
            button="Revoke",
        )

    def reports_view(self, request: HttpRequest) -> HttpResponse:
        require(request, "provisioning.view_accessgrant")
        links = [
            (label, reverse("admin:provisioning_report", args=[n])) for n, label in REPORTS.items()
        ]
        return workflow_page(self, request, "Least privilege", links=links)

    def report_view(self, request: HttpRequest, name: str) -> HttpResponse:
        require(request, "provisioning.view_accessgrant")
        if name not in REPORTS:
            raise PermissionDenied
        now = timezone.now()
        columns, queryset, row = report(name, now)
        page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
        return workflow_page(
            self,
            request,
            REPORTS[name],
            columns=columns,
            rows=[row(item) for item in page],
            page_obj=page,
        )


def report(name: str, now: Any) -> tuple[list[str], Any, Any]:
    """The columns, the (lazy, paginated) query and the row of one least-privilege report."""
    if name == "expiring":
        return (
            ["Person", "Role or entitlement", "Source", "Expires"],
            selectors.grants_expiring(within=timedelta(days=7), now=now),
            lambda g: (g.person, g.held, g.source, g.expires_at),
        )
    if name == "stale":
        idle = now - timedelta(days=settings.STALE_IDENTITY_DAYS)
        return (
            ["Person", "Last change", "Active grants"],
            selectors.persons_stale(idle_since=idle),
            lambda p: (p, p.modified, p.active_grants),
        )
    if name == "manual":
        return (
            ["Person", "Role or entitlement", "Granted by", "Since", "Expires"],
            selectors.grants_manual(),
            lambda g: (g.person, g.held, g.granted_by, g.starts_at, g.expires_at or "never"),
        )
    if name == "shared":
        return (
            ["E-mail address", "People"],
            selectors.emails_shared(),
            lambda e: (e["address"], e["people"]),
        )
    return (
        ["Person", "Role", "Conflicts with"],
        selectors.sod_violations(),
        lambda g: (g.person, g.role, g.conflicts_with),
    )


class ApprovalInline(admin.TabularInline[Approval, AccessRequest]):
    model = Approval
    extra = 0
    can_delete = False
    fields = (
        "stage",
        "kind",
        "sod_rule",
        "approver_email",
        "decision",
        "decided_at",
        "comment",
        "deadline",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        # A rule is named by its two roles; a row's title by its request's role and person.
        return (
            super()
            .get_queryset(request)
            .select_related(
                "sod_rule__role_a", "sod_rule__role_b", "request__role", "request__person"
            )
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin[AccessRequest]):
    list_display = ("person", "role", "status", "requested_by", "days_asked", "created")
    list_filter = ("status", "role")
    search_fields = ("person__user_name", "role__name")
    list_select_related = ("person", "role", "requested_by")
    inlines = (ApprovalInline,)
    list_per_page = PER_PAGE
    exclude = ("duration",)  # shown as days_asked

    @admin.display(description="days asked", ordering="duration")
    def days_asked(self, request: AccessRequest) -> str:
        return days(request.duration)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The id is in the address already; the duration reads in days, as it was asked.
        shown = {"id": None, "duration": "days_asked"}
        names = (shown.get(field.name, field.name) for field in AccessRequest._meta.fields)
        return [name for name in names if name]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        """The request form: a justification and a duration the role allows."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AccessRequestForm(request.POST or None, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = requests.access_request(
                    person=data["person"],
                    role=data["role"],
                    requested_by=request.user,  # type: ignore[arg-type]
                    justification=data["justification"],
                    duration=timedelta(days=data["days"]),
                    actor=staff_actor(request),
                )
            except errors.ProvisioningError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Requested; the first approver has been e-mailed.")
                return redirect("admin:provisioning_accessrequest_change", created.pk)
        return workflow_page(
            self, request, "Request access", form=form, buttons=[("Request", "Request")]
        )


@admin.register(Approval)
class ApprovalAdmin(ViewOnlyAdminMixin, LinkedPagesAdmin):
    list_display = ("request", "stage", "kind", "approver_email", "decision", "deadline")
    list_filter = ("decision", "kind")
    search_fields = ("approver_email",)
    list_select_related = ("request__person", "request__role")
    exclude = ("token_hash",)
    links = (("My inbox", "admin:provisioning_inbox", "provisioning.view_approval"),)
    list_per_page = PER_PAGE

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Approval._meta.fields if f.name not in ("id", "token_hash")]

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("inbox/", view(self.inbox_view), name="provisioning_inbox"),
            *super().get_urls(),
        ]

    def inbox_view(self, request: HttpRequest) -> HttpResponse:
        """Pending approvals addressed to the signed-in member of staff's e-mail."""
        require(request, "provisioning.view_approval")
        email = request.user.email  # type: ignore[union-attr]
        if request.method == "POST":
            approval = get_object_or_404(Approval, pk=request.POST.get("approval"))
            try:
                requests.approval_decide_as_staff(
                    approval=approval,
                    user=request.user,  # type: ignore[arg-type]
                    approve=request.POST.get("decision") == "approve",
                    comment=request.POST.get("comment", "")[:2000],
                    actor=staff_actor(request),
                )
            except errors.GovernanceError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "Decision recorded.")
            return redirect("admin:provisioning_inbox")
        pending = selectors.approvals_pending_for(email=email) if email else Approval.objects.none()
        page = Paginator(pending, PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": "My approvals",
            "page_obj": page,
        }
        return TemplateResponse(request, "admin/provisioning/inbox.html", context)


@admin.register(ScheduledOffboarding)
class ScheduledOffboardingAdmin(ScheduledChangeAdmin):
    list_display = ("person", "effective_on", "status", "requested_by", "done_at")
    list_select_related = ("person",)
    cancellation = Cancellation(
        cancel=lambda offboarding, actor, reason: lifecycle.offboarding_cancel(
            offboarding=offboarding, actor=actor, reason=reason
        ),
        item=lambda offboarding: (
            f"{offboarding.person}, last day {offboarding.effective_on:%d %B %Y}"
        ),
        form=CancelOffboardingForm,
        title="Cancel scheduled offboardings",
        intro="These people will no longer leave on the date below; their access stays as it is.",
        empty="None of the selected offboardings is still scheduled.",
        button="Cancel the offboardings",
        done="Offboarding cancelled; they stay",
    )

    @admin.action(description="Cancel the selected scheduled offboardings", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ScheduledOffboarding]) -> Any:
        return self.cancel_scheduled(request, queryset)
