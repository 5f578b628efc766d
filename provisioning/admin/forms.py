"""Forms of the access-governance admin views. They parse and validate input; the
services decide."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeGuard

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AdminSplitDateTime
from django.db.models import QuerySet
from django.utils import formats, timezone

from compliance.admin.base import AutocompleteSelect
from provisioning import selectors
from provisioning.addresses import address_problem
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Entitlement,
    Person,
    Role,
    RoleTemplate,
)


class DaysField(forms.DecimalField):
    """A duration typed and shown in days (0.5 is twelve hours), kept as a timedelta: the
    admin's own duration box wants "30 00:00:00" and shows "30 days, 0:00:00"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal(36500))
        help_text = kwargs.pop("help_text", "")
        kwargs["help_text"] = f"{help_text} In days; 0.5 is twelve hours.".strip()
        super().__init__(max_digits=7, decimal_places=2, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return days(value) if isinstance(value, timedelta) else value

    def clean(self, value: Any) -> timedelta | None:
        number = super().clean(value)
        return None if number is None else timedelta(days=float(number))

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.clean(data) != initial)
        except forms.ValidationError:
            return True


def days(duration: timedelta | None) -> str:
    """90 days -> "90", a day and a half -> "1.5": a duration as a person writes it."""
    if duration is None:
        return ""
    return f"{duration / timedelta(days=1):.2f}".rstrip("0").rstrip(".")


class PersonChoiceField(forms.ModelChoiceField[Person]):
    """A person named with their address and department, as the autocomplete lists them."""

    @staticmethod
    def people() -> QuerySet[Person]:
        return selectors.people_for_picker(Person.objects.all())

    def label_from_instance(self, obj: Person) -> str:
        return selectors.picker_label(obj)

    def to_python(self, value: Any) -> Person | None:
        # A value that cannot be a person's key (typed into an address) is a choice not
        # in the list, not the key field's own "not a valid UUID".
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from error


def person_field(
    model: Any, name: str, *, required: bool, help_text: str
) -> forms.ModelChoiceField[Person]:
    """A person picker that searches on the server: never a select over every person."""
    return PersonChoiceField(
        queryset=PersonChoiceField.people(),
        required=required,
        widget=AutocompleteSelect(model._meta.get_field(name), admin.site),
        help_text=help_text,
    )


def person_char(name: str, **kwargs: Any) -> forms.CharField:
    """A text box for a Person attribute that refuses what the column cannot hold, so a
    too-long value is an error on its field at preview, not a failure at confirm."""
    limit = Person._meta.get_field(name).max_length  # type: ignore[union-attr]
    kwargs.setdefault("required", False)
    return forms.CharField(max_length=limit, strip=True, **kwargs)


def starts_later(day: date | None) -> TypeGuard[date]:
    """Whether a start date makes a future joiner (the service's rule, for the page)."""
    return day is not None and day > timezone.localdate()


class HireForm(forms.Form):
    """A new hire's details and start date: the onboarding form's, and each row of a
    batch's (provisioning.admin.hires)."""

    user_name = person_char("user_name", label="Username", help_text="The new hire's login name.")
    given_name = person_char("given_name", label="Given name")
    family_name = person_char("family_name", label="Family name")
    email = forms.EmailField(
        required=False,
        max_length=254,
        label="E-mail address",
        help_text="The new hire's work e-mail address.",
    )
    title = person_char("title", help_text="Blank: the template's title.")
    department = person_char("department", help_text="Blank: the template's department.")
    employment_type = person_char(
        "employment_type", help_text="Blank: the template's employment type."
    )
    location = person_char("location", help_text="Blank: the template's location.")
    starts_on = forms.DateField(
        label="Start date",
        required=False,
        widget=AdminDateWidget,
        help_text="The first working day. A later date creates the hire now without access, "
        "and their access begins on that day. Blank or today: at once.",
    )

    NEW_HIRE = (
        "user_name",
        "given_name",
        "family_name",
        "title",
        "department",
        "employment_type",
        "location",
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data.get("email") or ""
        if email and (problem := address_problem(email)):
            raise forms.ValidationError(problem)
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        limit = Person._meta.get_field("display_name").max_length or 0
        if len(self.display_name(data)) > limit:
            self.add_error(
                "family_name", f"Given and family name together are at most {limit} characters."
            )
        return data

    @staticmethod
    def display_name(data: dict[str, Any]) -> str:
        return " ".join(part for part in (data.get("given_name"), data.get("family_name")) if part)

    def hire_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data.get(name) for name in self.NEW_HIRE}
        fields["display_name"] = self.display_name(self.cleaned_data)
        return {name: value for name, value in fields.items() if value not in ("", None)}


class OnboardForm(HireForm):
    template = forms.ModelChoiceField(
        queryset=RoleTemplate.objects.filter(active=True),
        help_text="The birthright template to onboard from. Its conditions fill in blank "
        "job attributes; every template the hire matches applies.",
    )
    person = person_field(
        AccessGrant,
        "person",
        required=False,
        help_text="An existing person, or leave blank and describe the new hire below.",
    )
    manager = person_field(
        Person, "manager", required=False, help_text="Approves the hire's access requests."
    )
    field_order = ("template", "person")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("person") and not data.get("user_name"):
            raise forms.ValidationError(
                "Choose an existing person or give the new hire's login name."
            )
        user_name = data.get("user_name")
        if (
            not data.get("person")
            and user_name
            and selectors.user_names_taken(user_names=[user_name])
        ):
            # At Preview, not at Confirm: HR must not approve a preview that cannot be done.
            self.add_error(
                "user_name",
                f"Username “{user_name}” is already taken by someone in the portal (usernames "
                "ignore case). Choose another, or choose them above as the existing person.",
            )
        if data.get("person") and starts_later(data.get("starts_on")):
            self.add_error(
                "starts_on",
                "A start date is for a new hire; an existing person's access starts now.",
            )
        return data

    def hire_fields(self) -> dict[str, Any] | None:  # type: ignore[override]
        if self.cleaned_data.get("person"):
            return None
        fields = super().hire_fields()
        if manager := self.cleaned_data.get("manager"):
            fields["manager"] = manager
        return fields

    def summary(self) -> list[tuple[str, str]]:
        """Who is being onboarded, for the preview: what HR typed, or the existing person,
        with the template filling the job attributes left blank."""
        data, template = self.cleaned_data, self.cleaned_data["template"]
        person: Person | None = data.get("person")
        if person is not None:
            email = person.emails.filter(primary=True).values_list("value", flat=True).first()
            rows = [
                ("Name", str(person)),
                ("Username", person.user_name),
                ("E-mail address", email or ""),
                ("Department", person.department),
                ("Title", person.title),
            ]
        else:
            rows = [
                ("Name", self.display_name(data)),
                ("Username", data["user_name"]),
                ("E-mail address", data.get("email") or ""),
                ("Department", data.get("department") or template.department),
                ("Title", data.get("title") or template.title),
            ]
        starts_on = data.get("starts_on")
        rows.append(
            (
                "Start date",
                formats.date_format(starts_on, "j F Y")
                if starts_later(starts_on)
                else "today, at once",
            )
        )
        return [(label, value or "—") for label, value in rows]

    def as_hidden_form(self) -> "OnboardForm":
        """The same data, rendered hidden for the confirmation page."""
        form = OnboardForm(self.data)
        for field in form.fields.values():
            field.widget = forms.HiddenInput()
        return form


class AccessRequestForm(forms.Form):
    person = person_field(AccessRequest, "person", required=True, help_text="Who needs the access.")
    role = forms.ModelChoiceField(
        queryset=Role.objects.filter(requestable=True),
        help_text="Only requestable roles are listed.",
    )
    justification = forms.CharField(
        widget=forms.Textarea, help_text="Why the person needs it; approvers read this."
    )
    days = forms.IntegerField(
        min_value=1,
        label="Duration (days)",
        help_text="How long the access lasts; at most the role's maximum duration.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, days = data.get("role"), data.get("days")
        if role and days and timedelta(days=days) > role.max_duration:
            self.add_error(
                "days", f"{role} may be granted for {role.max_duration.days} days at most."
            )
        return data


class ManualGrantForm(forms.Form):
    """A role, or a single entitlement outside any role: one of the two."""

    person = person_field(AccessGrant, "person", required=True, help_text="Who gets the access.")
    role = forms.ModelChoiceField(
        queryset=Role.objects.all(),
        required=False,
        help_text="A role and every entitlement it bundles. Leave blank to grant one entitlement.",
    )
    entitlement = forms.ModelChoiceField(
        queryset=Entitlement.objects.select_related("application"),
        required=False,
        widget=AutocompleteSelect(AccessGrant._meta.get_field("entitlement"), admin.site),
        help_text="A single entitlement, outside any role. Leave blank to grant a role.",
    )
    expires_at = forms.SplitDateTimeField(
        label="Ends",
        required=False,
        widget=AdminSplitDateTime,
        help_text="Blank: no end date. Manual grants show up in the least-privilege report.",
    )
    reason = forms.CharField(widget=forms.Textarea, help_text="Why this is granted by hand.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("role")) == bool(data.get("entitlement")):
            raise forms.ValidationError("Choose a role or an entitlement, not both.")
        expires_at = data.get("expires_at")
        if expires_at and expires_at <= timezone.now():
            self.add_error("expires_at", "The end must be in the future.")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, help_text="Recorded on each grant and audited.")


class CancelOffboardingForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, help_text="Why the person stays after all; audited."
    )


class CancelStartForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, help_text="Why the hire does not start after all; audited."
    )


class OffboardForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, help_text="Why the person leaves; audited.")
    effective_on = forms.DateField(
        label="Last day",
        required=False,
        widget=AdminDateWidget,
        help_text="A later date schedules the offboarding, which you can cancel until then. "
        "Blank, today or a past date: access ends at once.",
    )
    confirm_now = forms.BooleanField(
        label="Yes, end their access now",
        required=False,
        help_text="Needed when the offboarding takes effect at once.",
    )

    def __init__(self, *args: Any, people: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people

    def takes_effect_now(self) -> bool:
        day = self.cleaned_data.get("effective_on")
        return day is None or day <= timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "effective_on" in data and self.takes_effect_now() and not data.get("confirm_now"):
            self.add_error(
                "confirm_now",
                f"This deactivates {self.people} today and revokes all their access at once. "
                "Tick the box to confirm, or give a later last day.",
            )
        return data
