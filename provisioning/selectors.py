"""Reads of the identity domain shaped for their callers. People read as SCIM answers them
(a page with contacts and groups) are people_pages'; the first page of a SCIM search,
Users and Groups alike, first_pages'."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Lower

from provisioning.connectors.models import DownstreamAccount
from provisioning.models import (
    AccessGrant,
    AccessRequest,
    Approval,
    Membership,
    Person,
    PersonEmail,
    Role,
    RoleTemplate,
    SodRule,
)
from provisioning.models.access import MATCH_FIELDS
from provisioning.people_pages import details_of

# An approval stage that may still be decided: waiting or pending, on a pending request.
APPROVAL_OPEN = Q(
    decision__in=[Approval.Decision.WAITING, Approval.Decision.PENDING],
    request__status=AccessRequest.Status.PENDING,
)


@dataclass(frozen=True)
class PlannedGrant:
    """A grant birthright will make: the role, the template that gives it, and its expiry."""

    role: Role
    template: RoleTemplate
    expires_at: datetime | None


def templates_matching(*, attributes: Mapping[str, str]) -> QuerySet[RoleTemplate]:
    """Active templates whose every non-blank condition equals the attribute (ignoring case)."""
    query = Q(active=True)
    for name in MATCH_FIELDS:
        query &= Q(**{name: ""}) | Q(**{f"{name}__iexact": attributes.get(name) or ""})
    return RoleTemplate.objects.filter(query).prefetch_related("roles").order_by("name")


def persons_concerned_by_template(*, template: RoleTemplate) -> QuerySet[Person]:
    """The people a template change may affect: active people whose attributes match its
    conditions now, and people holding an active grant from it."""
    matching = Q(active=True)
    for name, value in template.conditions.items():
        matching &= Q(**{f"{name}__iexact": value})
    holding = Exists(
        AccessGrant.objects.filter(
            person=OuterRef("pk"), template=template, status=AccessGrant.Status.ACTIVE
        )
    )
    return Person.objects.filter(matching | Q(holding)).order_by("pk")


def birthright_plan(*, attributes: Mapping[str, str], now: datetime) -> list[PlannedGrant]:
    """Exactly the role grants a person with these attributes holds by birthright. When
    several templates give one role, the longest-lasting one wins (no end beats any end)."""
    matching = templates_matching(attributes=attributes)
    return _plan([(template, list(template.roles.all())) for template in matching], now)


def birthright_plans(
    *, attributes: Sequence[Mapping[str, str]], now: datetime
) -> list[list[PlannedGrant]]:
    """birthright_plan for each of many people (a batch of joiners, or one joiner): the
    active templates and their roles are read in one query however many people, and
    matched here as templates_matching matches them in SQL (a blank condition matches
    anything, the others compare as UPPER() on both sides, as iexact does). A template
    without roles grants nothing, so it is not read."""
    if not attributes:
        return []
    links = (
        RoleTemplate.roles.through.objects.filter(roletemplate__active=True)
        .select_related("roletemplate", "role")
        .order_by("roletemplate__name", "roletemplate_id")
    )
    templates: dict[object, tuple[RoleTemplate, list[Role]]] = {}
    for link in links:
        templates.setdefault(link.roletemplate_id, (link.roletemplate, []))[1].append(link.role)
    return [
        _plan([(t, roles) for t, roles in templates.values() if _matches(t, wanted)], now)
        for wanted in attributes
    ]


def _matches(template: RoleTemplate, attributes: Mapping[str, str]) -> bool:
    return all(
        not getattr(template, name)
        or getattr(template, name).upper() == str(attributes.get(name) or "").upper()
        for name in MATCH_FIELDS
    )


def _plan(templates: list[tuple[RoleTemplate, list[Role]]], now: datetime) -> list[PlannedGrant]:
    best: dict[object, PlannedGrant] = {}
    for template, roles in templates:
        expires_at = now + template.duration if template.duration else None
        for role in roles:
            current = best.get(role.pk)
            if current is None or _outlasts(expires_at, current.expires_at):
                best[role.pk] = PlannedGrant(role=role, template=template, expires_at=expires_at)
    return sorted(best.values(), key=lambda planned: planned.role.name)


def _outlasts(candidate: datetime | None, current: datetime | None) -> bool:
    if current is None:
        return False
    return candidate is None or candidate > current


def people_by_user_name_or_email(keys: Collection[str]) -> dict[str, Person]:
    """The active people these usernames or e-mail addresses name, by the key in lower
    case (both ignore case): a batch's managers in two queries, however many rows."""
    wanted = {key.strip().lower() for key in keys if key.strip()}
    if not wanted:
        return {}
    matches = (
        Person.objects.annotate(name_key=Lower("user_name"), email_key=Lower("emails__value"))
        .filter(Q(name_key__in=wanted) | Q(email_key__in=wanted), active=True)
        .values_list("pk", "name_key", "email_key")
    )
    named = {key: pk for pk, *found in matches for key in found if key in wanted}
    people = Person.objects.in_bulk(set(named.values()))
    return {key: people[pk] for key, pk in named.items()}


def user_names_taken(*, user_names: Collection[str]) -> set[str]:
    """Which of these usernames someone already has, lowercased (usernames ignore case).
    One query on the expression of the unique index, however many are asked about."""
    wanted = {name.lower() for name in user_names}
    if not wanted:
        return set()
    return set(
        Person.objects.annotate(lowered=Lower("user_name"))
        .filter(lowered__in=wanted)
        .values_list("lowered", flat=True)
    )


def identifiers_held(
    *, user_names: Collection[str], external_ids: Collection[str], scim_deleted: bool = False
) -> tuple[set[str], set[str]]:
    """Which of these usernames (lowercased) and externalIds someone has already, anyone
    stored (a person the identity provider deleted included, as check_unique counts them;
    only those with `scim_deleted`). One query on both unique indexes, however many are
    asked about."""
    names = {name.lower() for name in user_names if name}
    ids = {external_id for external_id in external_ids if external_id}
    if not names and not ids:
        return set(), set()
    people = Person.objects.all()
    if scim_deleted:
        people = people.filter(scim_deleted_at__isnull=False)
    rows = (
        people.annotate(lowered=Lower("user_name"))
        .filter(Q(lowered__in=names) | Q(external_id__in=ids))
        .values_list("lowered", "external_id")
    )
    held_names: set[str] = set()
    held_ids: set[str] = set()
    for lowered, external_id in rows:
        held_names.add(lowered)
        if external_id:
            held_ids.add(external_id)
    return held_names & names, held_ids & ids


def person_attributes(person: Person) -> dict[str, str]:
    return {name: getattr(person, name) for name in MATCH_FIELDS}


def grants_active(*, person: Person) -> QuerySet[AccessGrant]:
    return AccessGrant.objects.filter(person=person, status=AccessGrant.Status.ACTIVE)


def people_for_picker(people: QuerySet[Person]) -> QuerySet[Person]:
    """People with their primary e-mail address (`picker_email`), in the same query: a
    picker tells two Gustav Kowalskis apart by address and department."""
    first_address = (
        PersonEmail.objects.filter(person=OuterRef("pk")).order_by("-primary", "id").values("value")
    )
    return people.annotate(picker_email=Subquery(first_address[:1]))


def picker_label(person: Person) -> str:
    details = [getattr(person, "picker_email", None) or person.user_name, person.department]
    return f"{person} ({', '.join(detail for detail in details if detail)})"


@dataclass(frozen=True)
class PersonHub:
    """What a person's page shows beside their record."""

    grants: list[AccessGrant]
    groups: list[Any]
    accounts: list[DownstreamAccount]
    open_requests: list[AccessRequest]


def person_hub(person: Person) -> PersonHub:
    """A person's current access, groups, downstream accounts and open requests, in four
    queries."""
    return PersonHub(
        grants=list(
            AccessGrant.objects.filter(person=person, status=AccessGrant.Status.ACTIVE)
            .select_related("role", "entitlement__application", "template", "request")
            .order_by("expires_at", "pk")
        ),
        groups=[
            membership.group
            for membership in Membership.objects.filter(person=person)
            .select_related("group")
            .order_by("group__display_name")
        ],
        accounts=list(
            DownstreamAccount.objects.filter(person=person).select_related("connector__application")
        ),
        open_requests=list(
            AccessRequest.objects.filter(
                person=person, status=AccessRequest.Status.PENDING
            ).select_related("role")
        ),
    )


def people_with_access(people: QuerySet[Person]) -> QuerySet[Person]:
    """People with what a leaver loses: active grants (`active_grants`), group memberships
    and downstream accounts, in four queries whatever their number."""
    grants = AccessGrant.objects.filter(status=AccessGrant.Status.ACTIVE).select_related(
        "role", "entitlement__application"
    )
    return people.prefetch_related(
        Prefetch("grants", queryset=grants, to_attr="active_grants"),
        Prefetch("memberships", queryset=Membership.objects.select_related("group")),
        Prefetch(
            "downstream_accounts",
            queryset=DownstreamAccount.objects.select_related("connector__application"),
        ),
    )


def grants_expiring(*, within: timedelta, now: datetime) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(
            status=AccessGrant.Status.ACTIVE, expires_at__gt=now, expires_at__lte=now + within
        )
        .select_related("person", "role", "entitlement__application")
        .order_by("expires_at")
    )


def grants_manual() -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(
            status=AccessGrant.Status.ACTIVE, source=AccessGrant.Source.MANUAL
        )
        .select_related("person", "role", "entitlement__application")
        .order_by("-starts_at")
    )


def persons_stale(*, idle_since: datetime) -> QuerySet[Person]:
    """Active people whose record has not changed since then, with their active grants.
    Person.modified moves with every change the identity provider or HR makes; an active
    identity nobody has touched for months is likely unused, and its access with it."""
    return (
        Person.objects.filter(active=True, modified__lt=idle_since)
        .annotate(active_grants=Count("grants", filter=Q(grants__status="active")))
        .order_by("modified")
    )


GENERIC_MAILBOXES = (
    "admin",
    "administrator",
    "info",
    "support",
    "helpdesk",
    "office",
    "team",
    "sales",
    "noreply",
    "no-reply",
    "shared",
    "test",
)


def emails_shared() -> QuerySet[PersonEmail, dict[str, Any]]:
    """E-mail addresses that look shared: a generic mailbox, or one address on several
    people. One row per (address), aggregated in SQL."""
    generic = Q()
    for mailbox in GENERIC_MAILBOXES:
        generic |= Q(address__startswith=f"{mailbox}@")
    return (
        PersonEmail.objects.annotate(address=Lower("value"))
        .values("address")
        .annotate(people=Count("person", distinct=True))
        .filter(Q(people__gt=1) | generic)
        .order_by("-people", "address")
    )


def sod_violations() -> QuerySet[AccessGrant]:
    """One row per person and rule broken: the active grant of the rule's first role, with
    the conflicting role's name, when the same person actively holds the second role."""
    held_b = AccessGrant.objects.filter(
        status=AccessGrant.Status.ACTIVE,
        person=OuterRef(OuterRef("person")),
        role=OuterRef("role_b"),
    )
    broken = SodRule.objects.filter(role_a=OuterRef("role")).filter(Exists(held_b))
    return (
        AccessGrant.objects.filter(status=AccessGrant.Status.ACTIVE)
        .filter(Exists(broken))
        .annotate(conflicts_with=Subquery(broken.values("role_b__name")[:1]))
        .select_related("person", "role")
        .order_by("person__user_name")
    )


def approvals_addressed_to(person: Person) -> QuerySet[Approval]:
    """Approvals addressed to one of the person's e-mail addresses (case-insensitive),
    whatever their decision. The addresses as read with the person's row where it was
    (a leaver's, under the change's lock), else in one query."""
    addressed = Q(pk__in=[])
    for row in details_of([person], with_groups=False)[person.pk].emails:
        addressed |= Q(approver_email__iexact=row.value)
    return Approval.objects.filter(addressed)


def reviews_open_for(*, rule: SodRule) -> QuerySet[Approval]:
    """The reviews a separation-of-duties rule asked for that may still be decided."""
    return rule.approvals.filter(APPROVAL_OPEN)


def approvals_decided_before(approval: Approval) -> QuerySet[Approval]:
    """The decisions of a request's earlier stages, for a later approver to read."""
    return Approval.objects.filter(
        request_id=approval.request_id, stage__lt=approval.stage, decided_at__isnull=False
    ).order_by("stage", "decided_at")


def approvals_pending_for(*, email: str) -> QuerySet[Approval]:
    return (
        Approval.objects.filter(decision=Approval.Decision.PENDING, approver_email__iexact=email)
        .select_related(
            "request__person",
            "request__role",
            "request__requested_by",
            "sod_rule__role_a",
            "sod_rule__role_b",
        )
        .order_by("deadline")
    )


# A search by a common first name must not list the whole company's ids in one IN clause.
SUBJECT_SEARCH_LIMIT = 200


def person_ids_matching(term: str) -> list[str]:
    """The people someone means by `term`: an exact username, external id, employee number
    or e-mail address, or every word found in the name. Ids as the audit trail keys them."""
    term = term.strip()
    exact = (
        Q(user_name__iexact=term)
        | Q(external_id=term)
        | Q(employee_number=term)
        | Q(emails__value__iexact=term)
    )
    named = Q()
    for word in term.split():
        named &= (
            Q(display_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(user_name__istartswith=word)
        )
    found = (
        Person.objects.filter(exact | named)
        .order_by()
        .values_list("pk", flat=True)
        .distinct()[:SUBJECT_SEARCH_LIMIT]
    )
    return [str(pk) for pk in found]


def person_names(subject_ids: Collection[str]) -> dict[str, str]:
    """The names of the people with these subject ids (their primary keys) who still exist
    unerased, in one query: for readers of audit details, which name people only by id."""
    valid = [subject_id for subject_id in subject_ids if _is_uuid(subject_id)]
    people = Person.objects.filter(pk__in=valid).exclude(user_name__startswith="erased-")
    return {str(person.pk): str(person) for person in people.only(*PERSON_NAME_FIELDS)}


PERSON_NAME_FIELDS = ("id", "user_name", "display_name")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
