"""E-mails stored before their copies were redacted still hold live approval links:
redact them the same way (forward only; a link once removed is not put back)."""

from typing import Any

from django.db import migrations

from provisioning.email_redaction import email_body_redact


def redact(apps: Any, schema_editor: Any) -> None:
    sent_email = apps.get_model("provisioning", "SentEmail")
    for email in sent_email.objects.only("pk", "body").iterator(chunk_size=500):
        redacted = email_body_redact(email.body)
        if redacted != email.body:
            sent_email.objects.filter(pk=email.pk).update(body=redacted)


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0011_email_address_rule")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
