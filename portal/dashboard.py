"""The admin home as a dashboard: a registry of panels, each shown to the staff whose role
carries its permission.

The portal sits on top of both apps, so it declares their panels here (APP_PANELS) and
calls what each app's `panels` module reads; the apps know nothing of the dashboard.
Another panel joins with `panel_register(Panel(title=..., template=..., context=...,
permission=..., order=...))`, where `context` takes the request and returns the
template's context.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from compliance import panels as compliance_panels
from provisioning import panels as provisioning_panels
from provisioning.reviews import panels as review_panels


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    context: Callable[[HttpRequest], dict[str, Any]]
    permission: str
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    title: str
    html: SafeString
    slug: str


APP_PANELS = (
    Panel(
        title="Breaches, and findings to triage",
        template="admin/dashboard/open_incidents.html",
        context=compliance_panels.open_incidents_context,
        permission="compliance.view_incident",
        order=10,
    ),
    Panel(
        title="Outbox: side effects waiting for the task broker",
        template="admin/dashboard/outbox.html",
        context=compliance_panels.outbox_context,
        permission="compliance.view_outboxmessage",
        order=12,
    ),
    Panel(
        title="Data-subject requests by days left",
        template="admin/dashboard/dsar_days_left.html",
        context=compliance_panels.dsar_context,
        permission="compliance.view_datasubjectrequest",
        order=15,
    ),
    Panel(
        title="Provisioning activity, last 30 days",
        template="admin/dashboard/provisioning_activity.html",
        context=compliance_panels.activity_context,
        permission="compliance.view_auditevent",
        order=20,
    ),
    Panel(
        title="Pending approvals",
        template="admin/dashboard/pending_approvals.html",
        context=provisioning_panels.pending_approvals_context,
        permission="provisioning.view_approval",
        order=30,
    ),
    Panel(
        title="Grants expiring this week",
        template="admin/dashboard/grants_expiring.html",
        context=provisioning_panels.grants_expiring_context,
        permission="provisioning.view_accessgrant",
        order=40,
    ),
    Panel(
        title="Open access reviews",
        template="admin/dashboard/open_reviews.html",
        context=review_panels.open_reviews_context,
        permission="provisioning.view_campaignrun",
        order=45,
    ),
)

_PANELS: dict[str, Panel] = {panel.template: panel for panel in APP_PANELS}


def panel_register(panel: Panel) -> Panel:
    """Add (or replace, by template) a panel; idempotent, so a reloaded app adds it once."""
    _PANELS[panel.template] = panel
    return panel


def panels_for(request: HttpRequest) -> list[RenderedPanel]:
    """The panels this staff member may see, in order, rendered. A panel they may not see
    costs no query."""
    visible = sorted(
        (p for p in _PANELS.values() if request.user.has_perm(p.permission)),
        key=lambda p: (p.order, p.title),
    )
    return [
        RenderedPanel(
            title=panel.title,
            html=SafeString(
                render_to_string(panel.template, panel.context(request), request=request)
            ),
            slug=panel.template.rsplit("/", 1)[-1].removesuffix(".html"),
        )
        for panel in visible
    ]
