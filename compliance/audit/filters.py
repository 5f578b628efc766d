"""Changelist filters for auditors: free-text actor and subject, and a date range. The
admin's built-in filters list choices; an actor or subject is one of thousands, so these
take typed input instead."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from compliance.subjects import subjects_matching


class FormFilter(admin.ListFilter):
    """A list filter that is a small GET form; its fields are its query parameters. An
    invalid value shows its error and matches nothing, rather than being silently ignored."""

    template = "admin/compliance/auditevent/form_filter.html"
    form_class: type[forms.Form]

    def __init__(
        self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any
    ) -> None:
        super().__init__(request, params, model, model_admin)
        given = {
            name: params.pop(name)[-1] for name in self.expected_parameters() if name in params
        }
        self.used_parameters = {name: value for name, value in given.items() if value}
        self.form = self.form_class(self.used_parameters or None)

    def expected_parameters(self) -> list[str | None]:
        return list(self.form_class.base_fields)

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: ChangeList) -> Any:
        mine = set(self.expected_parameters()) | {PAGE_VAR}
        yield {
            "form": self.form,
            "keep": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in mine
                for value in values
            ],
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        if not self.used_parameters:
            return queryset
        if not self.form.is_valid():
            return queryset.none()
        return self.apply(queryset, self.form.cleaned_data)

    def apply(self, queryset: QuerySet[Any], values: dict[str, Any]) -> QuerySet[Any]:
        raise NotImplementedError


class ActorForm(forms.Form):
    actor = forms.CharField(
        max_length=150,
        required=False,
        help_text="A staff username, a SCIM client or a task name (part of it is enough), "
        "or an actor id.",
    )


class ActorFilter(FormFilter):
    title = "actor"
    form_class = ActorForm

    def apply(self, queryset: QuerySet[Any], values: dict[str, Any]) -> QuerySet[Any]:
        actor = values["actor"]
        return queryset.filter(Q(actor_label__icontains=actor) | Q(actor_id=actor))


class SubjectForm(forms.Form):
    subject = forms.CharField(
        max_length=150,
        required=False,
        help_text="A person's name, username, e-mail address or employee number.",
    )


class SubjectFilter(FormFilter):
    title = "subject"
    form_class = SubjectForm

    def apply(self, queryset: QuerySet[Any], values: dict[str, Any]) -> QuerySet[Any]:
        term = values["subject"]
        return queryset.filter(Q(subject_id=term) | Q(subject_id__in=subjects_matching(term)))


class DateRangeForm(forms.Form):
    occurred_from = forms.DateField(
        label="from", required=False, help_text="The first day, in UTC, included."
    )
    occurred_to = forms.DateField(
        label="to", required=False, help_text="The last day, in UTC, included."
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("occurred_from"), cleaned.get("occurred_to")
        if start and end and start > end:
            raise forms.ValidationError("The range ends before it starts.")
        return cleaned


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class DateRangeFilter(FormFilter):
    title = "date range"
    form_class = DateRangeForm

    def apply(self, queryset: QuerySet[Any], values: dict[str, Any]) -> QuerySet[Any]:
        occurred_from, occurred_to = values["occurred_from"], values["occurred_to"]
        # Bounds on the indexed column itself, not on its date, so the index is used.
        if occurred_from:
            queryset = queryset.filter(occurred_at__gte=_midnight(occurred_from))
        if occurred_to:
            queryset = queryset.filter(occurred_at__lt=_midnight(occurred_to + timedelta(days=1)))
        return queryset


AUDIT_EVENT_FILTERS: tuple[Any, ...] = (
    ActorFilter,
    SubjectFilter,
    DateRangeFilter,
    "action",
    "channel",
    "outcome",
    "actor_kind",
)
