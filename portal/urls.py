from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from two_factor.urls import urlpatterns as two_factor_patterns

from portal.views import StaffLoginView

two_factor_urls, two_factor_namespace = two_factor_patterns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Both sign-in addresses lead to the same two-factor wizard.
    path("admin/login/", StaffLoginView.as_view(), name="staff-login"),
    path("account/login/", StaffLoginView.as_view()),
    path("", include((two_factor_urls, two_factor_namespace))),
    path("admin/", admin.site.urls),
    # SCIM 2.0 service provider for the identity providers.
    path("scim/v2/", include("provisioning.scim.urls")),
    # Access governance: approvers decide from an e-mailed link, without a portal login.
    path("approvals/", include("provisioning.approvals.urls")),
    # Access reviews: reviewers decide on their items from an e-mailed link.
    path("reviews/", include("provisioning.reviews.urls")),
    # Data-subject requests: the requester confirms their identity from an e-mailed link.
    path("privacy/", include("compliance.dsar.urls")),
]
