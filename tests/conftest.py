import os
from collections.abc import Iterator
from typing import Any

import pytest
from celery import current_app
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from compliance.audit.actor import Actor
from compliance.audit.vocabulary import Channel
from tests.factories import StaffUserFactory, TOTPDeviceFactory

# tests.brokers: a broker of a test's own to stop and start (fixtures broker, deliveries).
pytest_plugins = ("celery.contrib.pytest", "tests.brokers")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Django ORM beside sync Playwright


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every database test may use both databases: audit events write subject keys to the
    separate key store.

    The browser tests run last, after pytest-django's own ordering: Playwright keeps an
    event loop running in the main thread for the rest of the session, where asyncio.run()
    (the bench's load client) can no longer start one."""
    for item in items:
        for marker in item.iter_markers("django_db"):
            marker.kwargs.setdefault("databases", "__all__")
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgresql"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("pins PostgreSQL behaviour (SQLite splits bulk inserts into batches)")


@pytest.fixture(autouse=True, scope="session")
def controller_declared() -> None:
    """Tests run with DEBUG off, as production does, so a command's system checks refuse
    placeholder controller and DPO details (compliance.E004): give them real-looking ones.
    Tests of that check set their own."""
    from django.conf import settings

    settings.ROPA_CONTROLLER_NAME = "Example Widgets GmbH"
    settings.ROPA_CONTROLLER_CONTACT = "privacy@widgets.test"
    settings.ROPA_DPO_CONTACT = "dpo@widgets.test"


@pytest.fixture(autouse=True)
def celery_eager(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process unless a test asks for a real worker (marker celery_worker).
    Set on the current app: once a worker test has started the session's test app, shared
    tasks resolve to that app (and its worker) for the rest of the session."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    app = current_app._get_current_object()
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=previous[0], task_eager_propagates=previous[1])


@pytest.fixture(scope="session")
def celery_config() -> dict[str, Any]:
    """Tests get their own Redis databases, apart from any worker serving the portal."""
    base, _, number = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rpartition("/")
    db = int(number or 0)
    return {"broker_url": f"{base}/{db + 2}", "result_backend": f"{base}/{db + 3}"}


@pytest.fixture
def actor() -> Actor:
    return Actor.system("tests", channel=Channel.CLI)


def verified_client(user: Any) -> Client:
    """A client signed in with password and a confirmed second factor."""
    device = user.totpdevice_set.filter(confirmed=True).first() or TOTPDeviceFactory(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client_for() -> Any:
    """staff_client_for(role, ...) -> (client, user): a verified client with those roles."""

    def make(*roles: str, **fields: Any) -> tuple[Client, Any]:
        user = StaffUserFactory(roles=roles, **fields)
        return verified_client(user), user

    return make


# --- Append-only audit trail (PostgreSQL trigger) -----------------------------------------
# A transactional test ends with a flush, which TRUNCATEs every table; the trail's trigger
# refuses that, as it should in production. Around that flush alone, the trigger is off.


def _append_only_trigger(*, enabled: bool) -> None:
    from django.db import connection

    from compliance.audit.models import APPEND_ONLY_TRIGGER, AuditEvent

    if connection.vendor != "postgresql":
        return
    state = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {AuditEvent._meta.db_table} {state} TRIGGER {APPEND_ONLY_TRIGGER}"
        )


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_append_only_trigger() -> Iterator[None]:
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def flush_audit_trail_too(self: TransactionTestCase) -> None:
        _append_only_trigger(enabled=False)
        try:
            flush(self)
        finally:
            _append_only_trigger(enabled=True)

    patch = pytest.MonkeyPatch()
    patch.setattr(TransactionTestCase, "_fixture_teardown", flush_audit_trail_too)
    yield
    patch.undo()


# --- The audit chain's seal (PostgreSQL trigger) -----------------------------------------
# Events are numbered and linked when their transaction commits; a test's transaction is
# rolled back instead, so there the seal fires at each insert, as it would at a commit.


@pytest.fixture(autouse=True)
def _audit_sealed_in_rolled_back_tests(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames:
        return
    from django.db import connection

    from compliance.audit.models import SEAL_TRIGGER

    request.getfixturevalue("db")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {SEAL_TRIGGER} IMMEDIATE")


# --- Fast password hashing --------------------------------------------------------------
# Each staff user costs ~0.7 s with the production hasher. Tests are not about the hash's
# strength unless marked password_hashing, so they get MD5.


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, settings: Any) -> None:
    if not request.node.get_closest_marker("password_hashing"):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Files outside the databases ----------------------------------------------------------
# The keyring and the published erasure ledger of the test session, never the demo's in
# var/; in the environment too, for the workers some tests start as processes.


@pytest.fixture(autouse=True, scope="session")
def _keyring_and_ledger_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from django.conf import settings

    folder = tmp_path_factory.mktemp("outside-the-databases")
    paths = {
        "KEYRING_PATH": folder / "keyring.json",
        "ERASURE_LEDGER_PATH": folder / "erasure-ledger.jsonl",
    }
    patch = pytest.MonkeyPatch()
    for name, path in paths.items():
        patch.setenv(name, str(path))
        patch.setattr(settings, name, path)
    yield
    patch.undo()
