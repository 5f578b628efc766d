"""Admin pages for people and groups. Every save and delete goes through the services, so
the admin writes exactly what SCIM would, with the same audit events."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from compliance.admin.base import (
    AutocompleteFieldsMixin,
    ServiceDeleteMixin,
    ServiceWriteMixin,
    staff_actor,
)
from compliance.audit.actor import Actor
from compliance.dsar.models import DataSubjectRequest, RequestType
from provisioning import errors, selectors
from provisioning.admin.base import LabelledTabularInline
from provisioning.admin.forms import OffboardForm, PersonChoiceField
from provisioning.models import Group, Person, PersonEmail, PersonPhone
from provisioning.services import erased_identities, groups, lifecycle, persons

MEMBERS_OF_GROUP = "memberships__group__id__exact"
FORM_FIELDS = {"userName": "user_name", "externalId": "external_id", "displayName": "display_name"}


# People named and previewed on the offboarding page; more are counted, not listed.
OFFBOARD_PREVIEW = 200


def _names(people: list[Person], shown: int = 5) -> str:
    names = [str(person) for person in people[:shown]]
    rest = len(people) - len(names)
    return ", ".join(names) + (f" and {rest} more" if rest else "")


class UniqueByServiceForm(ModelForm[Any]):
    """Uniqueness is the service's rule (names ignore case); the form asks the service's
    check, so a clash is a form error on the right field, not a 500."""

    unique_check: Any = None

    def validate_unique(self) -> None:
        try:
            type(self).unique_check(self.instance)
        except errors.UniquenessError as error:
            field = FORM_FIELDS.get(error.attribute, error.attribute)
            self.add_error(field if field in self.fields else None, str(error))


class ErasureGuardedForm:
    """Asks the erasure ledger from the form, so that an erased identity is a form error
    (an error response commits the admin's transaction, and with it the recorded refusal;
    the service's own check in save_model would roll it back). PersonAdmin sets `actor`."""

    actor: Actor | None = None
    adding = False  # PersonAdmin says whether the form adds a person

    def erasure_error(self, check: Any, **kwargs: Any) -> str | None:
        if self.actor is None:
            return None
        try:
            check(actor=self.actor, **kwargs)
        except errors.ErasedIdentityError as error:
            return str(error)
        return None


class PersonForm(ErasureGuardedForm, UniqueByServiceForm):
    unique_check = staticmethod(persons.check_unique)

    class Meta:
        model = Person
        fields = sorted(persons.WRITABLE_FIELDS | {"active"})

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        adding = self.adding
        # A restricted leaver still leaves (ending access processes less); nothing else
        # about them changes.
        leaving = set(self.changed_data) == {"active"} and not data.get("active")
        if not adding and self.instance.restricted_at and self.has_changed() and not leaving:
            raise ValidationError(str(errors.RestrictedPersonError()))
        names = set(data) if adding else set(self.changed_data)
        fields = {
            name: data.get(name) for name in names & set(erased_identities.IDENTIFYING_FIELDS)
        }
        problem = self.erasure_error(erased_identities.erased_identity_check, fields=fields)
        if problem is None and not adding and "active" in names and data.get("active"):
            problem = self.erasure_error(
                erased_identities.erased_person_check, person=self.instance
            )
        if problem:
            raise ValidationError(problem)
        return data


class GroupForm(UniqueByServiceForm):
    unique_check = staticmethod(groups.check_unique)

    class Meta:
        model = Group
        fields = ("display_name", "external_id", "description")


class ContactFormSet(ErasureGuardedForm, BaseInlineFormSet[Any, Any, Any]):
    def clean(self) -> None:
        super().clean()
        if self.instance.restricted_at is not None and self.has_changed():
            raise ValidationError(str(errors.RestrictedPersonError()))
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if sum(1 for f in kept if f.cleaned_data.get("primary")) > 1:
            raise ValidationError("Only one can be primary.")
        if self.model is PersonEmail:
            added = [f.cleaned_data.get("value", "") for f in kept if f.has_changed()]
            check = erased_identities.erased_identity_check
            if problem := self.erasure_error(check, fields={}, emails=added):
                raise ValidationError(problem)

    def contacts(self) -> list[persons.Contact]:
        return [
            persons.Contact(
                value=f.cleaned_data["value"],
                type=f.cleaned_data["type"],
                primary=f.cleaned_data.get("primary", False),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


class EmailInline(LabelledTabularInline):
    model = PersonEmail
    formset = ContactFormSet
    extra = 0
    fields = ("value", "type", "primary")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": staff_actor(request)})


class PhoneInline(LabelledTabularInline):
    model = PersonPhone
    formset = ContactFormSet
    extra = 0
    fields = ("value", "type", "primary")


def privacy_banner(person: Person) -> dict[str, Any] | None:
    """What the person's page says above their record about the person's own requests on
    its processing: the restriction, with the request it is lifted from, and the CCPA
    choices the connectors honour."""
    if not (person.restricted_at or person.sale_opt_out_at or person.limit_sensitive_at):
        return None
    restriction = (
        DataSubjectRequest.objects.filter(person=person, type=RequestType.RESTRICTION)
        .order_by("-received_at")
        .only("pk")
        .first()
    )
    return {
        "restricted_at": person.restricted_at,
        "request_url": reverse("admin:compliance_datasubjectrequest_change", args=[restriction.pk])
        if restriction
        else "",
        "sale_opt_out_at": person.sale_opt_out_at,
        "limit_sensitive_at": person.limit_sensitive_at,
    }


@admin.register(Person)
class PersonAdmin(AutocompleteFieldsMixin, ServiceWriteMixin[Person], admin.ModelAdmin[Person]):
    form = PersonForm
    list_display = ("user_name", "display_name", "department", "title", "active", "modified")
    list_filter = ("active", "department", "employment_type", "location")
    search_fields = (
        "user_name",
        "display_name",
        "given_name",
        "family_name",
        "=external_id",
        "=employee_number",
        "emails__value",
    )
    readonly_fields = ("id", "version", "created", "modified")
    autocomplete_fields = ("manager",)
    inlines = (EmailInline, PhoneInline)
    actions = ("offboard",)
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("user_name", "external_id", "active")}),
        (
            "Name",
            {
                "fields": (
                    ("honorific_prefix", "given_name", "middle_name"),
                    ("family_name", "honorific_suffix"),
                    "display_name",
                    "nick_name",
                )
            },
        ),
        (
            "Employment",
            {
                "fields": (
                    ("title", "department"),
                    ("employment_type", "location"),
                    "manager",
                    ("employee_number", "cost_center"),
                    ("organization", "division"),
                    ("employment_start", "employment_end"),
                )
            },
        ),
        (
            "Preferences",
            {"classes": ("collapse",), "fields": ("preferred_language", "locale", "timezone")},
        ),
        ("Record", {"classes": ("collapse",), "fields": ("id", "version", "created", "modified")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).select_related("manager")

    # Pickers (the manager here, people on other pages) name a person with their address
    # and department: two "Gustav Kowalski" must be told apart.
    autocomplete_queryset = staticmethod(selectors.people_for_picker)
    autocomplete_label = staticmethod(selectors.picker_label)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "manager":
            kwargs.update(form_class=PersonChoiceField, queryset=PersonChoiceField.people())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        person = self.get_object(request, object_id)
        hub = selectors.person_hub(person) if person else None
        restriction = privacy_banner(person) if person else None
        return super().change_view(
            request,
            object_id,
            form_url,
            {**(extra_context or {}), "hub": hub, "restriction": restriction},
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # The admin's own history knows only saves made on its change page; the audit
        # trail knows everything (onboarding, SCIM, requests), so "History" opens that.
        if request.user.has_perm("compliance.view_auditevent"):
            return redirect("admin:compliance_identity_history", object_id)
        return super().history_view(request, object_id, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": staff_actor(request), "adding": obj is None})

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # A group's page links here for its members; a list filter of every group would
        # not scale to thousands of groups.
        return lookup == MEMBERS_OF_GROUP or super().lookup_allowed(lookup, value, request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people leave through the leaver path and are erased through a DSAR

    def service_create(self, request: HttpRequest, obj: Person, form: Any) -> Person:
        fields = {n: v for n, v in form.cleaned_data.items() if n in persons.WRITABLE_FIELDS}
        return persons.person_create(
            actor=staff_actor(request), fields=fields, active=form.cleaned_data["active"]
        )

    def service_update(self, request: HttpRequest, obj: Person, form: Any) -> None:
        actor = staff_actor(request)
        fields = {
            n: form.cleaned_data[n] for n in form.changed_data if n in persons.WRITABLE_FIELDS
        }
        person = persons.person_update(person=obj, actor=actor, fields=fields)
        if "active" in form.changed_data:
            persons.person_set_active(
                person=person, actor=actor, active=form.cleaned_data["active"]
            )

    @admin.action(description="Offboard the selected people (leaver)", permissions=["change"])
    def offboard(self, request: HttpRequest, queryset: QuerySet[Person]) -> Any:
        leavers = queryset.filter(active=True).order_by("user_name")
        already = list(queryset.filter(active=False).order_by("user_name")[:OFFBOARD_PREVIEW])
        if already:
            messages.warning(request, f"Already inactive, left as they were: {_names(already)}.")
        if not leavers.exists():
            return None
        preview = list(selectors.people_with_access(leavers)[:OFFBOARD_PREVIEW])
        form = OffboardForm(
            request.POST if "reason" in request.POST else None, people=_names(preview)
        )
        if form.is_valid():
            day = form.cleaned_data["effective_on"]
            with transaction.atomic():  # all of them or none
                for person in leavers:
                    lifecycle.person_offboard(
                        person=person,
                        actor=staff_actor(request),
                        reason=form.cleaned_data["reason"],
                        effective_on=day,
                    )
            if form.takes_effect_now():
                messages.success(
                    request, f"Offboarded now: {_names(preview)}. Their access is revoked."
                )
            else:
                messages.success(
                    request,
                    f"Offboarding of {_names(preview)} scheduled for {day:%d %B %Y}. "
                    "Until then it can be cancelled under Scheduled offboardings.",
                )
            return None
        return TemplateResponse(
            request,
            "admin/provisioning/offboard_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": "Offboard people",
                "form": form,
                "people": preview,
                "more": leavers.count() - len(preview),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "changelist": reverse("admin:provisioning_person_changelist"),
            },
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        key = "emails" if formset.model is PersonEmail else "phones"
        # The admin's history message reads these; the audit event records the real change.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        persons.person_update(
            person=form.instance,
            actor=staff_actor(request),
            fields={},
            **{key: formset.contacts()},
        )


@admin.register(Group)
class GroupAdmin(ServiceWriteMixin[Group], ServiceDeleteMixin[Group], admin.ModelAdmin[Group]):
    form = GroupForm
    list_display = ("display_name", "external_id", "member_count", "modified")
    search_fields = ("display_name", "=external_id")
    readonly_fields = ("id", "members_link", "version", "created", "modified")
    fields = ("display_name", "external_id", "description", "members_link", "id", "version")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, group: Group) -> int:
        return group.member_total  # type: ignore[attr-defined, no-any-return]

    @admin.display(description="members")
    def members_link(self, group: Group) -> str:
        # Large groups are listed as a paginated, filtered list of people, not an inline.
        url = reverse("admin:provisioning_person_changelist")
        return format_html(
            '<a href="{}?{}={}">{} people</a>',
            url,
            MEMBERS_OF_GROUP,
            group.pk,
            group.memberships.count(),
        )

    def service_create(self, request: HttpRequest, obj: Group, form: Any) -> Group:
        data = form.cleaned_data
        return groups.group_create(
            actor=staff_actor(request),
            display_name=data["display_name"],
            external_id=data["external_id"],
            description=data["description"],
        )

    def service_update(self, request: HttpRequest, obj: Group, form: Any) -> None:
        data = form.cleaned_data
        groups.group_update(
            group=obj,
            actor=staff_actor(request),
            display_name=data["display_name"],
            external_id=data["external_id"],
            description=data["description"],
        )

    def service_delete(self, request: HttpRequest, obj: Group) -> None:
        groups.group_delete(group=obj, actor=staff_actor(request))
