import pytest
from django.db import connection

from bench import dataset
from provisioning.models import Group, Membership, Person, PersonEmail

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def load(users, seed):
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        dataset.reset(cursor)
    dataset.load(connection.connection, users=users, seed=seed)


def snapshot():
    return (
        list(Person.objects.order_by("id").values_list("id", "user_name", "active", "department")),
        list(Membership.objects.order_by("group_id", "person_id")
             .values_list("group_id", "person_id")),
    )  # fmt: skip


def test_smoke_size_holds_the_persons_emails_and_scaled_groups():
    load(1_000, seed=1)

    assert Person.objects.count() == 1_000
    assert PersonEmail.objects.filter(type="work", primary=True).count() == 1_000
    assert 20 <= Person.objects.filter(active=False).count() <= 80  # about 5%
    assert Person.objects.exclude(external_id="").count() == 1_000
    assert Group.objects.count() == 10 + 3
    sizes = {
        name: Membership.objects.filter(group__display_name=name).count()
        for name in ("bench-members-1k", "bench-members-10k", "bench-members-50k")
    }
    assert sizes == {"bench-members-1k": 50, "bench-members-10k": 100, "bench-members-50k": 500}


def test_the_same_seed_loads_the_same_data():
    load(1_000, seed=7)
    first = snapshot()

    load(1_000, seed=7)

    assert snapshot() == first


def test_another_seed_loads_other_data():
    load(1_000, seed=7)
    first = snapshot()

    load(1_000, seed=8)

    assert snapshot() != first


def test_reset_refuses_a_database_with_people_who_are_not_bench_data():
    Person.objects.create(user_name="real.person@example.org")
    connection.ensure_connection()

    with connection.connection.cursor() as cursor, pytest.raises(dataset.DatasetError):
        dataset.reset(cursor)
