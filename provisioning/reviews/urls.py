from django.urls import path

from provisioning.reviews import views

app_name = "reviews"

urlpatterns = [
    path("<str:token>/", views.items, name="items"),
]
