"""Admin for the access catalogue: IT curates roles, birthright templates and SoD rules,
and HR onboards hires from a template. Every write goes through a service. Grants,
requests, approvals and reports are in provisioning.admin.grants."""

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html

from compliance.admin.base import ServiceWriteMixin, staff_actor, workflow_page
from compliance.outbox.queue import Message, outbox_put
from provisioning import errors, selectors
from provisioning.admin.base import PER_PAGE, LinkedPagesAdmin, active_staff, require
from provisioning.admin.forms import DaysField, OnboardForm, days
from provisioning.admin.hires import onboard_batch_view
from provisioning.models import (
    Role,
    RoleTemplate,
    SodRule,
)
from provisioning.services import lifecycle, roles
from provisioning.services.persons import Contact
from provisioning.tasks import template_reapply


class ServiceSavedAdmin(LinkedPagesAdmin):
    """Many-to-many fields are written by the service with the object, not by the form."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retired by a flag, so past grants still name what they granted


@admin.register(Role)
class RoleAdmin(ServiceWriteMixin[Role], ServiceSavedAdmin):
    list_display = ("name", "owner", "risk_level", "max_days", "requestable", "on_timeout")
    formfield_overrides = {models.DurationField: {"form_class": DaysField}}
    list_filter = ("risk_level", "requestable", "on_timeout")
    search_fields = ("name",)
    filter_horizontal = ("entitlements",)
    list_select_related = ("owner",)
    list_per_page = PER_PAGE

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":  # an owner must be there to approve
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="longest request (days)", ordering="max_duration")
    def max_days(self, role: Role) -> str:
        return days(role.max_duration)

    def service_create(self, request: HttpRequest, obj: Role, form: Any) -> Role:
        entitlements = form.cleaned_data["entitlements"]
        return roles.role_create(role=obj, actor=staff_actor(request), entitlements=entitlements)

    def service_update(self, request: HttpRequest, obj: Role, form: Any) -> None:
        entitlements = form.cleaned_data["entitlements"]
        roles.role_update(role=obj, actor=staff_actor(request), entitlements=entitlements)


@admin.register(RoleTemplate)
class RoleTemplateAdmin(ServiceWriteMixin[RoleTemplate], ServiceSavedAdmin):
    list_display = (
        "name",
        "department",
        "title",
        "employment_type",
        "location",
        "grant_days",
        "active",
        "onboard_link",
    )
    formfield_overrides = {models.DurationField: {"form_class": DaysField}}
    list_filter = ("active", "department", "employment_type", "location")
    search_fields = ("name", "department", "title")
    filter_horizontal = ("roles",)
    list_per_page = PER_PAGE
    links = (
        ("Onboard a hire", "admin:provisioning_onboard", "provisioning.add_person"),
        ("Onboard a batch of hires", "admin:provisioning_onboard_batch", "provisioning.add_person"),
    )

    @admin.display(description="grants last (days)", ordering="duration")
    def grant_days(self, template: RoleTemplate) -> str:
        return days(template.duration) or "while they match"

    @admin.display(description="onboard")
    def onboard_link(self, template: RoleTemplate) -> str:
        url = reverse("admin:provisioning_onboard")
        return format_html('<a href="{}?template={}">Onboard a hire</a>', url, template.pk)

    actions = ("reapply",)

    @admin.action(
        description="Re-apply to everyone it concerns (grant or revoke its roles)",
        permissions=["change"],
    )
    def reapply(self, request: HttpRequest, queryset: QuerySet[RoleTemplate]) -> None:
        staff_id = request.user.pk
        assert staff_id is not None  # admin actions run for a signed-in staff member
        # A task: a template can concern thousands of people. Through the outbox, so that
        # a broker down now delays the re-application instead of losing it.
        outbox_put(
            Message(template_reapply, (str(template.pk), staff_id), "template")
            for template in queryset
        )
        self.message_user(
            request,
            f"Re-applying {queryset.count()} template(s); the people concerned gain or lose "
            "their roles as they match them now.",
        )

    def service_create(self, request: HttpRequest, obj: RoleTemplate, form: Any) -> RoleTemplate:
        chosen = form.cleaned_data["roles"]
        return roles.template_create(template=obj, actor=staff_actor(request), roles=chosen)

    def service_update(self, request: HttpRequest, obj: RoleTemplate, form: Any) -> None:
        chosen = form.cleaned_data["roles"]
        roles.template_update(template=obj, actor=staff_actor(request), roles=chosen)
        messages.info(
            request,
            f"The change to {obj} applies to new joiners and to people whose job changes. "
            "For everyone it already concerns, select it in the list and choose "
            "“Re-apply to everyone it concerns”.",
        )

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("onboard/", view(self.onboard_view), name="provisioning_onboard"),
            path(
                "onboard-batch/",
                view(partial(onboard_batch_view, self)),
                name="provisioning_onboard_batch",
            ),
            *super().get_urls(),
        ]

    def onboard_view(self, request: HttpRequest) -> HttpResponse:
        """Choose a template and a person or new hire -> preview who and which grants ->
        confirm, or go back to the filled form."""
        require(request, "provisioning.add_person")
        title, preview_button = "Onboard from a template", [("Preview", "Preview")]
        if request.method != "POST":
            form = OnboardForm(initial={"template": request.GET.get("template")})
            return workflow_page(self, request, title, form=form, buttons=preview_button)
        form = OnboardForm(request.POST)
        action = request.POST.get("action")
        if not form.is_valid() or action == "Back":
            return workflow_page(self, request, title, form=form, buttons=preview_button)
        data = form.cleaned_data
        template, person, starts_on = data["template"], data["person"], data["starts_on"]
        fields = form.hire_fields()
        try:
            if action != "Confirm":
                preview = lifecycle.onboarding_preview(
                    template=template, person=person, fields=fields, starts_on=starts_on
                )
                return workflow_page(
                    self,
                    request,
                    "Confirm the onboarding",
                    form=form.as_hidden_form(),
                    summary=form.summary(),
                    preview=preview,
                    buttons=[("Back", "Back"), ("Confirm", "Confirm")],
                )
            email = data["email"]
            onboarded = lifecycle.person_onboard(
                template=template,
                person=person,
                fields=fields,
                emails=[Contact(email, primary=True)] if email and not person else (),
                starts_on=starts_on,
                actor=staff_actor(request),
            )
        except errors.ProvisioningError as error:
            form.add_error(None, str(error))
            return workflow_page(self, request, title, form=form, buttons=preview_button)
        if onboarded.active:
            messages.success(request, f"{onboarded} is onboarded from {template}.")
        else:
            messages.success(
                request,
                f"{onboarded} is onboarded from {template} as a future joiner: their access "
                f"begins on {formats.date_format(starts_on, 'j F Y')}.",
            )
        return redirect("admin:provisioning_person_change", onboarded.pk)


class SodRuleForm(ModelForm[SodRule]):
    class Meta:
        model = SodRule
        fields = ("role_a", "role_b", "effect", "extra_approver", "description")

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        rule = SodRule(
            pk=self.instance.pk,
            role_a=data.get("role_a"),
            role_b=data.get("role_b"),
            effect=data.get("effect") or "",
            extra_approver=data.get("extra_approver"),
        )
        if rule.role_a_id and rule.role_b_id:
            try:
                roles.sod_rule_check(rule)
            except errors.ProvisioningError as error:
                self.add_error(getattr(error, "attribute", None), str(error))
        return data


@admin.register(SodRule)
class SodRuleAdmin(admin.ModelAdmin[SodRule]):
    form = SodRuleForm
    list_display = ("role_a", "role_b", "effect", "extra_approver", "created")
    list_filter = ("effect",)
    search_fields = ("role_a__name", "role_b__name")
    list_select_related = ("role_a", "role_b", "extra_approver")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "extra_approver":  # a reviewer must be there to approve
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: SodRule, form: Any, change: bool) -> None:
        saved = roles.sod_rule_save(rule=obj, actor=staff_actor(request))
        if saved.requests_rejected:
            messages.warning(
                request,
                "Pending requests rejected, as the rule now refuses them: "
                f"{saved.requests_rejected}. Their requesters have been told.",
            )
        if saved.reviews_handed_on:
            messages.info(
                request, f"Open reviews handed on to the new reviewer: {saved.reviews_handed_on}."
            )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """The confirmation says how many open reviews deleting the rule withdraws."""
        rule = self.get_object(request, unquote(object_id))
        if request.method != "POST" and rule is not None:
            reviews = selectors.reviews_open_for(rule=rule).count()
            extra_context = {**(extra_context or {}), "open_reviews": reviews}
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: SodRule) -> None:
        withdrawn = roles.sod_rule_delete(rule=obj, actor=staff_actor(request))
        if withdrawn:
            messages.info(request, f"Open reviews the rule asked for, withdrawn: {withdrawn}.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SodRule]) -> None:
        withdrawn = sum(
            roles.sod_rule_delete(rule=rule, actor=staff_actor(request)) for rule in queryset
        )
        if withdrawn:
            messages.info(request, f"Open reviews the rules asked for, withdrawn: {withdrawn}.")
