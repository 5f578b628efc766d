"""What the identity admin's pages share: a permission check for custom views, a
changelist with links to its workflow pages, labelled inlines and the confirmation page of
an admin action. The machinery every app's admin shares is in compliance.admin.base."""

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst

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
