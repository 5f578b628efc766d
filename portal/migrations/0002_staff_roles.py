"""Creates the staff roles as groups. Their permissions are declared in portal/roles.py and
applied after every migrate, so a later model's permissions reach exactly its roles."""

from django.db import migrations

ROLES = ("HR", "IT", "Approver", "Privacy officer", "Auditor")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
