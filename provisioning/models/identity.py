"""The identity domain: people, groups, applications and their entitlements."""

import uuid
from collections.abc import Collection

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from provisioning.addresses import validate_address

# Fields whose uniqueness the services check and report (persons.check_unique).
SERVICE_UNIQUE_PERSON = ("user_name", "external_id")
SERVICE_UNIQUE_GROUP = ("display_name", "external_id")


class Person(models.Model):
    """A workforce identity: what SCIM calls a User. Not a staff login."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_name = models.CharField(
        "username", max_length=255, help_text="Unique login name; case is ignored."
    )
    external_id = models.CharField(
        "external id",
        max_length=255,
        blank=True,
        help_text="The identifier the identity provider uses for this person.",
    )
    given_name = models.CharField(max_length=150, blank=True)
    middle_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    honorific_prefix = models.CharField(max_length=50, blank=True)
    honorific_suffix = models.CharField(max_length=50, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    nick_name = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=255, blank=True)
    # Directories send free-form values here (an Accept-Language list, a userType
    # such as Entra's "Member" or a UUID): 255 like the other free-form attributes.
    preferred_language = models.CharField(max_length=255, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    department = models.CharField(max_length=255, blank=True, db_index=True)
    employee_number = models.CharField(max_length=64, blank=True)
    cost_center = models.CharField("cost centre", max_length=64, blank=True)
    organization = models.CharField(max_length=255, blank=True)
    division = models.CharField(max_length=255, blank=True)
    employment_type = models.CharField(
        max_length=255, blank=True, help_text="For example employee, contractor, intern."
    )
    location = models.CharField(max_length=255, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    active = models.BooleanField(default=True, db_index=True)
    deactivated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the person last left; retention counts from here.",
    )
    employment_start = models.DateField(null=True, blank=True)
    employment_end = models.DateField(null=True, blank=True)
    scim_deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When an identity provider deleted the person over SCIM; the record stays "
        "for retention but SCIM no longer shows it.",
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every change; the SCIM ETag."
    )
    # The person's requests about the processing itself, set only by the privacy
    # services (provisioning.services.privacy), never by SCIM or the person form.
    restricted_at = models.DateTimeField(
        "processing restricted since",
        null=True,
        blank=True,
        editable=False,
        help_text="GDPR Art. 18: while set, nothing is pushed downstream and only a privacy "
        "officer changes the person.",
    )
    sale_opt_out_at = models.DateTimeField(
        "opted out of sale or sharing since",
        null=True,
        blank=True,
        editable=False,
        help_text="CCPA §1798.120: never pushed to an application that sells or shares.",
    )
    limit_sensitive_at = models.DateTimeField(
        "limited the use of sensitive information since",
        null=True,
        blank=True,
        editable=False,
        help_text="CCPA §1798.121: sensitive fields go only to applications that need them.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("user_name"),
                name="person_user_name_ci_unique",
                violation_error_message=(
                    "Someone already has this username (usernames ignore case)."
                ),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="person_external_id_unique",
                violation_error_message="Someone already has this external id.",
            ),
            models.CheckConstraint(
                condition=Q(employment_end__isnull=True)
                | Q(employment_start__isnull=True)
                | Q(employment_end__gte=models.F("employment_start")),
                name="person_employment_ends_after_start",
                violation_error_message="The employment cannot end before it starts.",
            ),
        ]
        indexes = [models.Index(fields=["created", "id"], name="person_created_id_idx")]

    def __str__(self) -> str:
        return self.display_name or self.user_name

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # Whose username or external id clashes is the services' rule (check_unique), told
        # on the field; the constraints behind it are the database's last line.
        super().validate_constraints(exclude={*(exclude or ()), *SERVICE_UNIQUE_PERSON})

    @property
    def formatted_name(self) -> str:
        parts = (self.honorific_prefix, self.given_name, self.middle_name, self.family_name)
        return " ".join(part for part in parts if part)


class ContactPoint(models.Model):
    """A typed value of a person with a primary flag: an e-mail address or a phone number."""

    value = models.CharField(max_length=254)
    primary = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["-primary", "id"]

    def __str__(self) -> str:
        return self.value


class PersonEmail(ContactPoint):
    class Type(models.TextChoices):
        WORK = "work"
        HOME = "home"
        OTHER = "other"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    value = models.CharField(
        "address",
        max_length=254,
        validators=[validate_address],
        help_text="name@domain, where the domain is not a reserved one such as localhost "
        "or .local: SCIM cannot carry such an address to the identity provider.",
    )
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.WORK)

    class Meta(ContactPoint.Meta):
        verbose_name = "e-mail address"
        verbose_name_plural = "e-mail addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(primary=True),
                name="personemail_one_primary",
                violation_error_message="Only one address can be primary.",
            ),
            models.UniqueConstraint(
                "person",
                Lower("value"),
                "type",
                name="personemail_unique_per_type",
                violation_error_message="This person already has this address with this type.",
            ),
        ]
        indexes = [models.Index(Lower("value"), name="personemail_value_ci_idx")]


class PersonPhone(ContactPoint):
    class Type(models.TextChoices):
        WORK = "work"
        MOBILE = "mobile"
        HOME = "home"
        FAX = "fax"
        PAGER = "pager"
        OTHER = "other"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phone_numbers")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.WORK)

    class Meta(ContactPoint.Meta):
        verbose_name = "phone number"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(primary=True),
                name="personphone_one_primary",
                violation_error_message="Only one number can be primary.",
            ),
            models.UniqueConstraint(
                fields=["person", "value", "type"],
                name="personphone_unique_per_type",
                violation_error_message="This person already has this number with this type.",
            ),
        ]


class Group(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Entra ID allows group names of 256 characters.
    display_name = models.CharField(max_length=512)
    external_id = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    members: "models.ManyToManyField[Person, Membership]" = models.ManyToManyField(
        Person, through="Membership", related_name="memberships_groups", blank=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"),
                name="group_display_name_ci_unique",
                violation_error_message=(
                    "A group with this name already exists (names ignore case)."
                ),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="group_external_id_unique",
                violation_error_message="A group already has this external id.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # As for Person: groups.check_unique tells a clash on the field.
        super().validate_constraints(exclude={*(exclude or ()), *SERVICE_UNIQUE_GROUP})


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"


class Application(models.Model):
    """A system people get access to; its entitlements are what can be granted in it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True, help_text="Where people use the application.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_applications",
        help_text="Answers for who may use it: reviews its accounts and direct entitlements "
        "in access reviews whose reviewer is the owner.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="application_name_ci_unique",
                violation_error_message=(
                    "An application with this name already exists (names ignore case)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Entitlement(models.Model):
    """A permission inside an application, such as a licence, a role or a group there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="entitlements"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "application",
                Lower("name"),
                name="entitlement_name_unique_per_application",
                violation_error_message=(
                    "This application already has an entitlement with this name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.name}: {self.name}"


class SentEmail(models.Model):
    """A copy of an e-mail the portal sent, so that a data-subject request can export the
    e-mails sent to or about a person, and erasure can delete them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    about = models.ManyToManyField(Person, related_name="emails_about", blank=True)
    template = models.CharField(max_length=100)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The outbox row (compliance.outbox) that delivers it: an erasure withdraws the sealed
    # copy of an e-mail still waiting there. Not a foreign key: delivered rows are pruned.
    outbox_message = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "sent e-mail"

    def __str__(self) -> str:
        return self.subject
