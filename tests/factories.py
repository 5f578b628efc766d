"""factory_boy factories. They arrange state directly; the behaviour under test goes
through the services and entry points."""

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group as StaffRole
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import StaffUser
from provisioning.models import (
    AccessGrant,
    Application,
    Entitlement,
    Group,
    Person,
    PersonEmail,
    Role,
    RoleTemplate,
    SodRule,
)

STAFF_PASSWORD = "correct horse battery staple"


class StaffUserFactory(factory.django.DjangoModelFactory[StaffUser]):
    class Meta:
        model = StaffUser
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", STAFF_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for role in extracted or ():
            self.groups.add(StaffRole.objects.get(name=role))
        self.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory[TOTPDevice]):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(StaffUserFactory)
    name = "default"  # django-two-factor-auth asks for the device named "default"
    confirmed = True


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    user_name = factory.Sequence(lambda n: f"person{n}@example.org")
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    display_name = factory.LazyAttribute(lambda o: f"{o.given_name} {o.family_name}")
    department = "Engineering"
    title = "Engineer"


class PersonEmailFactory(factory.django.DjangoModelFactory[PersonEmail]):
    class Meta:
        model = PersonEmail

    person = factory.SubFactory(PersonFactory)
    value = factory.LazyAttribute(lambda o: o.person.user_name)
    type = "work"
    primary = True


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group

    display_name = factory.Sequence(lambda n: f"group-{n}")


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Application {n}")


class EntitlementFactory(factory.django.DjangoModelFactory[Entitlement]):
    class Meta:
        model = Entitlement

    application = factory.SubFactory(ApplicationFactory)
    name = factory.Sequence(lambda n: f"entitlement-{n}")


# --- Access governance ---


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    class Meta:
        model = Role
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Role {n}")
    owner = factory.SubFactory(StaffUserFactory)
    max_duration = timedelta(days=90)

    @factory.post_generation
    def entitlements(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.entitlements.set(extracted)


class RoleTemplateFactory(factory.django.DjangoModelFactory[RoleTemplate]):
    class Meta:
        model = RoleTemplate
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Template {n}")

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.roles.set(extracted)


class AccessGrantFactory(factory.django.DjangoModelFactory[AccessGrant]):
    class Meta:
        model = AccessGrant

    person = factory.SubFactory(PersonFactory)
    role = factory.SubFactory(RoleFactory)
    source = AccessGrant.Source.MANUAL
    granted_by = "tests"
    starts_at = factory.LazyFunction(timezone.now)


class SodRuleFactory(factory.django.DjangoModelFactory[SodRule]):
    class Meta:
        model = SodRule

    role_a = factory.SubFactory(RoleFactory)
    role_b = factory.SubFactory(RoleFactory)
