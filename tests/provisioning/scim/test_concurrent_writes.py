"""Concurrent PUTs and PATCHes without If-Match queue on the row and all apply: none is
refused with 412 because another writer got there first. With If-Match, a version that
is no longer current is still refused. Real threads on PostgreSQL, where rows lock."""

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connections

from compliance.audit.models import AuditEvent
from provisioning.models import Group, Person
from tests.factories import GroupFactory, PersonFactory
from tests.provisioning.scim.conftest import USER_SCHEMA, assert_scim_error, patch_ops
from tests.provisioning.scim.test_users_write import okta_put

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

WRITERS = 6


def all_at_once(calls: list[Callable[[], Any]]) -> list[int]:
    """Run the calls in threads released together; their status codes."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            statuses.append(call().status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_puts_without_if_match_all_apply(make_scim):
    scim = make_scim()
    person = PersonFactory()

    statuses = all_at_once(
        [
            partial(scim.put, f"Users/{person.pk}", okta_put(person, displayName=f"Ada {n}"))
            for n in range(WRITERS)
        ]
    )

    assert statuses == [200] * WRITERS
    person.refresh_from_db()
    assert person.version == 1 + WRITERS  # each applied in turn, none lost unseen
    assert AuditEvent.objects.filter(action="person.updated").count() == WRITERS


def test_concurrent_patches_without_if_match_all_apply_to_the_latest_state(make_scim):
    scim = make_scim()
    person = PersonFactory(title="")
    # Each adds its own phone number: a PATCH computed from a stale read would drop others'.
    numbers = [f"+44 20 7946 00{n:02d}" for n in range(WRITERS)]

    statuses = all_at_once(
        [
            partial(
                scim.patch,
                f"Users/{person.pk}",
                patch_ops({"op": "add", "path": "phoneNumbers", "value": [{"value": number}]}),
            )
            for number in numbers
        ]
    )

    assert statuses == [200] * WRITERS
    stored = scim.get(f"Users/{person.pk}").json()
    assert sorted(phone["value"] for phone in stored["phoneNumbers"]) == numbers


def test_concurrent_puts_and_patches_of_one_user_mix_without_412(make_scim):
    scim = make_scim()
    person = PersonFactory()

    path = f"Users/{person.pk}"
    puts = [partial(scim.put, path, okta_put(person, title=f"Put {n}")) for n in range(3)]
    title = {"op": "replace", "path": "title"}
    patches = [partial(scim.patch, path, patch_ops({**title, "value": f"P{n}"})) for n in range(3)]

    statuses = all_at_once([call for pair in zip(puts, patches, strict=True) for call in pair])

    assert statuses == [200] * WRITERS
    assert Person.objects.get(pk=person.pk).version == 1 + WRITERS


def test_concurrent_group_puts_without_if_match_all_apply(make_scim):
    scim = make_scim()
    group = GroupFactory()

    statuses = all_at_once(
        [
            partial(
                scim.put,
                f"Groups/{group.pk}",
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                 "displayName": f"Team {n}", "members": []},
            )
            for n in range(WRITERS)
        ]
    )  # fmt: skip

    assert statuses == [200] * WRITERS
    assert Group.objects.get(pk=group.pk).display_name.startswith("Team ")


def test_a_stale_if_match_is_still_412_under_concurrency(make_scim):
    scim = make_scim()
    person = PersonFactory()
    stale = {"If-Match": 'W/"1"'}

    statuses = all_at_once(
        [
            partial(
                scim.patch,
                f"Users/{person.pk}",
                patch_ops({"op": "replace", "path": "title", "value": f"T{n}"}),
                **stale,
            )
            for n in range(WRITERS)
        ]
    )

    # Exactly one writer held version 1; every other one expected it and finds it gone.
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
    assert Person.objects.get(pk=person.pk).version == 2


def test_a_put_with_a_stale_if_match_is_412_and_changes_nothing(scim):
    person = PersonFactory()
    Person.objects.filter(pk=person.pk).update(version=3)

    response = scim.put(
        f"Users/{person.pk}",
        {"schemas": [USER_SCHEMA], "userName": person.user_name, "title": "x"},
        **{"If-Match": 'W/"2"'},
    )

    assert_scim_error(response, 412)
    assert Person.objects.get(pk=person.pk).version == 3
