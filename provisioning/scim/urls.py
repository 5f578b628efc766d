"""/scim/v2/: the SCIM 2.0 service provider."""

from django.urls import path, re_path

from provisioning.scim import views_groups, views_users
from provisioning.scim.views_misc import UnknownView

app_name = "scim"

urlpatterns = [
    path("Users", views_users.UsersView.as_view(), name="users"),
    path("Users/<str:user_id>", views_users.UserView.as_view(), name="user"),
    path("Groups", views_groups.GroupsView.as_view(), name="groups"),
    path("Groups/<str:group_id>", views_groups.GroupView.as_view(), name="group"),
    re_path(r"^.*$", UnknownView.as_view(), name="unknown"),
]
