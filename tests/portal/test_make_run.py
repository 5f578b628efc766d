"""`make run` opens with one line about the databases, not a hundred lines of migrations;
`make migrate`, a developer's command, still lists them."""

import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def planned(target: str) -> list[str]:
    """The commands `make` would run for the target, without running them."""
    make = shutil.which("make")
    assert make, "make is on the PATH, as `make run` needs it"
    dry_run = subprocess.run(
        [make, "--dry-run", "--always-make", target],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in dry_run.stdout.splitlines() if "manage.py migrate" in line]


def test_make_run_migrates_both_databases_quietly():
    migrations = planned("run")

    assert len(migrations) == 2
    assert all(" -v 0" in line for line in migrations)


def test_make_migrate_still_lists_the_migrations():
    migrations = planned("migrate")

    assert len(migrations) == 2
    assert not any("-v 0" in line for line in migrations)
