"""The compiled path of first_pages rests on Django internals: it runs only on the Django
releases it was proven on, and the ORM's path takes over on any other."""

import django
from django.core import checks

from provisioning import first_pages


def test_this_django_is_one_the_compiled_reads_were_proven_on():
    assert first_pages.proven(), (
        f"Django {django.get_version()} is not in first_pages.PROVEN_ON. SCIM pages are read "
        "through the ORM alone until the compiled path is proven on it: run the read tests "
        "(tests/provisioning/scim, both paths) and the bench's lookups, then add the release."
    )


def test_an_unproven_django_is_warned_of_at_start_up(monkeypatch):
    monkeypatch.setattr(first_pages, "PROVEN_ON", frozenset({(4, 2)}))

    warnings = first_pages.compiled_reads_proven()

    assert [warning.id for warning in warnings] == ["provisioning.W001"]
    assert warnings[0].level == checks.WARNING
    assert not first_pages.proven((6, 0, 0, "final", 0))


def test_the_start_up_check_is_registered():
    assert first_pages.compiled_reads_proven in checks.registry.registry.get_checks()
