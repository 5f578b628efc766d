"""django-scim2's filter maps, extended so that the bench's filters are really applied:
an unmapped attribute returns nothing, which would not be a fair comparison."""

from django_scim.filters import GroupFilterQuery, UserFilterQuery

from bench.peers.djscim.people.models import Group, get_user_model


class PeerUserFilterQuery(UserFilterQuery):
    model_getter = get_user_model
    attr_map = {
        **UserFilterQuery.attr_map,
        ("externalId", None, None): "scim_external_id",
        ("emails", "value", None): "email",
        ("emails", "type", None): "email_type",
        ("displayName", None, None): "username",
    }


def get_group_model() -> type[Group]:
    return Group


class PeerGroupFilterQuery(GroupFilterQuery):
    model_getter = get_group_model
    attr_map = {
        ("displayName", None, None): "scim_display_name",
        ("externalId", None, None): "scim_external_id",
    }
