"""`manage.py scim_token create NAME`: a bearer token for an identity provider."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from provisioning.errors import ProvisioningError
from provisioning.models import ScimClient
from provisioning.services.scim_clients import scim_client_create, scim_token_issue


class Command(BaseCommand):
    help = (
        "Create a SCIM client if it does not exist, or a new token for an existing one "
        "(its older tokens stay valid until revoked). The token is printed once, alone on "
        "the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("name", help="The client's name, for example 'Entra ID'.")
        parser.add_argument("--profile", default="directory", help="The agreed attributes.")
        parser.add_argument("--mode", default=ScimClient.Mode.STRICT, choices=["strict", "drop"])

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("scim_token", channel=Channel.CLI)
        try:
            client = ScimClient.objects.filter(name=options["name"]).first()
            if client is None:
                client = scim_client_create(
                    actor=actor,
                    name=options["name"],
                    profile=options["profile"],
                    mode=options["mode"],
                )
                self.stdout.write(f"Created SCIM client {client.name} ({client.profile}).")
            issued = scim_token_issue(client=client, actor=actor)
        except ProvisioningError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"New token for {client.name}; it is not shown again:")
        self.stdout.write(issued.secret)
