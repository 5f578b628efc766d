"""Pages for requesters, reached from the portal's e-mails without a login."""

from django.urls import path

from compliance.dsar import views

urlpatterns = [
    path("verify/<str:token>/", views.challenge, name="dsar-challenge"),
    path("download/<str:token>/", views.download, name="dsar-download"),
]
