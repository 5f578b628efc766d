"""Staff sign-in: django-two-factor-auth's wizard, leading a staff member without a device
straight to enrolment instead of a dead end."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect
from two_factor.utils import default_device
from two_factor.views import LoginView


class StaffLoginView(LoginView):
    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().done(form_list, **kwargs)
        user = self.get_user()
        if default_device(user) is None:
            # Signed in with the password only: is_verified() stays False, so the admin
            # stays closed until enrolment confirms a device; it ends on a page that
            # offers backup codes and the way on to the admin.
            return redirect("two_factor:setup")
        return response
