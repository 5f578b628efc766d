from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from portal.models import StaffUser


@admin.register(StaffUser)
class StaffUserAdmin(UserAdmin[StaffUser]):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")
