"""Hires: batch onboarding, and the dated joiners' scheduled starts.

Batch onboarding: HR uploads a CSV or XLSX of hires, reads a dry-run preview (every
row's problems in plain words with its row number, and the grants each hire will get),
and confirms. Every row goes through lifecycle.person_onboard, as a single hire does.

All or none: a batch with any problem cannot be confirmed, and the confirmed batch is one
transaction. A cohort is one decision for HR; half of it imported would leave them to
work out which rows to take out of the file before importing it again.

Why not django-import-export: its importer builds each row into a model instance and
writes it with save(), so every row would bypass the onboarding service (templates,
birthright grants, audit events) unless its save step were replaced, and then its
dry run would run the real service and roll it back. That rollback does not reach the
audit key store, a separate database, so a preview would leave keys behind for people
who were never created. Its preview shows field differences, not the grants each hire
gets. A small view over the services does what HR needs."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from compliance.admin.base import staff_actor, workflow_page
from provisioning import errors, selectors
from provisioning.admin.base import Cancellation, ScheduledChangeAdmin, require
from provisioning.admin.forms import CancelStartForm, HireForm, starts_later
from provisioning.hire_files import (
    EMPTY,
    HEADINGS,
    MAX_ROWS,
    HireFileError,
    HireRow,
    hire_rows_read,
)
from provisioning.models import Person, RoleTemplate, ScheduledOnboarding
from provisioning.services import lifecycle
from provisioning.services.persons import Contact

TITLE = "Onboard a batch of hires"
SALT = "provisioning.hire-batch"
PREVIEW_MAX_AGE = 3600  # seconds between the preview and Confirm
COLUMNS = ("Row", "Username", "Name", "E-mail address", "Template", "Starts", "Grants")


class BatchUploadForm(forms.Form):
    file = forms.FileField(
        label="File of hires",
        error_messages={"empty": EMPTY},
        help_text="A .csv (UTF-8) or .xlsx file. The first line names the columns: "
        + ", ".join(HEADINGS.values())
        + f". Username, email and template are required; at most {MAX_ROWS} hires. "
        "Dates are written YYYY-MM-DD. A manager is named by their username or e-mail "
        "address and must already be in the portal. Nothing is written until you confirm "
        "the preview.",
    )


class BatchConfirmForm(forms.Form):
    batch = forms.CharField(widget=forms.HiddenInput)


class HireRowForm(HireForm):
    """One row of the file: a new hire and the template, named as on the templates list."""

    template = forms.CharField(max_length=150)
    # Only one way to write a date: 03/04/2026 is March to some and April to others.
    starts_on = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Write the start date as YYYY-MM-DD, for example 2026-09-01."},
    )

    manager = forms.CharField(required=False, max_length=254)

    def __init__(self, data: dict[str, str], *, templates: dict[str, RoleTemplate]) -> None:
        super().__init__(data)
        self.templates = templates
        for name in ("user_name", "email"):
            self.fields[name].required = True

    def clean_template(self) -> RoleTemplate:
        name: str = self.cleaned_data["template"]
        template = self.templates.get(name.strip().lower())
        if template is None:
            raise forms.ValidationError(f"No active template is named “{name}”.")
        return template

    def hire(self, row: int, *, manager: Person | None) -> lifecycle.Hire:
        data = self.cleaned_data
        fields = self.hire_fields()
        if manager is not None:
            fields["manager"] = manager
        return lifecycle.Hire(
            template=data["template"],
            fields=fields,
            emails=[Contact(data["email"], primary=True)],
            starts_on=data["starts_on"],
            row=row,
        )

    def problems(self, row: int) -> list[str]:
        said = []
        for name, messages_ in self.errors.items():
            label = HEADINGS.get(name, "") if name != NON_FIELD_ERRORS else ""
            for message in messages_:
                said.append(f"Row {row}: {label + ': ' if label else ''}{message}")
        return said


def batch_check(rows: list[HireRow]) -> tuple[list[lifecycle.Hire], list[str]]:
    """The hires of the file as the preview shows them, and every row's problems. Reads
    a fixed number of queries whatever the number of rows (templates, managers, taken
    usernames, one plan per distinct job)."""
    templates = {t.name.lower(): t for t in RoleTemplate.objects.filter(active=True)}
    managers = selectors.people_by_user_name_or_email(
        [row.values.get("manager", "") for row in rows]
    )
    problems: list[tuple[int, str]] = []
    hires: list[lifecycle.Hire] = []
    first_row: dict[str, int] = {}
    for row in rows:
        form = HireRowForm(row.values, templates=templates)
        if not form.is_valid():
            problems += [(row.number, problem) for problem in form.problems(row.number)]
            continue
        user_name = form.cleaned_data["user_name"]
        if (earlier := first_row.setdefault(user_name.lower(), row.number)) != row.number:
            problems.append(
                (row.number, f"Row {row.number}: username “{user_name}” is also on row {earlier}.")
            )
            continue
        named = form.cleaned_data["manager"]
        manager = managers.get(named.lower()) if named else None
        if named and manager is None:
            problems.append(
                (
                    row.number,
                    f"Row {row.number}: manager: no one in the portal has the username or "
                    f"e-mail address “{named}” (a manager must already be onboarded).",
                )
            )
            continue
        hires.append(form.hire(row.number, manager=manager))
    taken = selectors.user_names_taken(user_names=first_row)
    for hire in hires:
        if hire.fields["user_name"].lower() in taken:
            problems.append(
                (
                    hire.row,
                    f"Row {hire.row}: username “{hire.fields['user_name']}” is already taken "
                    "by someone in the portal (usernames ignore case).",
                )
            )
    hires = [hire for hire in hires if hire.fields["user_name"].lower() not in taken]
    previewed, refused = lifecycle.hires_preview(hires=hires)
    problems += [(error.row, f"Row {error.row}: {error.error}") for error in refused]
    return previewed, [problem for _, problem in sorted(problems, key=lambda p: p[0])]


def _preview_rows(hires: list[lifecycle.Hire]) -> list[tuple[Any, ...]]:
    return [
        (
            hire.row,
            hire.fields["user_name"],
            hire.fields.get("display_name", ""),
            hire.emails[0].value,
            hire.template.name,
            hire.starts_on.isoformat() if starts_later(hire.starts_on) else "at once",
            ", ".join(planned.role.name for planned in hire.grants) or "none",
        )
        for hire in hires
    ]


def onboard_batch_view(model_admin: admin.ModelAdmin[Any], request: HttpRequest) -> HttpResponse:
    """Upload -> dry-run preview -> confirm (or back). The preview carries the rows it
    checked, signed, so Confirm onboards exactly what HR read; they are checked again.
    Served by the role templates' admin (`model_admin`), beside the single onboarding."""
    require(request, "provisioning.add_person")
    upload_button = [("Preview", "Preview")]
    action = request.POST.get("action")
    if request.method != "POST" or action == "Back":
        return workflow_page(
            model_admin, request, TITLE, form=BatchUploadForm(), buttons=upload_button
        )
    if action == "Confirm":
        confirm = BatchConfirmForm(request.POST)
        try:
            batch = signing.loads(confirm.data.get("batch", ""), salt=SALT, max_age=PREVIEW_MAX_AGE)
        except signing.BadSignature:
            return workflow_page(
                model_admin,
                request,
                TITLE,
                problems=["This preview has expired; upload the file again."],
                form=BatchUploadForm(),
                buttons=upload_button,
            )
        name, rows = batch["name"], [HireRow(number, values) for number, values in batch["rows"]]
    else:
        form = BatchUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return workflow_page(model_admin, request, TITLE, form=form, buttons=upload_button)
        upload = form.cleaned_data["file"]
        name = upload.name or "the file"
        try:
            rows = hire_rows_read(upload, name=name, size=upload.size or 0)
        except HireFileError as error:
            form.add_error("file", str(error))
            return workflow_page(model_admin, request, TITLE, form=form, buttons=upload_button)
    hires, problems = batch_check(rows)
    if problems or action != "Confirm":
        return _preview(model_admin, request, name=name, rows=rows, hires=hires, problems=problems)
    try:
        onboarded = lifecycle.hires_onboard(hires=hires, actor=staff_actor(request))
    except errors.HireRowError as error:
        return _preview(
            model_admin, request, name=name, rows=rows, hires=hires, problems=[str(error)]
        )
    later = sum(1 for person in onboarded if not person.active)
    messages.success(
        request,
        f"{len(onboarded)} hires from {name} are onboarded: {len(onboarded) - later} with "
        f"their access now, {later} as future joiners whose access begins on their start date.",
    )
    return redirect("admin:provisioning_person_changelist")


def _preview(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    name: str,
    rows: list[HireRow],
    hires: list[lifecycle.Hire],
    problems: list[str],
) -> HttpResponse:
    if problems:
        return workflow_page(
            model_admin,
            request,
            f"{name}: fix these rows and upload the file again",
            intro="Nothing has been written. Every row is checked; the batch is onboarded "
            "only when no row has a problem.",
            problems=problems,
            form=BatchUploadForm(),
            buttons=[("Preview", "Preview")],
            columns=COLUMNS,
            rows=_preview_rows(hires),
        )
    batch = signing.dumps(
        {"name": name, "rows": [(row.number, row.values) for row in rows]},
        salt=SALT,
        compress=True,
    )
    return workflow_page(
        model_admin,
        request,
        f"Confirm the onboarding of {len(hires)} hires from {name}",
        intro="Nothing has been written yet. Each hire below gets the grants listed; a hire "
        "with a later start date is created now without access, which begins on that day.",
        form=BatchConfirmForm(initial={"batch": batch}),
        buttons=[("Back", "Back"), ("Confirm", f"Onboard {len(hires)} hires")],
        columns=COLUMNS,
        rows=_preview_rows(hires),
    )


@admin.register(ScheduledOnboarding)
class ScheduledOnboardingAdmin(ScheduledChangeAdmin):
    """Dated joiners waiting for their start; read-only like scheduled leavers, with an
    action to call a start off."""

    list_display = ("person", "starts_on", "template", "status", "requested_by", "done_at")
    list_select_related = ("person", "template")
    cancellation = Cancellation(
        cancel=lambda onboarding, actor, reason: lifecycle.onboarding_cancel(
            onboarding=onboarding, actor=actor, reason=reason
        ),
        item=lambda onboarding: f"{onboarding.person}, starting {onboarding.starts_on:%d %B %Y}",
        form=CancelStartForm,
        title="Cancel scheduled starts",
        intro="These hires will not start on the date below and never get access; "
        "their records stay inactive.",
        empty="None of the selected starts is still scheduled.",
        button="Cancel the starts",
        done="Start cancelled; they stay without access",
    )

    @admin.action(description="Cancel the selected starts", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[ScheduledOnboarding]) -> Any:
        return self.cancel_scheduled(request, queryset)
