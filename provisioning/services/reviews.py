"""Access review campaigns: defining one, and starting a run of it. A start is set-based:
the items in scope are copied with one INSERT ... SELECT per kind (grants, memberships,
downstream accounts), and reviewers are resolved with a fixed number of UPDATEs, so a run
of 100,000 items costs the same number of queries as a run of ten; only the e-mails grow,
one per reviewer.
Deciding and remediating are review_decisions'."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from compliance.audit.actor import Actor
from compliance.audit.services import event_record
from compliance.audit.vocabulary import Action
from provisioning.emails import email_send
from provisioning.errors import ReviewError
from provisioning.models import (
    AccessGrant,
    Campaign,
    CampaignRun,
    Connector,
    DownstreamAccount,
    Entitlement,
    Group,
    Membership,
    Person,
    PersonEmail,
    ReviewAssignment,
    ReviewItem,
    Role,
    SodRule,
)
from provisioning.services.review_links import review_link
from provisioning.services.signed_links import nonce_new

Routing = ReviewItem.Routing
RECURRENCE: dict[str, relativedelta] = {
    Campaign.Recurrence.MONTHLY: relativedelta(months=1),
    Campaign.Recurrence.QUARTERLY: relativedelta(months=3),
    Campaign.Recurrence.YEARLY: relativedelta(years=1),
}
ASSIGNMENT_BATCH = 1000
ACCOUNT_SOURCE = "connector"


@dataclass(frozen=True)
class CampaignScope:
    """The scope's many-to-many part, saved with the campaign."""

    applications: Sequence[Any] = ()
    roles: Sequence[Any] = ()
    groups: Sequence[Any] = ()


def campaign_save(*, campaign: Campaign, scope: CampaignScope, actor: Actor) -> Campaign:
    """Create or change a campaign's definition. Runs already started keep their frozen
    items; the change applies from the next start."""
    with transaction.atomic():
        created = not Campaign.objects.filter(pk=campaign.pk).exists()
        campaign.full_clean(exclude=["applications", "roles", "groups"])
        campaign.save()
        campaign.applications.set(scope.applications)
        campaign.roles.set(scope.roles)
        campaign.groups.set(scope.groups)
        event_record(
            actor=actor,
            action=Action.REVIEW_CAMPAIGN_SAVED,
            target=campaign,
            data={
                "campaign": str(campaign.pk),
                "created": created,
                "reviewer": campaign.reviewer_kind,
                "on_undecided": campaign.on_undecided,
                "recurrence": campaign.recurrence,
                "applications": sorted(str(a.pk) for a in scope.applications),
                "roles": sorted(str(r.pk) for r in scope.roles),
                "groups": sorted(str(g.pk) for g in scope.groups),
                "accounts": campaign.accounts,
                "risk_levels": list(campaign.risk_levels),
                "manual_only": campaign.manual_only,
                "one_person": bool(campaign.person_id),
                "department": bool(campaign.department),
            },
        )
    return campaign


def campaign_start(*, campaign: Campaign, actor: Actor) -> CampaignRun:
    """Start a run: freeze every active grant, membership and downstream account of an
    active person in the campaign's scope as an item, route each to its reviewer (the
    fallback when the chosen reviewer is missing, holds the access or holds a role in
    conflict with it), and send each reviewer one e-mail with a signed link to their
    items."""
    if not campaign.active:
        raise ReviewError("the campaign is inactive; make it active to start it")
    now = timezone.now()
    with transaction.atomic():
        run = CampaignRun.objects.create(
            campaign=campaign,
            started_by=actor.label,
            started_at=now,
            deadline=now + campaign.duration,
        )
        count = _snapshot(run, campaign)
        items = ReviewItem.objects.filter(run=run)
        _route(items, campaign)
        links = _assign(run, items)
        run.item_count = count
        run.save(update_fields=["item_count"])
        event_record(
            actor=actor,
            action=Action.REVIEW_STARTED,
            target=run,
            data={
                "campaign": str(campaign.pk),
                "run": str(run.pk),
                "items": count,
                "reviewers": len(links),
                "deadline": run.deadline.isoformat(),
            },
        )
        for assignment, path in links:
            review_email(assignment, path=path, template="review_requested")
    return run


def review_email(assignment: ReviewAssignment, *, path: str, template: str) -> None:
    """Tell a reviewer, through the e-mail door, where their items are and by when."""
    run = assignment.run
    email_send(
        to=[assignment.reviewer_email],
        template=template,
        context={"run": run, "campaign": run.campaign, "link_path": path},
    )


# --- the snapshot ------------------------------------------------------------------------


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _db(model: Any, field: str, value: Any) -> Any:
    """A value as the database stores it in that field (UUIDs differ by backend)."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _in(column: str, values: Sequence[Any]) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


ITEM_COLUMNS = (
    "run_id, kind, person_id, grant_id, role_id, entitlement_id, group_id, account_id, "
    "application_id, source, granted_by, granted_at, grant_reason, expires_at, risk_level, "
    "last_used_at, reviewer_email, routing, decision, comment, decided_by, by_rule"
)


def _snapshot(run: CampaignRun, campaign: Campaign) -> int:
    """Copy the access in scope into the run's items: one INSERT ... SELECT for grants and
    one for memberships, whatever their number. Returns how many items were made."""
    run_id = _db(ReviewItem, "run", run.pk)
    constants: list[Any] = [Routing.CHOSEN, ReviewItem.Decision.PENDING, False]
    people_filter = _people_filter(campaign)
    people, people_params = people_filter
    grants, grant_params = _grant_filter(campaign)
    made = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(ReviewItem)} ({ITEM_COLUMNS}) "  # noqa: S608 (names and marks only)
            f"SELECT %s, %s, g.person_id, g.id, g.role_id, g.entitlement_id, NULL, NULL, "
            f"e.application_id, g.source, g.granted_by, g.starts_at, g.reason, g.expires_at, "
            f"COALESCE(r.risk_level, ''), NULL, '', %s, %s, '', '', %s "
            f"FROM {_table(AccessGrant)} g JOIN {_table(Person)} p ON p.id = g.person_id "
            f"LEFT JOIN {_table(Role)} r ON r.id = g.role_id "
            f"LEFT JOIN {_table(Entitlement)} e ON e.id = g.entitlement_id "
            f"WHERE g.status = %s AND {people} {grants}",
            [
                run_id,
                ReviewItem.Kind.GRANT,
                *constants,
                AccessGrant.Status.ACTIVE,
                *people_params,
                *grant_params,
            ],
        )
        made += int(cursor.rowcount)
        group_ids = list(campaign.groups.values_list("pk", flat=True))
        if group_ids:
            cursor.execute(
                f"INSERT INTO {_table(ReviewItem)} ({ITEM_COLUMNS}) "  # noqa: S608 (names and marks only)
                f"SELECT %s, %s, m.person_id, NULL, NULL, NULL, m.group_id, NULL, NULL, '', '', "
                f"m.created, '', NULL, '', NULL, '', %s, %s, '', '', %s "
                f"FROM {_table(Membership)} m JOIN {_table(Person)} p ON p.id = m.person_id "
                f"WHERE {_in('m.group_id', group_ids)} AND {people}",
                [
                    run_id,
                    ReviewItem.Kind.MEMBERSHIP,
                    *constants,
                    *[_db(Group, "id", pk) for pk in group_ids],
                    *people_params,
                ],
            )
            made += int(cursor.rowcount)
        if campaign.accounts:
            made += _snapshot_accounts(cursor, campaign, [run_id, *constants], people_filter)
    return made


def _snapshot_accounts(
    cursor: Any, campaign: Campaign, values: list[Any], people: tuple[str, list[Any]]
) -> int:
    """Copy the downstream accounts in scope: those the portal provisioned (and did not
    revoke) in the campaign's applications, or in any connected one."""
    sql, params = people
    apps = [
        _db(Connector, "application", pk)
        for pk in campaign.applications.values_list("pk", flat=True)
    ]
    in_apps = f" AND {_in('c.application_id', apps)}" if apps else ""
    run_id, *constants = values
    cursor.execute(
        f"INSERT INTO {_table(ReviewItem)} ({ITEM_COLUMNS}) "  # noqa: S608 (names and marks only)
        f"SELECT %s, %s, a.person_id, NULL, NULL, NULL, NULL, a.id, c.application_id, %s, '', "
        f"NULL, '', NULL, '', a.last_used, '', %s, %s, '', '', %s "
        f"FROM {_table(DownstreamAccount)} a JOIN {_table(Person)} p ON p.id = a.person_id "
        f"JOIN {_table(Connector)} c ON c.id = a.connector_id "
        f"WHERE a.downstream_id <> '' AND a.revoked_at IS NULL AND {sql}{in_apps}",
        [run_id, ReviewItem.Kind.ACCOUNT, ACCOUNT_SOURCE, *constants, *params, *apps],
    )
    return int(cursor.rowcount)


def _people_filter(campaign: Campaign) -> tuple[str, list[Any]]:
    """The SQL condition on the holder `p`: active, and in the department or the one
    person the campaign names."""
    sql, params = "p.active = %s", list[Any]([True])
    if campaign.department:
        sql += " AND LOWER(p.department) = LOWER(%s)"
        params.append(campaign.department)
    if campaign.person_id:
        sql += " AND p.id = %s"
        params.append(_db(Person, "id", campaign.person_id))
    return sql, params


def _grant_filter(campaign: Campaign) -> tuple[str, list[Any]]:
    """The SQL conditions on the grant `g` and its role `r` from the campaign's scope."""
    sql, params = "", []
    if campaign.manual_only:
        sql += " AND g.source = %s"
        params.append(AccessGrant.Source.MANUAL)
    if campaign.risk_levels:
        sql += f" AND {_in('r.risk_level', campaign.risk_levels)}"
        params += list(campaign.risk_levels)
    role_ids = [_db(Role, "id", pk) for pk in campaign.roles.values_list("pk", flat=True)]
    if role_ids:
        sql += f" AND {_in('g.role_id', role_ids)}"
        params += role_ids
    apps = [
        _db(Entitlement, "application", pk)
        for pk in campaign.applications.values_list("pk", flat=True)
    ]
    if apps:
        through = Role.entitlements.through
        sql += (
            f" AND (g.entitlement_id IN (SELECT e.id FROM {_table(Entitlement)} e "  # noqa: S608 (names and marks only)
            f"WHERE {_in('e.application_id', apps)}) "
            f"OR g.role_id IN (SELECT re.role_id FROM {_table(through)} re "
            f"JOIN {_table(Entitlement)} e ON e.id = re.entitlement_id "
            f"WHERE {_in('e.application_id', apps)}))"
        )
        params += apps + apps
    return sql, params


# --- reviewers ---------------------------------------------------------------------------


def _route(items: QuerySet[ReviewItem], campaign: Campaign) -> None:
    """Address each item: to the campaign's kind of reviewer, else (none, the holder, or
    someone holding a role in conflict with it) to the fallback; an item the fallback may
    not review either is left unaddressed, for the report to show."""
    fallback = campaign.fallback_reviewer.email.lower()
    chosen = items.filter(routing=Routing.CHOSEN)
    chosen.update(reviewer_email=_chosen_reviewer(campaign))
    chosen.filter(reviewer_email="").update(reviewer_email=fallback, routing=Routing.NO_REVIEWER)
    chosen.filter(_holds_it()).update(reviewer_email=fallback, routing=Routing.SELF)
    chosen.filter(_conflicts()).update(reviewer_email=fallback, routing=Routing.CONFLICT)
    rerouted = items.exclude(routing=Routing.CHOSEN)
    rerouted.filter(_holds_it() | _conflicts()).update(reviewer_email="")


def _chosen_reviewer(campaign: Campaign) -> Any:
    """The e-mail of each item's reviewer of the campaign's kind, as an expression, in
    lower case (as the assignments are keyed)."""
    if campaign.reviewer_kind == Campaign.ReviewerKind.NAMED:
        assert campaign.named_reviewer is not None  # a database constraint
        return Value(campaign.named_reviewer.email.lower())
    if campaign.reviewer_kind == Campaign.ReviewerKind.OWNER:
        # An account or a single entitlement is its application's; a role may bundle several
        # applications, and its owner answers for the bundle.
        staff = get_user_model()._default_manager.filter(is_active=True).exclude(email="")
        app_owner = staff.filter(owned_applications__id=OuterRef("application_id"))
        role_owner = staff.filter(owned_roles__id=OuterRef("role_id"))
        return Coalesce(
            Lower(Subquery(app_owner.values("email")[:1])),
            Lower(Subquery(role_owner.values("email")[:1])),
            Value(""),
        )
    managers = PersonEmail.objects.filter(
        person__reports__id=OuterRef("person_id"), person__active=True
    ).order_by("-primary", "id")
    return Coalesce(Lower(Subquery(managers.values("value")[:1])), Value(""))


def _holds_it() -> Exists:
    """The reviewer is the holder: one of the holder's addresses is the reviewer's."""
    return Exists(
        PersonEmail.objects.filter(
            person_id=OuterRef("person_id"), value__iexact=OuterRef("reviewer_email")
        )
    )


def _conflicts() -> Exists:
    """The reviewer holds a role that a separation-of-duties rule pairs with the item's."""
    rule = SodRule.objects.filter(
        Q(role_a_id=OuterRef(OuterRef("role_id")), role_b_id=OuterRef("role_id"))
        | Q(role_b_id=OuterRef(OuterRef("role_id")), role_a_id=OuterRef("role_id"))
    )
    held = AccessGrant.objects.filter(
        status=AccessGrant.Status.ACTIVE,
        person__emails__value__iexact=OuterRef("reviewer_email"),
    ).filter(Exists(rule))
    return Exists(held)


def _assign(run: CampaignRun, items: QuerySet[ReviewItem]) -> list[tuple[ReviewAssignment, str]]:
    """One assignment per reviewer, each with a fresh link; items point at theirs."""
    now = timezone.now()
    emails = items.exclude(reviewer_email="").values_list("reviewer_email", flat=True)
    links: list[tuple[ReviewAssignment, str]] = []
    assignments = []
    for email in emails.order_by("reviewer_email").distinct():
        nonce, digest = nonce_new()
        assignment = ReviewAssignment(
            run=run, reviewer_email=email, token_hash=digest, notified_at=now
        )
        assignments.append(assignment)
        links.append((assignment, review_link(assignment, nonce)))
    ReviewAssignment.objects.bulk_create(assignments, batch_size=ASSIGNMENT_BATCH)
    mine = ReviewAssignment.objects.filter(run=run, reviewer_email=OuterRef("reviewer_email"))
    items.exclude(reviewer_email="").update(assignment=Subquery(mine.values("pk")[:1]))
    return links


def campaigns_due_start(*, actor: Actor) -> list[CampaignRun]:
    """Start every active recurring campaign whose last run began a recurrence ago (or
    that never ran). Each start is its own transaction; a campaign being started by another
    worker is skipped."""
    now = timezone.now()
    started = []
    recurring = Campaign.objects.filter(active=True).exclude(recurrence="")
    for campaign_id in recurring.values_list("pk", flat=True):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("fallback_reviewer", "named_reviewer")
                .filter(pk=campaign_id)
                .first()
            )
            if campaign is None:
                continue
            last = campaign.runs.order_by("-started_at").values_list("started_at", flat=True)
            previous = last.first()
            if previous and previous + RECURRENCE[campaign.recurrence] > now:
                continue
            started.append(campaign_start(campaign=campaign, actor=actor))
    return started
