"""The admin home as a dashboard: a registry of panels, each shown to the staff whose role
carries its permission.

A capability adds its panel from its app's ready():

    dashboard.panel_register(Panel(
        title="Grants expiring this week",
        template="admin/dashboard/grants_expiring.html",
        context=grants_expiring_context,          # (request) -> template context
        permission="provisioning.view_accessgrant",
        order=30,
    ))
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


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


_PANELS: dict[str, Panel] = {}


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
