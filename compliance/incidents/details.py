"""A finding's details as a privacy officer reads them: sentences with names and links to
the audit trail, not the ids and counts the rules stored. A fixed number of queries,
whatever the details hold."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from compliance.audit.models import AuditEvent
from compliance.audit.vocabulary import Action, ActorKind, Channel
from compliance.incidents.models import Incident
from compliance.subjects import subject_names

Row = tuple[str, SafeString]


def _event_link(pk: int | None, sequence: object) -> SafeString:
    if pk is None:
        return format_html("#{}", sequence)
    return format_html(
        '<a href="{}">#{}</a>', reverse("admin:compliance_auditevent_change", args=[pk]), sequence
    )


def _events(details: dict[str, Any]) -> Row | None:
    first, last = details.get("first_sequence"), details.get("last_sequence")
    if first is None:
        return None
    pks = dict(AuditEvent.objects.filter(sequence__in=[first, last]).values_list("sequence", "pk"))
    if first == last:
        return "Audit event", _event_link(pks.get(int(first)), first)
    return "Audit events", format_html(
        "from {} to {}",
        _event_link(pks.get(int(first)), first),
        _event_link(pks.get(int(last or first)), last),
    )


def _actor_name(kind: str, identifier: str) -> str:
    """A staff member's username, or the name a SCIM client or task acted under."""
    if kind == ActorKind.STAFF and identifier.isdigit():
        user = get_user_model().objects.filter(pk=int(identifier)).first()
        if user is not None:
            return f"staff member {user.get_username()}"
    label = (
        AuditEvent.objects.filter(actor_kind=kind, actor_id=identifier)
        .order_by("-sequence")
        .values_list("actor_label", flat=True)
        .first()
    )
    return f"{ActorKind(kind).label if kind in ActorKind.values else kind} {label or identifier}"


def _actor(details: dict[str, Any]) -> Row | None:
    if "actor_id" in details:
        name = _actor_name(str(details.get("actor_kind", "")), str(details["actor_id"]))
        return "Granted by", _trail_search(name, str(details["actor_id"]))
    if "client" in details:
        name = _actor_name(ActorKind.SCIM_CLIENT, str(details["client"]))
        return "SCIM client", _trail_search(name, str(details["client"]))
    return None


def _trail_search(text: str, term: str) -> SafeString:
    url = reverse("admin:compliance_auditevent_changelist")
    return format_html('<a href="{}?q={}">{}</a>', url, term, text)


def _grants(details: dict[str, Any]) -> Row | None:
    """Each grant as the person it gave access to, linked to the event that made it."""
    grant_ids = [str(grant) for grant in details.get("grant_ids", [])]
    if not grant_ids:
        return None
    made = {
        target: (pk, subject)
        for target, pk, subject in AuditEvent.objects.filter(
            action=Action.GRANT_CREATED, target_id__in=grant_ids
        ).values_list("target_id", "pk", "subject_id")
    }
    names = subject_names({subject for _, subject in made.values()})
    items = []
    for grant in grant_ids:
        pk, subject = made.get(grant, (None, ""))
        name = names.get(subject) or "a person no longer known by name"
        url = reverse("admin:compliance_auditevent_change", args=[pk]) if pk else ""
        items.append((url, name) if url else ("#", name))
    listed = format_html_join(", ", '<a href="{}">{}</a>', items)
    more = int(details.get("count", len(grant_ids))) - len(grant_ids)
    return "Access granted to", format_html("{}{}", listed, f" and {more} more" if more > 0 else "")


def _counts(details: dict[str, Any]) -> list[Row]:
    rows = []
    if "count" in details:
        rows.append(("How many", format_html("{}", details["count"])))
    if "events_in_window" in details:
        rows.append(
            (
                "Events in the window",
                format_html(
                    "{} in {} minutes (the rule fires above {}), by {} different actor(s)",
                    details["events_in_window"],
                    details.get("window_minutes", "?"),
                    details.get("threshold", "?"),
                    details.get("distinct_actors", "?"),
                ),
            )
        )
    return rows


def _other(details: dict[str, Any]) -> list[Row]:
    rows = []
    if "channel" in details:
        channel = str(details["channel"])
        label = Channel(channel).label if channel in Channel.values else channel
        rows.append(("Presented through", format_html("{}", label)))
    if "digests" in details:
        rows.append(
            (
                "Identifiers matched",
                format_html(
                    "{} identifier(s) of an erased person (kept as keyed hashes, no names)",
                    len(details["digests"]),
                ),
            )
        )
    if "first_broken" in details:
        rows.append(
            (
                "Chain",
                format_html(
                    "broken at event #{}: {}; {} event(s) verified before it",
                    details["first_broken"],
                    details.get("reason", ""),
                    details.get("verified", "?"),
                ),
            )
        )
    return rows


READERS: tuple[Callable[[dict[str, Any]], Row | None], ...] = (_actor, _grants, _events)


def details_rows(incident: Incident) -> list[Row]:
    """What the rules found, in words."""
    details = incident.details or {}
    rows = _counts(details)
    rows += [row for read in READERS if (row := read(details)) is not None]
    return rows + _other(details)
