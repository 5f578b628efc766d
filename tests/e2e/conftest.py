import os
import re
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

# Debian's Chromium, never a downloaded browser; flags as in RECIPES.md.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


# --- Signing in as a demo staff member, and checking a page's accessibility ---------------

REPOSITORY = Path(__file__).resolve().parents[2]
AXE = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"  # `make test` installs it
DOCS = REPOSITORY / "docs"


def current_code(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def sign_in(page: Page, base_url: str, username: str) -> None:
    """Through the real login form: the password seed_demo prints, then a TOTP code."""
    page.goto(f"{base_url}/admin/")
    page.fill("#id_auth-username", username)
    page.fill("#id_auth-password", f"demo-{username}-portal")
    page.get_by_role("button", name="Next").click()
    page.fill("#id_token-otp_token", current_code(username))
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(f"{base_url}/admin/")


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A and AA), each as
    "rule: the first offending element"."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    return [
        f"{violation['id']}: {violation['nodes'][0]['target']}"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def ids_shown(page: Page) -> list[str]:
    """The UUIDs in the page's visible text, as a person reads it: there should be none
    (names instead; an id may stay in a link's address, which nobody reads)."""
    return UUID.findall(page.inner_text("body"))


def screenshot(page: Page, name: str, tmp_path: Path, *, full_page: bool = True) -> Path:
    """A key page for the guides in docs/. The committed copy is replaced only with
    UPDATE_SCREENSHOTS=1, so a test run leaves the checkout clean. A long page (the
    records of processing) is taken as the first screenful only."""
    path = (DOCS / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
