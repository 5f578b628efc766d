"""Reading configuration from the environment, failing with one line instead of a traceback."""

import warnings
from collections.abc import Callable
from typing import TypeVar

import environ

T = TypeVar("T")


class ConfigurationError(SystemExit):
    """Bad configuration. A SystemExit, so every entry point (manage.py, gunicorn, celery)
    stops with the message alone and exit status 1, not a traceback."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"Configuration error: {variable} {problem}")


def read(variable: str, reader: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Call a django-environ reader, naming the variable in any failure."""
    try:
        return reader(variable, *args, **kwargs)
    except ConfigurationError:
        raise
    except Exception as error:  # django-environ raises several unrelated types
        raise ConfigurationError(variable, f"is not valid: {error}") from None


def require(variable: str, value: T | None, why: str) -> T:
    if value in (None, "", []):
        raise ConfigurationError(variable, f"must be set {why}")
    assert value is not None
    return value


SUPPORTED_DATABASES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")


def database(env: environ.Env, variable: str, default: str) -> dict[str, object]:
    """A database URL, checked: django-environ returns an empty dict for a URL it cannot
    parse, which Django would only report much later with a traceback."""
    raw = env.str(variable, default=default)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            config: dict[str, object] = env.db_url_config(raw)
        except ValueError as error:
            raise ConfigurationError(variable, f"is not a valid database URL: {error}") from None
    if config.get("ENGINE") not in SUPPORTED_DATABASES:
        raise ConfigurationError(
            variable,
            "must be a postgres:// or sqlite:/// URL (for example postgres://user@host/db)",
        )
    if not config.get("NAME"):
        raise ConfigurationError(variable, "names no database")
    return config


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def boolean(env: environ.Env, variable: str, default: bool) -> bool:
    """A strict boolean: django-environ reads any unknown word as False, which would turn
    a typo in DEBUG into production mode without a word."""
    raw = env.str(variable, default="").strip().lower()
    if not raw:
        return default
    if raw not in TRUE | FALSE:
        raise ConfigurationError(variable, f"must be true or false, not {raw!r}")
    return raw in TRUE
