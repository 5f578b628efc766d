from django.db import migrations

GENESIS = "0" * 64


def create_head(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    apps.get_model("compliance", "ChainHead").objects.get_or_create(pk=1, defaults={"hash": GENESIS})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
