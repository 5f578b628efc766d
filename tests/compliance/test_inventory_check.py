import pytest
from django.core import checks
from django.db import models

from provisioning.models import Person


@pytest.fixture
def undeclared_field():
    field: models.CharField[str, str] = models.CharField(max_length=20, blank=True)
    field.contribute_to_class(Person, "shoe_size")
    yield
    Person._meta.local_fields.remove(field)
    Person._meta._expire_cache()
    delattr(Person, "shoe_size")


def test_the_declared_models_pass():
    assert not [m for m in checks.run_checks() if m.id == "compliance.E001"]


def test_an_undeclared_personal_field_fails_check(undeclared_field):
    errors = [m for m in checks.run_checks() if m.id == "compliance.E001"]

    assert [e.msg for e in errors] == [
        "provisioning.Person.shoe_size is not in the personal-data inventory."
    ]
