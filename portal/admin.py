from contextvars import ContextVar
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.admin.base import ServiceDeleteMixin, ServiceWriteMixin, staff_actor
from compliance.audit.actor import Actor
from portal import services
from portal.errors import StaffStillNeededError
from portal.models import StaffUser

# Who sets a password on Django's password page, for its form: the page builds and saves
# the form itself and hands it no request. Set only while that page runs.
_setting_password: ContextVar[Actor] = ContextVar("setting_password")


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


# Generic in django-stubs only: the class is not subscriptable at run time.
class StaffPasswordForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    def save(self, commit: bool = True) -> Any:
        """Hashes the new password (or disables it) on the account, and saves it through
        the staff service."""
        user = super().save(commit=False)
        return services.staff_password_set(user=user, actor=_setting_password.get())


@admin.register(StaffUser)
class StaffUserAdmin(
    ServiceWriteMixin[StaffUser], ServiceDeleteMixin[StaffUser], UserAdmin[StaffUser]
):
    """Staff accounts: created, changed (with their roles), given a password and deleted
    through the staff services."""

    form = StaffUserChangeForm
    change_password_form = StaffPasswordForm
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")

    def service_create(self, request: HttpRequest, obj: StaffUser, form: Any) -> StaffUser:
        return services.staff_create(user=obj, actor=staff_actor(request))

    def service_update(self, request: HttpRequest, obj: StaffUser, form: Any) -> None:
        data = form.cleaned_data
        services.staff_update(
            user=obj,
            actor=staff_actor(request),
            changed=form.changed_data,
            roles=data.get("groups"),
            permissions=data.get("user_permissions"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The roles and permissions were saved with the account, by the service."""

    def service_delete(self, request: HttpRequest, obj: StaffUser) -> None:
        services.staff_delete(user=obj, actor=staff_actor(request))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        acting = _setting_password.set(staff_actor(request))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _setting_password.reset(acting)


# Django's own GroupAdmin saves a role and its permissions with no event: a hand edit of a
# role's permissions would be an unaudited privilege change.
admin.site.unregister(Group)


@admin.register(Group)
class StaffRoleAdmin(ServiceWriteMixin[Group], ServiceDeleteMixin[Group], GroupAdmin):
    """Staff roles (Django groups) and their permissions, as Django's GroupAdmin shows them:
    created, changed and deleted through the staff role services."""

    def service_create(self, request: HttpRequest, obj: Group, form: Any) -> Group:
        return services.staff_role_create(
            role=obj, actor=staff_actor(request), permissions=form.cleaned_data["permissions"]
        )

    def service_update(self, request: HttpRequest, obj: Group, form: Any) -> None:
        services.staff_role_update(
            role=obj,
            actor=staff_actor(request),
            changed=form.changed_data,
            permissions=form.cleaned_data.get("permissions"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The permissions were saved with the role, by the service."""

    def service_delete(self, request: HttpRequest, obj: Group) -> None:
        services.staff_role_delete(role=obj, actor=staff_actor(request))


class _DeleteOnlyAdmin(ServiceDeleteMixin[Any], admin.ModelAdmin[Any]):
    """Records that only their library writes, which staff may see and remove, each
    removal through a service with its event, but never add or edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# django-otp's own device admins add, edit and delete second factors with no event: a
# superuser could give a colleague an authenticator whose key they know, unrecorded.
# Staff enrol their own at sign-in; the admin only removes one, recorded.
class SecondFactorAdmin(_DeleteOnlyAdmin):
    list_display = ("user", "kind", "name", "confirmed", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    @admin.display(description="kind")
    def kind(self, device: Device) -> str:
        return services.SECOND_FACTOR_KINDS[device._meta.label]

    def service_delete(self, request: HttpRequest, obj: Device) -> None:
        services.staff_second_factor_remove(device=obj, actor=staff_actor(request))


# django-axes' admin deletes lockouts with no event; its access log copies the sign-ins
# the trail records already, and is switched off (AXES_DISABLE_ACCESS_LOG).
class LockoutAdmin(_DeleteOnlyAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    readonly_fields = fields

    def service_delete(self, request: HttpRequest, obj: AccessAttempt) -> None:
        services.staff_lockout_clear(attempt=obj, actor=staff_actor(request))


for _model in (TOTPDevice, StaticDevice, AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
admin.site.register(TOTPDevice, SecondFactorAdmin)
admin.site.register(StaticDevice, SecondFactorAdmin)
admin.site.register(AccessAttempt, LockoutAdmin)
