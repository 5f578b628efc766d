"""Users and groups with the fields the bench data set fills, on django-scim2's mixins."""

from django.db import models
from django.db.models.functions import Upper
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class User(AbstractSCIMUserMixin):
    username = models.CharField(max_length=255, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    email_type = models.CharField(max_length=16, default="work")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=255, blank=True)
    employee_number = models.CharField(max_length=64, blank=True)
    department = models.CharField(max_length=255, blank=True)
    cost_center = models.CharField(max_length=64, blank=True)
    organization = models.CharField(max_length=255, blank=True)
    division = models.CharField(max_length=255, blank=True)

    class Meta:
        # django-scim2 filters userName with UPPER(username) = UPPER(%s); without this
        # index every lookup would scan the table, which no team would ship.
        indexes = [models.Index(Upper("username"), name="user_username_upper_idx")]


class Group(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=255, unique=True)
    members = models.ManyToManyField(User, related_name="scim_groups", blank=True)

    class Meta:
        indexes = [models.Index(Upper("scim_display_name"), name="group_display_upper_idx")]


def get_user_model() -> type[User]:
    return User
