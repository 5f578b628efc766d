from django.urls import path

from provisioning.approvals import views

app_name = "approvals"

urlpatterns = [
    path("<str:token>/", views.decide, name="decide"),
]
