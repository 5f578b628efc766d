from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class StaffUser(AbstractUser):
    """A member of staff who signs in to the admin (HR, IT, approver, privacy officer,
    auditor). Not a workforce identity: those are provisioning.Person."""

    class Meta:
        verbose_name = "staff user"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="staffuser_username_ci_unique"),
        ]
