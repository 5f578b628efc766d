"""Every admin page opens on the demo data: each registered model's list (plain, searched,
and filtered by each choice of each filter), its add page and one object's change page.
A page that answers 500 to what the admin itself links to is a bug wherever it hides."""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver, reverse

from portal import roles
from tests.conftest import verified_client
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser_client() -> Client:
    call_command("seed_demo", verbosity=0)
    return verified_client(StaffUserFactory(is_superuser=True))


def _url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _filter_links(client: Client, model: Any, model_admin: Any) -> list[str]:
    """The query strings of every choice of every list filter, as the list page shows them
    (a filter that takes typed input offers no choices to follow)."""
    response = client.get(_url(model, "changelist"))
    if "cl" not in response.context:
        return []  # a page of its own in the list's place (the inventory), not a ChangeList
    changelist = response.context["cl"]
    assert isinstance(changelist, ChangeList)
    links: list[str] = []
    for spec in changelist.filter_specs:
        choices = spec.choices(changelist)
        links.extend(choice["query_string"] for choice in choices if "query_string" in choice)
    return links


def _problems(client: Client, model: Any, model_admin: Any) -> list[str]:
    """The pages of one model that do not open, each as 'status url'."""
    urls = [_url(model, "changelist")]
    if model_admin.search_fields:
        urls.append(urls[0] + "?q=a")
    urls += [urls[0] + query for query in _filter_links(client, model, model_admin)]
    request = client.get(urls[0]).wsgi_request
    if model_admin.has_add_permission(request):
        urls.append(_url(model, "add"))
    # An unmanaged model (the inventory) has no table and so no object to open.
    first = model._default_manager.order_by("pk").first() if model._meta.managed else None
    if first is not None:
        urls.append(_url(model, "change", first.pk))
    # Some add pages hand over to a workflow page of their own (grants by hand).
    answers = {url: client.get(url, follow=True).status_code for url in urls}
    return [f"{status} {url}" for url, status in answers.items() if status != 200]


def test_every_admin_page_opens_on_the_demo_data(superuser_client):
    """One pass over every registered model (the demo data is made once)."""
    problems = [
        problem
        for model, model_admin in REGISTERED
        for problem in _problems(superuser_client, model, model_admin)
    ]

    assert not problems, "\n".join(problems)
    assert len(REGISTERED) > 20  # the loop saw the whole admin


# Argument-less admin pages that are not the portal's: sign-in and -out, Django's own
# helpers, and the autocomplete endpoint (it needs the field it completes).
NOT_OURS = {"login", "logout", "password_change", "password_change_done", "jsi18n", "autocomplete"}


def pages_without_arguments() -> list[str]:
    """Every admin URL name that takes no argument: the index, each model's list and add
    page, and the custom pages (reports, the inbox, onboarding, exports)."""
    _, admin_urls = get_resolver().namespace_dict["admin"]
    return sorted(
        name
        for name in admin_urls.reverse_dict
        if isinstance(name, str)
        and name not in NOT_OURS
        and not any(params for _, params in admin_urls.reverse_dict.getlist(name)[0][0])
    )


def test_every_page_of_the_admin_without_arguments_opens(superuser_client):
    """Read-only models refuse their add page (403) and a page that only acts on a POST
    says 405; none answers with a server error."""
    names = pages_without_arguments()
    answers = {
        name: superuser_client.get(reverse(f"admin:{name}"), follow=True).status_code
        for name in names
    }

    assert {name: status for name, status in answers.items() if status >= 500} == {}
    assert answers["provisioning_reports"] == answers["provisioning_inbox"] == 200


def test_a_refused_page_says_why_in_the_admins_look_with_a_way_back(staff_client_for):
    client, _ = staff_client_for(roles.AUDITOR)

    response = client.get(reverse("admin:provisioning_person_add"))

    assert response.status_code == 403
    body = response.content.decode()
    assert "You are not allowed to do this" in body
    assert f'href="{reverse("admin:index")}"' in body
