"""Admin for access reviews: IT and privacy officers define campaigns and start them;
reviewers who are staff decide their items here as from their e-mailed link; anyone who
may see the runs reads each run's report (a page, a CSV export that is recorded, and a
print-friendly page for a PDF)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from compliance.admin.audit import export_download
from compliance.admin.base import ServiceWriteMixin, ViewOnlyAdminMixin, staff_actor, workflow_page
from compliance.audit.export import csv_lines, in_chunks
from compliance.audit.services import report_export_record
from provisioning import errors
from provisioning.admin.base import PER_PAGE, LinkedPagesAdmin, require
from provisioning.admin.forms import DaysField
from provisioning.models import Campaign, CampaignRun, ReviewItem, Role
from provisioning.reviews.forms import BulkDecisionForm, ItemDecisionForm
from provisioning.reviews.report import REPORT_COLUMNS, report_rows
from provisioning.reviews.selectors import items_for_staff, run_items, run_overdue, run_progress
from provisioning.services import review_decisions, reviews

REPORT_PAGE = 100
MY_REVIEWS = "admin:provisioning_my_reviews"


class CampaignForm(forms.ModelForm[Campaign]):
    risk_levels = forms.MultipleChoiceField(
        choices=Role.Risk.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Campaign._meta.get_field("risk_levels").help_text,
    )
    duration = DaysField(
        label="Time to review",
        initial=Campaign._meta.get_field("duration").default,
        help_text="From the start to the deadline.",
    )
    reminder_interval = DaysField(
        initial=Campaign._meta.get_field("reminder_interval").default,
        help_text="Reviewers with undecided items are reminded this often.",
    )

    class Meta:
        model = Campaign
        fields = (
            "name",
            "description",
            "active",
            "applications",
            "roles",
            "risk_levels",
            "manual_only",
            "groups",
            "accounts",
            "department",
            "person",
            "reviewer_kind",
            "named_reviewer",
            "fallback_reviewer",
            "duration",
            "reminder_interval",
            "on_undecided",
            "recurrence",
        )


@admin.register(Campaign)
class CampaignAdmin(ServiceWriteMixin[Campaign], LinkedPagesAdmin):
    form = CampaignForm
    list_display = ("name", "reviewer_kind", "on_undecided", "recurrence", "active", "start_link")
    list_filter = ("reviewer_kind", "on_undecided", "recurrence", "active")
    search_fields = ("name",)
    filter_horizontal = ("applications", "roles", "groups")
    raw_id_fields = ("person",)
    list_select_related = ("fallback_reviewer",)
    list_per_page = PER_PAGE
    fieldsets = (
        (None, {"fields": ("name", "description", "active")}),
        (
            "Scope",
            {
                "description": "What is reviewed: the active grants (and memberships of the "
                "groups below, and downstream accounts if asked) of active people that match "
                "every filter you set.",
                "fields": (
                    "applications",
                    "roles",
                    "risk_levels",
                    "manual_only",
                    "groups",
                    "accounts",
                    "department",
                    "person",
                ),
            },
        ),
        ("Reviewers", {"fields": ("reviewer_kind", "named_reviewer", "fallback_reviewer")}),
        (
            "Timing",
            {"fields": ("duration", "reminder_interval", "on_undecided", "recurrence")},
        ),
    )
    links = (
        ("My reviews", MY_REVIEWS, "provisioning.view_reviewitem"),
        (
            "Reviews started",
            "admin:provisioning_campaignrun_changelist",
            "provisioning.view_campaignrun",
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its runs are evidence; a campaign retires by being made inactive

    @admin.display(description="start")
    def start_link(self, campaign: Campaign) -> str:
        url = reverse("admin:provisioning_campaign_start", args=[campaign.pk])
        return format_html('<a href="{}">Start now…</a>', url)

    def service_create(self, request: HttpRequest, obj: Campaign, form: Any) -> Campaign:
        return reviews.campaign_save(campaign=obj, scope=_scope(form), actor=staff_actor(request))

    def service_update(self, request: HttpRequest, obj: Campaign, form: Any) -> None:
        reviews.campaign_save(campaign=obj, scope=_scope(form), actor=staff_actor(request))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service saved the scope's many-to-many fields with the campaign."""

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<uuid:campaign_id>/start/",
                view(self.start_view),
                name="provisioning_campaign_start",
            ),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest, campaign_id: UUID) -> HttpResponse:
        """Confirm, then start a run: its items are frozen and its reviewers e-mailed."""
        require(request, "provisioning.add_campaignrun")
        campaign = get_object_or_404(
            Campaign.objects.select_related("fallback_reviewer", "named_reviewer"), pk=campaign_id
        )
        form = forms.Form(request.POST or None)
        if request.method == "POST":
            try:
                run = reviews.campaign_start(campaign=campaign, actor=staff_actor(request))
            except errors.ReviewError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    f"{campaign} started: {run.item_count} items frozen, reviewers e-mailed; "
                    f"the deadline is {run.deadline:%d %b %Y %H:%M} UTC.",
                )
                return redirect("admin:provisioning_campaignrun_report", run.pk)
        changelist = reverse("admin:provisioning_campaign_changelist")
        return workflow_page(
            self,
            request,
            f"Start {campaign}?",
            crumbs=[("Access review campaigns", changelist)],
            intro="Starting freezes every grant and membership in the campaign's scope as it is "
            "now, and e-mails each reviewer one link to their items. The deadline is "
            f"{campaign.duration.days} days from now.",
            form=form,
            buttons=[("start", "Start the review")],
            cancel_url=changelist,
        )


def _scope(form: Any) -> reviews.CampaignScope:
    data = form.cleaned_data
    return reviews.CampaignScope(
        applications=list(data["applications"]),
        roles=list(data["roles"]),
        groups=list(data["groups"]),
    )


@admin.register(CampaignRun)
class CampaignRunAdmin(ViewOnlyAdminMixin, LinkedPagesAdmin):
    list_display = (
        "campaign",
        "started_at",
        "deadline",
        "status",
        "item_count",
        "completion",
        "report",
    )
    list_filter = ("status",)
    list_select_related = ("campaign",)
    list_per_page = PER_PAGE
    links = (("My reviews", MY_REVIEWS, "provisioning.view_reviewitem"),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CampaignRun]:
        decided = Count("items", filter=~Q(items__decision=ReviewItem.Decision.PENDING))
        runs: QuerySet[CampaignRun] = super().get_queryset(request)
        return runs.annotate(decided=decided)

    @admin.display(description="decided")
    def completion(self, run: Any) -> str:
        return f"{run.decided} of {run.item_count}"

    @admin.display(description="report")
    def report(self, run: CampaignRun) -> str:
        url = reverse("admin:provisioning_campaignrun_report", args=[run.pk])
        return format_html('<a href="{}">Report</a>', url)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("my-reviews/", view(self.my_reviews_view), name="provisioning_my_reviews"),
            path(
                "<uuid:run_id>/report/",
                view(self.report_view),
                name="provisioning_campaignrun_report",
            ),
            path(
                "<uuid:run_id>/report/print/",
                view(self.print_view),
                name="provisioning_campaignrun_print",
            ),
            path(
                "<uuid:run_id>/report/csv/",
                view(self.csv_view),
                name="provisioning_campaignrun_csv",
            ),
            *super().get_urls(),
        ]

    # --- the report ---

    def report_view(self, request: HttpRequest, run_id: UUID) -> TemplateResponse:
        require(request, "provisioning.view_campaignrun")
        run = _run(run_id)
        page = Paginator(run_items(run), REPORT_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            **_evidence(run),
            "title": f"Access review report: {run}",
            "page_obj": page,
        }
        return TemplateResponse(request, "admin/provisioning/review_report.html", context)

    def print_view(self, request: HttpRequest, run_id: UUID) -> TemplateResponse:
        """Every item on one plain page, for the browser to print or save as PDF."""
        require(request, "provisioning.view_campaignrun")
        run = _run(run_id)
        context = {**_evidence(run), "items": run_items(run)}
        return TemplateResponse(request, "reviews/report_print.html", context)

    def csv_view(self, request: HttpRequest, run_id: UUID) -> HttpResponseBase:
        """The items as CSV. It names people and holds reviewers' comments, so it is asked
        for by POST and recorded in the audit trail."""
        require(request, "provisioning.view_campaignrun")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = _run(run_id)
        report_export_record(
            actor=staff_actor(request),
            report="access-review",
            format_name="csv",
            filters={"run": str(run.pk)},
            rows=run.item_count,
        )
        return export_download(
            in_chunks(csv_lines(REPORT_COLUMNS, report_rows(run))),
            content_type="text/csv; charset=utf-8",
            name="access-review",
            extension="csv",
        )

    # --- the staff reviewer's inbox ---

    def my_reviews_view(self, request: HttpRequest) -> HttpResponse:
        """The undecided items addressed to the signed-in member of staff's e-mail, decided
        with the same forms as the e-mailed page."""
        require(request, "provisioning.view_reviewitem")
        email = request.user.email  # type: ignore[union-attr]
        pending = items_for_staff(email) if email else ReviewItem.objects.none()
        if request.method == "POST":
            outcome = _decide_as_staff(request, pending)
            if isinstance(outcome, ConfirmBulk):
                return self._confirm(request, outcome)
            return redirect(MY_REVIEWS)
        page = Paginator(pending, PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": "My access reviews",
            "page_obj": page,
        }
        return TemplateResponse(request, "admin/provisioning/my_reviews.html", context)

    def _confirm(self, request: HttpRequest, outcome: "ConfirmBulk") -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Confirm the decision",
            "form": outcome.form,
            "chosen": outcome.chosen,
        }
        return TemplateResponse(request, "admin/provisioning/review_confirm.html", context)


@dataclass(frozen=True)
class ConfirmBulk:
    form: BulkDecisionForm
    chosen: QuerySet[ReviewItem]


def _decide_as_staff(request: HttpRequest, pending: QuerySet[ReviewItem]) -> ConfirmBulk | None:
    """Apply the posted decision (or ask to confirm a bulk one); say how it went."""
    form: ItemDecisionForm | BulkDecisionForm
    if request.POST.get("bulk"):
        ids = list(pending.values_list("pk", flat=True))
        form = BulkDecisionForm(request.POST, pending=ids)
        if form.is_valid() and not form.cleaned_data["confirm"]:
            return ConfirmBulk(form, pending.filter(pk__in=form.cleaned_data["items"]))
    else:
        form = ItemDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return None
    try:
        decided = review_decisions.review_decide_as_staff(
            user=request.user,  # type: ignore[arg-type]
            decisions=form.decisions(),
            actor=staff_actor(request),
        )
    except errors.GovernanceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{len(decided)} item{'s' if len(decided) != 1 else ''} decided.")
    return None


def _run(run_id: UUID) -> CampaignRun:
    return get_object_or_404(CampaignRun.objects.select_related("campaign"), pk=run_id)


def _evidence(run: CampaignRun) -> dict[str, Any]:
    """What the report page and its print version show besides the items."""
    counts = run.items.aggregate(
        **{
            decision: Count("pk", filter=Q(decision=decision))
            for decision in ReviewItem.Decision.values
        },
        by_rule=Count("pk", filter=Q(by_rule=True)),
        unaddressed=Count("pk", filter=Q(reviewer_email="")),
    )
    return {
        "run": run,
        "campaign": run.campaign,
        "counts": counts,
        "progress": run_progress(run),
        "overdue": run_overdue(run)[:REPORT_PAGE],
    }
