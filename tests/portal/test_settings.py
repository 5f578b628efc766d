"""Configuration comes from the environment, and bad configuration stops start-up with one
line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz!@#$%",
    "ALLOWED_HOSTS": "portal.example.org",
    "AUDIT_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "KEYRING_PATH": "/srv/portal-keys/keyring.json",
    "ERASURE_LEDGER_PATH": "/srv/portal-ledger/erasure-ledger.jsonl",
    "ROPA_CONTROLLER_NAME": "Example Widgets GmbH",
    "ROPA_CONTROLLER_CONTACT": "privacy@widgets.test",
    "ROPA_DPO_CONTACT": "dpo@widgets.test",
}
# Set for the test session itself (tests/conftest.py): each case here names its own.
OUTSIDE_THE_DATABASES = {"KEYRING_PATH", "ERASURE_LEDGER_PATH"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", *OUTSIDE_THE_DATABASES}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_check_refuses_a_placeholder_dpo_naming_the_setting():
    result = manage("check", **{**PRODUCTION, "ROPA_DPO_CONTACT": "portal@localhost"})

    assert result.returncode == 1
    assert "(compliance.E004) ROPA_DPO_CONTACT still holds a placeholder" in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "AUDIT_MASTER_KEY"])
def test_production_refuses_to_start_without_required_variable(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Configuration error: {missing} must be set when DEBUG is off"


@pytest.mark.parametrize(
    "url", ["not-a-url", "postgres://user@host:port/db", "mysql://host/db", "postgres://host"]
)
def test_malformed_database_url_stops_with_one_line_naming_it(url):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: DATABASE_URL")
    assert "Traceback" not in result.stderr


PRINT_CONNECTIONS = (
    "from django.conf import settings; print(sorted({(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    " for d in settings.DATABASES.values()}))"
)


def connection_policy(**env: str) -> str:
    result = manage("shell", "--no-imports", "-c", PRINT_CONNECTIONS, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_keeps_database_connections_between_requests():
    assert connection_policy(**PRODUCTION) == "[(60, True)]"


def test_development_opens_a_connection_per_request():
    assert connection_policy() == "[(0, True)]"


def test_connection_age_comes_from_the_environment():
    assert connection_policy(**PRODUCTION, CONN_MAX_AGE="300") == "[(300, True)]"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONN_MAX_AGE", "-1"),
        ("CONN_MAX_AGE", "forever"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("TRUSTED_PROXY_COUNT", "one"),
    ],
)
def test_a_bad_count_stops_with_one_line_naming_it(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"Configuration error: {variable}")
    assert "Traceback" not in result.stderr


def test_malformed_boolean_names_the_variable():
    result = manage("check", DEBUG="perhaps")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Configuration error: DEBUG")


def test_tests_hash_passwords_with_md5_for_speed(settings):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.password_hashing
def test_a_test_about_hashing_keeps_the_production_hashers(settings):
    assert "MD5" not in settings.PASSWORD_HASHERS[0]


def test_an_unknown_organisation_time_zone_stops_with_one_line_naming_it():
    result = manage("check", ORGANISATION_TIME_ZONE="Mars/Olympus_Mons")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Configuration error: ORGANISATION_TIME_ZONE")
    assert "Traceback" not in result.stderr


SIXTEEN_BYTES = "MDEyMzQ1Njc4OWFiY2RlZg=="


@pytest.mark.parametrize("variable", ["AUDIT_MASTER_KEY", "ERASURE_LEDGER_KEY"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not-base64-!!", "is not urlsafe base64"),
        ("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", "is not valid base64"),
        (SIXTEEN_BYTES, "must decode to 32 bytes, not 16"),
    ],
)
def test_a_malformed_key_stops_start_up_with_one_line_naming_it(variable, value, problem):
    result = manage("check", **{**PRODUCTION, variable: value})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {variable} {problem}")


def test_a_well_formed_erasure_ledger_key_is_accepted():
    key = "ZXJhc3VyZS1sZWRnZXIta2V5LTMyLWJ5dGVzLWxvbmc="
    result = manage("check", **{**PRODUCTION, "ERASURE_LEDGER_KEY": key})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("variable", sorted(OUTSIDE_THE_DATABASES))
def test_production_refuses_to_start_without_a_path_outside_the_databases(variable):
    result = manage("check", **{k: v for k, v in PRODUCTION.items() if k != variable})

    assert result.returncode == 1
    assert result.stderr.strip() == f"Configuration error: {variable} must be set when DEBUG is off"


@pytest.mark.parametrize("variable", ["KEY_ROTATION_DAYS", "BACKUP_RETENTION_DAYS"])
@pytest.mark.parametrize(
    ("value", "problem"), [("0", "must be 1 or more, not 0"), ("x", "is not valid")]
)
def test_a_key_window_that_is_no_whole_positive_number_stops_start_up(variable, value, problem):
    result = manage("check", **{**PRODUCTION, variable: value})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {variable} {problem}")
