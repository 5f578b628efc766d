"""What the identity admin's pages share: a permission check for custom views, a
changelist with links to its workflow pages, labelled inlines, the confirmation page of
an admin action, and the read-only list of scheduled changes with its cancel action. The
machinery every app's admin shares is in compliance.admin.base."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst

from compliance.admin.base import staff_actor
from compliance.audit.actor import Actor
from provisioning.models.access import ScheduledChange

PER_PAGE = 50


def require(request: HttpRequest, permission: str) -> None:
    """A custom view's permission: the admin checks its own pages, not these."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


class LinkedPagesAdmin(admin.ModelAdmin[Any]):
    """A changelist with buttons to the workflow pages that belong with it."""

    change_list_template = "admin/provisioning/change_list_links.html"
    links: tuple[tuple[str, str, str], ...] = ()  # (label, url name, permission)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        links = [
            (label, reverse(name))
            for label, name, permission in self.links
            if request.user.has_perm(permission)
        ]
        return super().changelist_view(
            request, {**(extra_context or {}), "governance_links": links}
        )


class LabelledTabularInline(admin.TabularInline[Any, Any]):
    """A tabular inline names its columns in a header row, which assistive technology does
    not tie to each input: every input of a row, its Delete box too, is named as well."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)

        class Labelled(formset):  # type: ignore[misc, valid-type]
            def add_fields(self, form: Any, index: Any) -> None:
                super().add_fields(form, index)
                for field in form.fields.values():
                    widget = getattr(field.widget, "widget", field.widget)  # related wrapper
                    widget.attrs.setdefault("aria-label", capfirst(str(field.label)))

        return Labelled


def action_confirmation(
    request: HttpRequest,
    model_admin: admin.ModelAdmin[Any],
    *,
    action: str,
    title: str,
    intro: str,
    items: list[str],
    empty: str,
    form: Any,
    button: str,
) -> TemplateResponse:
    """The page an admin action shows before it acts: what it will touch, its form, the
    button and a way back."""
    opts = model_admin.model._meta
    return TemplateResponse(
        request,
        "admin/provisioning/action_confirmation.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "items": items,
            "empty": empty,
            "form": form,
            "action": action,
            "button": button,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "changelist": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        },
    )


@dataclass(frozen=True)
class Cancellation:
    """How a scheduled change is called off from its list: the service that cancels one,
    the line that names one on the confirmation page, and the page's words."""

    cancel: Callable[[Any, Actor, str], Any]  # (scheduled change, actor, reason) -> cancelled
    item: Callable[[Any], str]
    form: type[forms.Form]
    title: str
    intro: str
    empty: str
    button: str
    done: str  # the success message, before the names of the people it concerns


class ScheduledChangeAdmin(admin.ModelAdmin[Any]):
    """Dated joiners and leavers waiting for their day. Read-only: the one change staff
    make is to call the selected ones off, with a reason, after a confirmation page."""

    list_filter = ("status",)
    search_fields = ("person__user_name", "person__display_name")
    actions = ("cancel",)
    cancellation: Cancellation

    def cancel_scheduled(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        """The cancel action's body: one transaction for all the still scheduled ones."""
        how = self.cancellation
        scheduled = queryset.filter(status=ScheduledChange.Status.SCHEDULED).select_related(
            "person"
        )
        form = how.form(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            with transaction.atomic():
                cancelled = [
                    how.cancel(change, staff_actor(request), form.cleaned_data["reason"])
                    for change in scheduled
                ]
            names = ", ".join(str(change.person) for change in cancelled)
            messages.success(request, f"{how.done}: {names or 'nobody'}.")
            return None
        return action_confirmation(
            request,
            self,
            action="cancel",
            title=how.title,
            intro=how.intro,
            items=[how.item(change) for change in scheduled[:200]],
            empty=how.empty,
            form=form,
            button=how.button,
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # Nothing here is edited in place: "change" is the permission to cancel (an action).
        no_save = {"show_save": False, "show_save_and_continue": False}
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **no_save}
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        return None  # every field is read-only: a posted change page writes nothing

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def active_staff() -> QuerySet[AbstractUser]:
    """Who may be named to answer approvals and reviews: a role's or an application's
    owner, a rule's reviewer."""
    staff: QuerySet[AbstractUser] = get_user_model()._default_manager.filter(is_active=True)
    return staff.order_by("username")
