"""Every add and change form of the admin, sent bad input, answers in the user's words.

Three kinds of bad input reach every form the admin offers a superuser: every field wrong
at once (too long, malformed, unknown choices), and an existing object sent again as a new
one, which trips the unique constraints. The page must come back with form errors, never a
server error, and never show a database constraint's name or a library's class name, which
mean nothing to HR or IT."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import models
from django.forms.boundfield import BoundField
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from tests.conftest import verified_client
from tests.factories import StaffUserFactory
from tests.portal.test_admin_pages import pages_without_arguments

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)

# What a library or the database says in its own words: an exception's class name, a
# validator library's phrasing, a SQL state.
LIBRARY_WORDS = re.compile(
    r"\b\w+(?:Error|Exception)\b|pydantic|Traceback|violates|duplicate key|"
    r"value is not a valid|IntegrityError|UNIQUE constraint"
)


def _constraint_names() -> set[str]:
    """The names of every constraint and index the models declare: none may be shown."""
    names: set[str] = set()
    for model in apps.get_models():
        names.update(constraint.name for constraint in model._meta.constraints)
        names.update(index.name for index in model._meta.indexes if index.name)
    return names


CONSTRAINTS = _constraint_names()


def _hostile(field: forms.Field) -> Any:
    """A value this kind of field must refuse, in the shape its widget reads."""
    if isinstance(field, forms.SplitDateTimeField):
        return ["2026-13-45", "25:99"]
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        return ["no-such-choice"]
    if isinstance(field, forms.ModelChoiceField | forms.ChoiceField):
        return "no-such-choice"
    if isinstance(field, forms.EmailField):
        return "nobody at example"
    if isinstance(field, forms.URLField):
        return "javascript:alert(1)"
    if isinstance(field, forms.GenericIPAddressField):
        return "999.1.1.1"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "-99999999999999999999999999"
    if isinstance(field, forms.DateTimeField | forms.DateField | forms.TimeField):
        return "2026-13-45 25:99"
    if isinstance(field, forms.DurationField):
        return "forever"
    if isinstance(field, forms.JSONField):
        return "{not json"
    if isinstance(field, forms.BooleanField | forms.FileField):
        return None
    return "=HYPERLINK(x)" + "x" * 5000


def _post_data(bound: BoundField, value: Any) -> dict[str, Any]:
    """The POST keys a widget reads for this value (a split widget reads one per part)."""
    widget = bound.field.widget
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, list) else widget.decompress(value)
        return {
            f"{bound.html_name}{suffix}": "" if part is None else part
            for suffix, part in zip(widget.widgets_names, parts, strict=False)
        }
    if value is None:
        return {}
    return {bound.html_name: value}


def _management_forms(context: Any) -> dict[str, Any]:
    """The inlines' management forms as the page rendered them, with no rows sent."""
    data: dict[str, Any] = {}
    for inline in context.get("inline_admin_formsets", []):
        management = inline.formset.management_form
        for name in management.fields:
            data[management[name].html_name] = management[name].value()
        data[management["TOTAL_FORMS"].html_name] = 0
    return data


def _form_page(client: Client, url: str) -> Any | None:
    """The context of the page if it shows a form (an admin form or a workflow page's),
    or None (a list, a report, a 403)."""
    response = client.get(url, follow=True)
    if response.status_code != 200 or response.context is None:
        return None
    if "adminform" in response.context or isinstance(response.context.get("form"), forms.Form):
        return response.context
    return None


def _form(context: Any) -> forms.BaseForm:
    form: forms.BaseForm = context["adminform"].form if "adminform" in context else context["form"]
    return form


def _all_wrong(context: Any) -> dict[str, Any]:
    form = _form(context)
    data = _management_forms(context)
    for name, field in form.fields.items():
        if not field.disabled:
            data.update(_post_data(form[name], _hostile(field)))
    return data


def _sent_again(context: Any) -> dict[str, Any]:
    """An existing object's change form, as its page filled it in."""
    form = _form(context)
    data = _management_forms(context)
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, list | tuple) and not isinstance(field.widget, forms.MultiWidget):
            value = [str(item) for item in value]
        elif isinstance(value, models.Model):
            value = str(value.pk)
        data.update(_post_data(form[name], "" if value is None else value))
    return data


def _what_shows(client: Client, url: str, data: dict[str, Any]) -> str | None:
    """What is wrong with the answer to this POST, or None when it is in plain words."""
    response = client.post(url, data)
    if response.status_code >= 500:
        return f"{response.status_code} on {url}"
    text = strip_tags(response.content.decode())
    leaks = sorted(name for name in CONSTRAINTS if name in text)
    leaks += sorted(set(LIBRARY_WORDS.findall(text)))
    if leaks:
        return f"{url} shows {leaks}"
    return None


def _cases(client: Client) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each form with its bad input: the workflow pages (onboarding, grants by hand, the
    exports), then every model's add and change page."""
    for name in pages_without_arguments():
        url = reverse(f"admin:{name}")
        page = _form_page(client, url)
        if page is not None and "adminform" not in page:
            yield url, _all_wrong(page)
    for model, _ in REGISTERED:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        add_url = reverse(f"{info}_add")
        add_page = _form_page(client, add_url)
        if add_page is not None:
            yield add_url, _all_wrong(add_page)
        first = model._default_manager.order_by("pk").first() if model._meta.managed else None
        if first is None:
            continue
        change_url = reverse(f"{info}_change", args=[first.pk])
        change_page = _form_page(client, change_url)
        if change_page is None:
            continue
        yield change_url, _all_wrong(change_page)
        if add_page is not None:
            yield add_url, _sent_again(change_page)


def test_bad_input_in_any_admin_form_is_answered_in_plain_words():
    call_command("seed_demo", verbosity=0)
    client = verified_client(StaffUserFactory(is_superuser=True))
    client.raise_request_exception = False  # a server error is one problem among the others

    cases = list(_cases(client))
    problems = [problem for url, data in cases if (problem := _what_shows(client, url, data))]

    assert not problems, "\n".join(problems)
    assert len(cases) > 40  # the walk reached the whole admin
