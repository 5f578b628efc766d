"""The demo organisation's past weeks, replayed so that a fresh `make run` shows a portal
that has been in use: the dashboard's chart has a bar for every day and the audit trail
holds every channel.

seed_demo founds the organisation `days` ago and then lives each day up to yesterday
through the services that staff, identity providers and beat use. Joiners arrive over
SCIM and the identity provider corrects titles; HR moves people and now and then
offboards a leaver; staff ask for high-risk roles and the approvers decide from their
e-mail links; every night the expiry job ends the grants whose time is up.

The clock is moved with time-machine (a development dependency, installed by `make run`),
so that every record agrees on when it happened, not only the audit trail; the trail takes
that clock only while history is replayed into an empty trail
(compliance.audit.services.history_replay)."""

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.urls import resolve
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.models import AuditEvent
from compliance.audit.services import history_replay
from compliance.audit.vocabulary import Channel
from portal.models import StaffUser
from provisioning.errors import ProvisioningError
from provisioning.models import AccessRequest, Approval, Person, Role
from provisioning.services import access, lifecycle, persons, requests, scim_clients
from provisioning.services.approvals_links import link_issue

SEED = 20261205
DOMAIN = "example.org"
# What a working day brings, every how many working days.
JOINER_EVERY, MOVER_EVERY, REQUEST_EVERY, LEAVER_EVERY = 3, 4, 2, 7
NEW_TITLES = {
    "Engineering": "Staff Engineer",
    "Sales": "Senior Account Executive",
    "Finance": "Senior Accountant",
    "People": "Senior HR Partner",
    "IT": "Senior Systems Administrator",
    "Legal": "Senior Counsel",
}


@dataclass
class History:
    """One replay: the travelling clock, and what each day brought."""

    start: date
    days: int
    traveller: Any  # time_machine's Coordinates: move_to() sets the clock
    done: Counter[str] = field(default_factory=Counter)

    def replay(self, *, people: list[Person], roles: dict[str, Role]) -> None:
        """Live every day after the founding one, up to yesterday."""
        staff = {user.username: user for user in StaffUser.objects.all()}
        rng = random.Random(SEED)  # noqa: S311 (demo activity, not secrets)
        identity_provider = Actor.scim_client(
            scim_clients.scim_client_create(
                actor=Actor.system("seed_demo", channel=Channel.CLI),
                name="Entra ID (demo)",
                profile="directory",
            )
        )
        # The first people manage the others and hold today's demo requests: left alone.
        pool = list(people[6:])
        requestable = [role for role in roles.values() if role.requestable]
        working_day = 0
        for offset in range(1, self.days):
            day = self.start + timedelta(days=offset)
            self._at(day, 2)
            self.done["grants expired"] += access.grants_expire(actor=Actor.system("grants_expire"))
            if day.weekday() >= 5:
                continue
            working_day += 1
            self._at(day, 9)
            self._identity_provider_day(identity_provider, pool, rng, working_day, offset)
            self._at(day, 11)
            if working_day % MOVER_EVERY == 0:
                self._move(Actor.staff(staff["hr"]), rng.choice(pool))
            if working_day % REQUEST_EVERY == 0:
                self._at(day, 14)
                self._request(staff["hr"], rng.choice(pool), rng.choice(requestable), rng)
            if working_day % LEAVER_EVERY == 0:
                self._at(day, 16)
                leaver = pool.pop(rng.randrange(len(pool)))
                lifecycle.person_offboard(
                    person=leaver, actor=Actor.staff(staff["hr"]), reason="Resigned"
                )
                self.done["leavers"] += 1

    def summary(self) -> str:
        return f"{self.days} days replayed: " + ", ".join(
            f"{count} {what}" for what, count in sorted(self.done.items())
        )

    def _at(self, day: date, hour: int) -> None:
        self.traveller.move_to(timezone.make_aware(datetime.combine(day, time(hour))), tick=True)

    def _identity_provider_day(
        self, actor: Actor, pool: list[Person], rng: random.Random, working_day: int, offset: int
    ) -> None:
        """The identity provider's sync: a title corrected, and every few days a joiner."""
        person = rng.choice(pool)
        title = NEW_TITLES.get(person.department, "")
        if title and person.title != title:
            persons.person_update(person=person, actor=actor, fields={"title": title})
            self.done["titles corrected over SCIM"] += 1
        if working_day % JOINER_EVERY:
            return
        user_name = f"joiner.{offset:02d}"
        joiner = persons.person_create(
            actor=actor,
            fields={
                "user_name": user_name,
                "external_id": f"NEW{offset:05d}",
                "given_name": "New",
                "family_name": f"Joiner {offset:02d}",
                "display_name": f"New Joiner {offset:02d}",
                "department": person.department,
                "title": person.title,
                "employment_type": "employee",
                "location": person.location,
                "manager": person.manager,
            },
            emails=[persons.Contact(f"{user_name}@{DOMAIN}", "work", primary=True)],
        )
        pool.append(joiner)
        self.done["joiners over SCIM"] += 1

    def _move(self, actor: Actor, person: Person) -> None:
        """HR moves someone to another department: the mover's templates follow."""
        department = "Sales" if person.department != "Sales" else "Finance"
        persons.person_update(
            person=person,
            actor=actor,
            fields={"department": department, "title": NEW_TITLES[department]},
            reason=f"Moved to {department}",
        )
        self.done["movers"] += 1

    def _request(self, hr: StaffUser, person: Person, role: Role, rng: random.Random) -> None:
        """HR asks for a role for a few days; each approver decides from their e-mail link,
        most approve and now and then one refuses."""
        if AccessRequest.objects.filter(person=person, role=role).exists():
            return
        try:
            request = requests.access_request(
                person=person,
                role=role,
                requested_by=hr,
                justification="Covers a colleague's duties this week",
                duration=timedelta(days=rng.randint(2, 7)),
                actor=Actor.staff(hr),
            )
        except ProvisioningError:  # a role the person may not hold (separation of duties)
            return
        approve = rng.random() > 0.2
        while approval := request.approvals.filter(decision=Approval.Decision.PENDING).first():
            requests.approval_decide_by_link(
                token=_link_token(approval), approve=approve, comment="Fine for this week"
            )
        self.done["requests approved" if approve else "requests refused"] += 1


def _link_token(approval: Approval) -> str:
    """The token of a fresh link to the approval, as the approver's e-mail carried one (the
    e-mail itself waits sealed in the outbox, unreadable here by design)."""
    path = link_issue(approval)
    Approval.objects.filter(pk=approval.pk).update(token_hash=approval.token_hash)
    token: str = resolve(path).kwargs["token"]
    return token


@contextmanager
def month_before_today(days: int) -> Iterator[History | None]:
    """The clock moved back `days` to the founding morning for what runs inside, with a
    History to replay the days since; None (and today's clock) when no history is asked
    for or the audit trail already holds events."""
    if days <= 0 or AuditEvent.objects.exists():
        yield None
        return
    try:
        import time_machine
    except ImportError as error:
        raise CommandError(
            "--history-days moves the clock with time-machine, a development dependency: "
            "run `make deps`"
        ) from error
    start = timezone.localdate() - timedelta(days=days)
    founding = timezone.make_aware(datetime.combine(start, time(8)))
    with time_machine.travel(founding, tick=True) as traveller, history_replay():
        yield History(start=start, days=days, traveller=traveller)
