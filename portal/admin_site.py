"""The admin site: every page needs a password and a second factor (django-otp)."""

from django.contrib.admin import AdminSite
from two_factor.admin import AdminSiteOTPRequiredMixin


class PortalAdminSite(AdminSiteOTPRequiredMixin, AdminSite):
    """Staff with a correct password but no verified OTP device reach no admin page: they
    are sent to the two-factor login, and from there to enrolment if they have no device."""

    site_header = "Provisioning portal"
    site_title = "Provisioning portal"
    index_title = "Dashboard"
