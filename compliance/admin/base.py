"""What every admin page of the portal shares, kept at the bottom so that the compliance
and the identity admin both build on it: who acts, records that only services write, the
mixins that create, change and delete through services, and the one helper and template
of workflow pages (the custom views that are not CRUD: a step, a preview, a report)."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from compliance.audit.actor import Actor

M = TypeVar("M", bound=Model)

WORKFLOW_TEMPLATE = "admin/workflow.html"


def staff_actor(request: HttpRequest) -> Actor:
    """The signed-in member of staff, with the request's address, as the audit trail
    names them. Every admin page acts as this."""
    return Actor.staff(request.user, request=request)  # type: ignore[arg-type]


class ViewOnlyAdminMixin:
    """For records that only services write (audit events, incidents, approvals, export
    packages, the inventory): the admin shows them and never adds, changes or deletes one.
    Put it before ModelAdmin in the bases."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceWriteMixin(Generic[M]):
    """Creates and changes objects through services, never with the form's own save: a
    subclass says which service in `service_create` and `service_update`. Put it before
    ModelAdmin in the bases.

    A create service may make its own object rather than save the one the form built. The
    admin goes on with the form's object (its message, history entry, inlines and
    redirect), so that object takes the created one's key and stored values."""

    def service_create(self, request: HttpRequest, obj: M, form: Any) -> M:
        raise NotImplementedError

    def service_update(self, request: HttpRequest, obj: M, form: Any) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        if change:
            self.service_update(request, obj, form)
            return
        created = self.service_create(request, obj, form)
        if created is not obj:
            obj.pk = created.pk
            obj.refresh_from_db()


class ServiceDeleteMixin(Generic[M]):
    """Deletes objects through a service, one by one, from the delete page and from the
    list's "delete selected" action alike: a subclass says which in `service_delete`. Put
    it before ModelAdmin in the bases."""

    def service_delete(self, request: HttpRequest, obj: M) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        for obj in queryset:
            self.service_delete(request, obj)


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's autocomplete picker, which looks up the value it was sent to show it again.
    A value that cannot be a key of the model (a hand-made POST) is left out of that
    lookup, so the form comes back saying "Select a valid choice" where Django's own
    widget fails with a server error."""

    def optgroups(self, name: str, value: Sequence[str], attr: Any = None) -> Any:
        return super().optgroups(name, [item for item in value if self._is_key(item)], attr)

    def _is_key(self, value: str) -> bool:
        try:
            self.field.target_field.to_python(value)
        except ValidationError:
            return False
        return True


class AutocompleteFieldsMixin(BaseModelAdmin[Any]):
    """Gives the `autocomplete_fields` of a ModelAdmin or an inline the picker above. Put
    it before ModelAdmin (or the inline class) in the bases."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def workflow_form(
    request: HttpRequest,
    form: forms.Form,
    apply: Callable[[dict[str, Any]], str],
    *,
    refused: type[Exception],
    back: str,
) -> HttpResponse | None:
    """A workflow page's form, once posted and valid, applied through a service: `apply`
    returns the message to show, and the page goes `back`. None when the page is to be
    shown (again): not posted, not valid, or refused by the service, whose refusal is then
    among the form's errors (on the field it names, if it names one)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        message = apply(form.cleaned_data)
    except refused as error:
        form.add_error(getattr(error, "field", None), str(error))
        return None
    messages.success(request, message)
    return HttpResponseRedirect(back)


def workflow_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    title: str,
    *,
    crumbs: Sequence[tuple[str, str]] = (),
    **context: Any,
) -> TemplateResponse:
    """A workflow page in the admin's frame, on its admin site. `crumbs` are the (label,
    url) links between Home and the title. The template shows what the context holds, in
    this order: `intro`, `warning` (a headline and its points), `problems`, `summary`,
    `preview`, `columns` with `rows`, `form` with its `buttons` (name, label) and a
    `cancel_url`, `page_obj` and `links`."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "crumbs": crumbs,
        **context,
    }
    context.setdefault("preview", None)
    context.setdefault("rows", None)
    return TemplateResponse(request, WORKFLOW_TEMPLATE, context)
