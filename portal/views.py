"""Staff sign-in: django-two-factor-auth's wizard, leading a staff member without a device
straight to enrolment instead of a dead end."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from two_factor.utils import default_device
from two_factor.views import LoginView, SetupCompleteView


class StaffLoginView(LoginView):
    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().done(form_list, **kwargs)
        user = self.get_user()
        if default_device(user) is None:
            # Signed in with the password only: is_verified() stays False, so the admin
            # stays closed until the enrolment below confirms a device.
            next_url = self.get_success_url()
            return redirect(f"{reverse('two_factor:setup')}?next={next_url}")
        return response


class StaffSetupCompleteView(SetupCompleteView):
    """After enrolment, offer backup codes and the way on to the admin."""

    template_name = "two_factor/core/setup_complete.html"
