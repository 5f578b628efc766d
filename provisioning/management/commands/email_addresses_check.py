"""`manage.py email_addresses_check`: the people with an e-mail address SCIM cannot carry.

The portal holds every address it stores to SCIM's rule (provisioning.addresses); an
address stored before that rule is left out of SCIM answers. This finds them, so that
they can be corrected on the person's admin page. It prints people's ids, never the
addresses, and fails (exit status 1) when it finds any, so that it can gate a deployment.
"""

from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisioning.addresses import address_problem
from provisioning.models import PersonEmail

CHUNK = 2000


class Command(BaseCommand):
    help = (
        "List the people with an e-mail address SCIM cannot carry (by id, without the "
        "address); exit status 1 if there are any."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = PersonEmail.objects.order_by("person_id", "pk").values_list("person_id", "value")
        stream = rows.iterator(chunk_size=CHUNK)
        people: set[Any] = set()
        found = 0
        while chunk := list(islice(stream, CHUNK)):
            for person_id, value in chunk:
                if address_problem(value) is None:
                    continue
                found += 1
                if person_id not in people:
                    people.add(person_id)
                    self.stdout.write(str(person_id))
        if found:
            raise CommandError(
                f"E-mail addresses SCIM cannot carry: {found}, held by the {len(people)} "
                "people listed above; correct them on each person's admin page."
            )
        self.stdout.write("Every stored e-mail address can go out over SCIM.")
