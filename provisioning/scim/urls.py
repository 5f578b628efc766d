"""/scim/v2/: the SCIM 2.0 service provider."""

from django.urls import path, re_path

from provisioning.scim import views_bulk, views_discovery, views_groups, views_search, views_users
from provisioning.scim.views_misc import MeView, UnknownView

app_name = "scim"

urlpatterns = [
    path("Users/.search", views_search.UsersSearchView.as_view(), name="users-search"),
    path("Groups/.search", views_search.GroupsSearchView.as_view(), name="groups-search"),
    path(".search", views_search.RootSearchView.as_view(), name="search"),
    path("Users", views_users.UsersView.as_view(), name="users"),
    path("Users/<str:user_id>", views_users.UserView.as_view(), name="user"),
    path("Groups", views_groups.GroupsView.as_view(), name="groups"),
    path("Groups/<str:group_id>", views_groups.GroupView.as_view(), name="group"),
    path("Bulk", views_bulk.BulkView.as_view(), name="bulk"),
    path("Me", MeView.as_view(), name="me"),
    path(
        "ServiceProviderConfig",
        views_discovery.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    path("Schemas", views_discovery.SchemasView.as_view(), name="schemas"),
    path("Schemas/<str:schema_id>", views_discovery.SchemaView.as_view(), name="schema"),
    path("ResourceTypes", views_discovery.ResourceTypesView.as_view(), name="resource-types"),
    path(
        "ResourceTypes/<str:type_id>",
        views_discovery.ResourceTypeView.as_view(),
        name="resource-type",
    ),
    re_path(r"^.*$", UnknownView.as_view(), name="unknown"),
]
