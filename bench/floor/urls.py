from django.urls import path

from bench.floor.views import users

urlpatterns = [path("floor/v2/Users", users)]
