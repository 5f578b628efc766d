from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.PortalAdminSite"


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = "Staff and access to the portal"

    def ready(self) -> None:
        from compliance import inventory
        from portal import roles, signals  # noqa: F401  (connects the login receivers)
        from portal.inventory import DECLARATIONS

        inventory.register(DECLARATIONS)

        from portal import retention

        retention.register()  # staff accounts, for compliance's retention job

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="portal.sync_roles")
