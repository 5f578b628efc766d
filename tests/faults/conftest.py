"""The fault-injection suite (`pytest -m faults`): real PostgreSQL, a Redis broker of the
suite's own that it stops and starts, real Celery workers in threads, and a real
downstream (scim2-server). Each scenario is bounded in time."""

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

# The downstream server and a connector to it, shared with the connector tests.
from tests.provisioning.connectors.conftest import (  # noqa: F401
    connector,
    downstream,
    running_server,
    scim_server,
)

SCENARIO_SECONDS = 240


@pytest.fixture(autouse=True)
def bounded_in_time() -> Iterator[None]:
    """A scenario that hangs (a worker waiting on a dead broker forever) fails after
    SCENARIO_SECONDS instead of holding up the whole run."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"the scenario took more than {SCENARIO_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SCENARIO_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
