from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from compliance.admin.base import staff_actor
from portal import services
from portal.errors import StaffStillNeededError
from portal.models import StaffUser


class StaffUserChangeForm(UserChangeForm[StaffUser]):
    def clean_is_active(self) -> Any:
        """Asks the deactivation service's rule, so that a refusal is an error on the
        'active' box rather than a failed save."""
        active = self.cleaned_data["is_active"]
        if active or not self.instance.pk:
            return active
        try:
            services.staff_deactivation_check(self.instance)
        except StaffStillNeededError as error:
            raise ValidationError(str(error), code=error.code) from error
        return active


@admin.register(StaffUser)
class StaffUserAdmin(UserAdmin[StaffUser]):
    form = StaffUserChangeForm
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")

    def save_model(self, request: HttpRequest, obj: StaffUser, form: Any, change: bool) -> None:
        # Deactivation is the service's (a rule and an audit event); the form saves the rest.
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.staff_deactivate(user=obj, actor=staff_actor(request))
        super().save_model(request, obj, form, change)
