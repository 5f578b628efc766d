"""The benchmark data set at smoke size: what it holds, and that a seed fixes it."""

import pytest
from django.db.models import Count

from bench.dataset import load, main
from provisioning.models import Group, Membership, Person, PersonEmail
from provisioning.scim.filters import user_filter

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def test_the_smoke_load_holds_what_the_scenarios_need(capsys):
    main(["--users", "1000"])

    assert Person.objects.count() == 1000
    assert Person.objects.filter(external_id__startswith="ext-").count() == 1000
    assert PersonEmail.objects.filter(type="work", primary=True).count() == 1000
    assert Person.objects.exclude(department="").exclude(employee_number="").count() == 1000
    assert 25 <= Person.objects.filter(active=False).count() <= 80  # about 5%
    assert Person.objects.filter(manager__isnull=False).count() == 990
    assert Group.objects.count() == 1003
    big = Group.objects.filter(display_name__startswith="bench-").annotate(
        size=Count("memberships")
    )
    assert {group.display_name: group.size for group in big} == {
        "bench-1k": 1000,
        "bench-10k": 1000,
        "bench-50k": 1000,
    }
    assert Membership.objects.count() == 1000 * 2 + 3 * 1000
    assert "loaded 1000 persons, 1003 groups and 5000 memberships" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)  # each load commits, as it does from the command line
def test_the_same_seed_loads_the_same_data():
    first = load(users=300, seed=3).digest

    assert load(users=300, seed=3, replace=True).digest == first
    assert load(users=300, seed=4, replace=True).digest != first


def test_loading_over_existing_persons_is_refused_without_replace():
    load(users=10)

    with pytest.raises(SystemExit, match="already holds persons"):
        load(users=10)


def test_the_loaded_people_answer_the_bench_lookups():
    load(users=200)
    person = Person.objects.get(external_id="ext-0000042")

    assert list(Person.objects.filter(user_filter('externalId eq "ext-0000042"'))) == [person]
    assert list(
        Person.objects.filter(user_filter(f'emails[type eq "work"].value eq "{person.user_name}"'))
    ) == [person]
