from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError

from portal.models import StaffUser


class StaffUserChangeForm(UserChangeForm[StaffUser]):
    def clean_is_active(self) -> Any:
        """A role owner approves every request for their roles, a separation-of-duties
        reviewer every request their rule catches: deactivating one would leave those
        requests with no one to decide them."""
        active = self.cleaned_data["is_active"]
        if active or not self.instance.pk:
            return active
        user = self.instance.get_username()
        owned = list(self.instance.owned_roles.order_by("name").values_list("name", flat=True))
        if owned:
            raise ValidationError(
                "%(user)s owns the roles %(roles)s: give them another owner first.",
                params={"user": user, "roles": ", ".join(owned)},
                code="owns_roles",
            )
        rules = [str(rule) for rule in self.instance.sod_reviews.select_related("role_a", "role_b")]
        if rules:
            raise ValidationError(
                "%(user)s gives the extra approval of the separation-of-duties rules"
                " %(rules)s: name another reviewer first.",
                params={"user": user, "rules": ", ".join(sorted(rules))},
                code="reviews_sod_rules",
            )
        return active


@admin.register(StaffUser)
class StaffUserAdmin(UserAdmin[StaffUser]):
    form = StaffUserChangeForm
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")
