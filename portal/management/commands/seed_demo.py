"""Demo data: a small believable organisation and one staff account per role.

Idempotent: everything is looked up by its natural key first, so a second run changes
nothing and prints the same credentials.
"""

import base64
import random
import unicodedata
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group as StaffRole
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from compliance.inventory import PROVISIONED_APPLICATIONS
from compliance.ropa import Safeguard
from portal import demo_history, roles
from portal.models import StaffUser
from provisioning.connectors import services as connector_services
from provisioning.connectors.errors import ConnectorError
from provisioning.connectors.models import Connector
from provisioning.connectors.reconcile import connector_reconcile
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Application,
    Campaign,
    Entitlement,
    Group,
    Person,
    Role,
    RoleTemplate,
    SodRule,
)
from provisioning.services import access, catalogue, groups, persons, requests, reviews
from provisioning.services import roles as role_services


def _ascii(text: str) -> str:
    """Chloé -> Chloe: a mailbox every mail server delivers to (see provisioning.addresses)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# Slack's processor as the record of processing lists it: the company, where it processes
# the data, and what makes the transfer lawful (the EU-US Data Privacy Framework).
SLACK_PROCESSOR = {
    "processor": "Slack Technologies, LLC",
    "processor_country": "United States",
    "transfer_safeguard": Safeguard.ADEQUACY,
    # Told of opt-outs, limits and restrictions; without it every notice reads "NOT TOLD".
    "privacy_contact": "privacy@slack.example.org",
}

# The bearer token of the local scim2-server that `make run` starts as a stand-in for Slack.
DEMO_DOWNSTREAM_TOKEN = "demo-downstream-token"  # noqa: S105 (a local demo, not a secret)

SEED = 20261124
DOMAIN = "example.org"

DEPARTMENTS = {
    "Engineering": ["Software Engineer", "Senior Software Engineer", "Engineering Manager"],
    "Sales": ["Account Executive", "Sales Manager"],
    "Finance": ["Accountant", "Financial Controller"],
    "People": ["HR Partner", "Recruiter"],
    "IT": ["Systems Administrator", "IT Support Specialist"],
    "Legal": ["Counsel", "Privacy Counsel"],
}
GIVEN = [
    "Ada",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustav",
    "Hana",
    "Ivan",
    "Jonas",
    "Kemi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
    "Zoltán",
]
FAMILY = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Fischer",
    "Kowalski",
    "Haddad",
    "Silva",
    "Novak",
    "O'Brien",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Varga",
]
LOCATIONS = ["London", "Berlin", "Lisbon", "Remote"]
APPLICATIONS = {
    "GitHub": ["Member", "Maintainer", "Owner"],
    "Salesforce": ["Sales User", "Sales Admin"],
    "Workday": ["Employee self-service", "HR Administrator"],
    "Slack": ["Member", "Workspace Admin"],
    "NetSuite": ["Accounts Payable", "Controller"],
}
DEMO_CAMPAIGN = "High-risk roles, quarterly"
STAFF = {
    "hr": (roles.HR, "Harriet", "Reyes"),
    "it": (roles.IT, "Ishaan", "Thomsen"),
    "approver": (roles.APPROVER, "Aoife", "Brennan"),
    "privacy": (roles.PRIVACY_OFFICER, "Pavel", "Duarte"),
    "auditor": (roles.AUDITOR, "Ama", "Mensah"),
}
PEOPLE = 50

# --- Access governance demo: roles (owner, risk, max days, requestable, entitlements) ---
ROLES = {
    "Slack member": ("it", "low", 365, False, [("Slack", "Member")]),
    "Workday self-service": ("it", "low", 365, False, [("Workday", "Employee self-service")]),
    "GitHub developer": ("it", "low", 365, False, [("GitHub", "Member")]),
    "Salesforce sales": ("it", "medium", 365, False, [("Salesforce", "Sales User")]),
    "NetSuite payables": ("it", "medium", 365, False, [("NetSuite", "Accounts Payable")]),
    "Workday HR admin": ("it", "high", 365, False, [("Workday", "HR Administrator")]),
    "GitHub owner": ("approver", "high", 14, True, [("GitHub", "Owner")]),
    "NetSuite controller": ("approver", "high", 30, True, [("NetSuite", "Controller")]),
    "Salesforce admin": ("approver", "high", 30, True, [("Salesforce", "Sales Admin")]),
}
# name: (department condition, employment type condition, roles, duration in days)
TEMPLATES: dict[str, tuple[str, str, list[str], int | None]] = {
    "Everyone": ("", "", ["Slack member", "Workday self-service"], None),
    "Engineering": ("Engineering", "", ["GitHub developer"], None),
    "Sales": ("Sales", "", ["Salesforce sales"], None),
    "Finance": ("Finance", "", ["NetSuite payables"], None),
    "People team": ("People", "", ["Workday HR admin"], None),
    "Contractors (90 days)": ("", "contractor", ["GitHub developer"], 90),
}


def _where_the_mail_is() -> str:
    """Approvers decide from links in e-mails, so a newcomer to the demo must learn where
    those e-mails went: `make run` writes them to files rather than the console."""
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        # Set from EMAIL_URL by django-environ, so not a setting the stubs know.
        folder = getattr(settings, "EMAIL_FILE_PATH", "")
        return (
            f"E-mails (approval links among them): one file per message in {folder}/ "
            "(docs/approvers.md shows how to find one)."
        )
    if backend == "console":
        return "E-mails (approval links among them): printed above."
    return "E-mails went out through the mail server in EMAIL_URL."


class Command(BaseCommand):
    help = "Create demo people, groups, applications and one staff account per role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--downstream",
            metavar="URL",
            help="The SCIM base URL of a local stand-in for Slack (make run starts "
            f"scim2-server with the bearer token {DEMO_DOWNSTREAM_TOKEN!r}): Slack's connector "
            "points there and everyone is pushed to it.",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            metavar="DAYS",
            help="Start the organisation this many days ago and replay its working days up to "
            "today (joiners over SCIM, movers, leavers, requests and their approvals, grants "
            "expiring), so the dashboard and the audit trail show a working portal. Only into "
            "an empty audit trail; `make run` asks for 30.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("seed_demo", channel=Channel.CLI)
        days = options["history_days"]
        with transaction.atomic():
            with demo_history.month_before_today(days) as history:
                self._catalogue(actor)
                people = self._people(actor)
                self._groups(actor, people)
                credentials = [self._staff(username, *spec) for username, spec in STAFF.items()]
                roles_made = self._roles(actor, people)
                if history:
                    history.replay(people=people, roles=roles_made)
            self._requests(actor, people, roles_made)
            self._access_review(actor)
        self.stdout.write(
            f"Demo organisation: {Person.objects.count()} people, "
            f"{Group.objects.count()} groups, {Application.objects.count()} applications, "
            f"{Role.objects.count()} roles, "
            f"{AccessGrant.objects.filter(status='active').count()} active grants."
        )
        if days:
            self.stdout.write(
                f"History: {history.summary()}"
                if history
                else "History: the audit trail already holds events, so none was added."
            )
        if options["downstream"]:
            self._downstream(actor, options["downstream"])
        self.stdout.write(_where_the_mail_is())
        # Last, so that they are what a newcomer sees when the command ends.
        self.stdout.write(
            f"\nSign in at {settings.PORTAL_BASE_URL}/admin/ with a password below, then a code "
            "from its TOTP secret (an authenticator app, or: oathtool --totp -b SECRET):"
        )
        for line in credentials:
            self.stdout.write(f"  {line}")

    def _downstream(self, actor: Actor, url: str) -> None:
        """Slack's connector, pointed at a local scim2-server standing in for Slack, and a
        first reconciliation that gives everyone an account there."""
        slack = Application.objects.get(name="Slack")
        connector = Connector.objects.filter(application=slack).first()
        if connector is None:
            connector = connector_services.connector_create(
                actor=actor,
                connector=Connector(
                    application=slack,
                    base_url=url,
                    scope=Connector.Scope.EVERYONE,
                    attributes=sorted(PROVISIONED_APPLICATIONS["slack"]),
                    **SLACK_PROCESSOR,
                ),
                secret=DEMO_DOWNSTREAM_TOKEN,
            )
        elif not all(getattr(connector, name) for name in SLACK_PROCESSOR):  # an older seed
            for name, value in SLACK_PROCESSOR.items():
                setattr(connector, name, value)
            connector_services.connector_update(actor=actor, connector=connector)
        try:
            report = connector_reconcile(connector_id=connector.pk)
        except ConnectorError:
            self.stdout.write(
                f"Demo downstream at {url} not reached: Slack's accounts appear once it "
                "answers (the connector's Reconcile now, or the hourly reconciliation)."
            )
            return
        self.stdout.write(
            f"Slack's connector points at a local scim2-server standing in for Slack ({url}): "
            f"{report.users_created} accounts pushed."
        )

    def _catalogue(self, actor: Actor) -> None:
        for name, entitlements in APPLICATIONS.items():
            application = Application.objects.filter(
                name=name
            ).first() or catalogue.application_create(
                actor=actor,
                application=Application(name=name, url=f"https://{name.lower()}.{DOMAIN}"),
            )
            for entitlement in entitlements:
                if not application.entitlements.filter(name=entitlement).exists():
                    catalogue.entitlement_create(
                        actor=actor,
                        entitlement=Entitlement(application=application, name=entitlement),
                    )

    def _people(self, actor: Actor) -> list[Person]:
        rng = random.Random(SEED)  # noqa: S311 (demo names, not secrets)
        people: list[Person] = []
        departments = list(DEPARTMENTS)
        for number in range(1, PEOPLE + 1):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            department = departments[number % len(departments)]
            title = DEPARTMENTS[department][0 if number > 6 else -1]
            location = rng.choice(LOCATIONS)
            user_name = f"{given}.{family}{number}".lower().replace("'", "")
            existing = Person.objects.filter(user_name=user_name).first()
            if existing:
                people.append(existing)
                continue
            manager = people[departments.index(department)] if number > len(departments) else None
            people.append(
                persons.person_create(
                    actor=actor,
                    fields={
                        "user_name": user_name,
                        "external_id": f"EMP{number:05d}",
                        "given_name": given,
                        "family_name": family,
                        "display_name": f"{given} {family}",
                        "title": title,
                        "department": department,
                        "employee_number": f"{number:05d}",
                        "cost_center": f"CC-{departments.index(department) + 1:03d}",
                        "organization": "Example Org",
                        "employment_type": "contractor" if number % 9 == 0 else "employee",
                        "location": location,
                        "manager": manager,
                    },
                    emails=[persons.Contact(f"{_ascii(user_name)}@{DOMAIN}", "work", primary=True)],
                    phones=[persons.Contact(f"+44 20 7946 {number:04d}", "work", primary=True)],
                )
            )
        return people

    def _groups(self, actor: Actor, people: list[Person]) -> None:
        for department in DEPARTMENTS:
            name = f"dept-{department.lower()}"
            group = Group.objects.filter(display_name=name).first() or groups.group_create(
                actor=actor, display_name=name, description=f"Everyone in {department}"
            )
            groups.group_members_add(
                group=group,
                person_ids=[p.pk for p in people if p.department == department],
                actor=actor,
            )
        everyone = Group.objects.filter(display_name="all-staff").first() or groups.group_create(
            actor=actor, display_name="all-staff", description="Everyone"
        )
        groups.group_members_add(group=everyone, person_ids=[p.pk for p in people], actor=actor)

    def _staff(self, username: str, role: str, first_name: str, last_name: str) -> str:
        password = f"demo-{username}-portal"
        user = StaffUser.objects.filter(username=username).first()
        if user is None:
            user = StaffUser.objects.create_user(
                username=username,
                password=password,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@{DOMAIN}",
                is_staff=True,
            )
            user.groups.add(StaffRole.objects.get(name=role))
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
            backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
            for _ in range(5):
                backup.token_set.add(StaticToken(token=StaticToken.random_token()), bulk=False)
        secret = base64.b32encode(device.bin_key).decode()
        return f"{role:<16} {username:<9} {password:<22} TOTP secret {secret}"

    def _roles(self, actor: Actor, people: list[Person]) -> dict[str, Role]:
        """Roles, templates, a SoD rule and everyone's birthright."""
        staff = {user.username: user for user in StaffUser.objects.filter(username__in=STAFF)}
        made: dict[str, Role] = {}
        for name, (owner, risk, days, requestable, entitlements) in ROLES.items():
            role = Role.objects.filter(name=name).first() or role_services.role_create(
                role=Role(
                    name=name,
                    owner=staff[owner],
                    risk_level=risk,
                    max_duration=timedelta(days=days),
                    requestable=requestable,
                ),
                entitlements=[
                    Entitlement.objects.get(application__name=app, name=entitlement)
                    for app, entitlement in entitlements
                ],
                actor=actor,
            )
            made[name] = role
        for name, (department, employment_type, role_names, lasts) in TEMPLATES.items():
            if not RoleTemplate.objects.filter(name=name).exists():
                role_services.template_create(
                    template=RoleTemplate(
                        name=name,
                        department=department,
                        employment_type=employment_type,
                        duration=timedelta(days=lasts) if lasts else None,
                    ),
                    roles=[made[role_name] for role_name in role_names],
                    actor=actor,
                )
        if not SodRule.objects.exists():
            role_services.sod_rule_save(
                rule=SodRule(
                    role_a=made["NetSuite payables"],
                    role_b=made["NetSuite controller"],
                    effect=SodRule.Effect.EXTRA_APPROVAL,
                    extra_approver=staff["it"],
                    description="Whoever pays invoices does not also close the books.",
                ),
                actor=actor,
            )
        for person in people:
            access.birthright_apply(person=person, actor=actor, reason="demo joiner")
        return made

    def _requests(self, actor: Actor, people: list[Person], made: dict[str, Role]) -> None:
        """One approved request with an expiry, one waiting in the approver's inbox, and
        one grant made by hand: today's, whatever history came before."""
        staff = {user.username: user for user in StaffUser.objects.filter(username__in=STAFF)}
        # The first people have no manager: the role owner alone approves their requests.
        approved, waiting, by_hand = people[0], people[1], people[2]
        if not AccessRequest.objects.filter(person=approved).exists():
            request = requests.access_request(
                person=approved,
                role=made["GitHub owner"],
                requested_by=staff["hr"],
                justification="Release manager for the winter release",
                duration=timedelta(days=10),
                actor=actor,
            )
            requests.approval_decide_as_staff(
                approval=request.approvals.get(),
                user=staff["approver"],
                approve=True,
                comment="For the release only",
                actor=actor,
            )
        if not AccessRequest.objects.filter(person=waiting).exists():
            requests.access_request(
                person=waiting,
                role=made["Salesforce admin"],
                requested_by=staff["hr"],
                justification="Covers for the Salesforce administrator on leave",
                duration=timedelta(days=21),
                actor=actor,
            )
        if not AccessGrant.objects.filter(person=by_hand, source="manual").exists():
            access.grant_create(
                person=by_hand,
                role=made["Salesforce admin"],
                source=AccessGrant.Source.MANUAL,
                reason="Emergency fix during the outage",
                actor=actor,
            )
        if not AccessGrant.objects.filter(person=by_hand, entitlement__isnull=False).exists():
            access.grant_create(
                person=by_hand,
                entitlement=Entitlement.objects.get(
                    application__name="Slack", name="Workspace Admin"
                ),
                source=AccessGrant.Source.MANUAL,
                expires_at=timezone.now() + timedelta(days=5),
                reason="Runs the all-hands channel migration this week",
                actor=actor,
            )

    def _access_review(self, actor: Actor) -> None:
        """A campaign of the high-risk roles, reviewed by their owners with IT as the
        fallback, started once: the owners find their items in "My access reviews"."""
        if Campaign.objects.filter(name=DEMO_CAMPAIGN).exists():
            return
        campaign = reviews.campaign_save(
            campaign=Campaign(
                name=DEMO_CAMPAIGN,
                description="Quarterly review of high-risk roles (SOX, ISO 27001 A.5.18).",
                risk_levels=[Role.Risk.HIGH],
                reviewer_kind=Campaign.ReviewerKind.OWNER,
                fallback_reviewer=StaffUser.objects.get(username="it"),
                on_undecided=Campaign.Undecided.ESCALATE,
                recurrence=Campaign.Recurrence.QUARTERLY,
            ),
            scope=reviews.CampaignScope(),
            actor=actor,
        )
        reviews.campaign_start(campaign=campaign, actor=actor)
