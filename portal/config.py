"""Reading configuration from the environment, failing with one line instead of a traceback."""

import base64
import binascii
import re
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


def positive(env: environ.Env, variable: str, default: int) -> int:
    """A whole number of at least 1 (days, counts), named in the error if not."""
    value: int = read(variable, env.int, default=default)
    if value < 1:
        raise ConfigurationError(variable, f"must be 1 or more, not {value}")
    return value


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


def one_of(env: environ.Env, variable: str, choices: tuple[str, ...], default: str) -> str:
    """A word from a fixed list; a typo fails at start-up, naming the choices."""
    raw = str(env.str(variable, default=default)).strip().lower()
    if raw not in choices:
        raise ConfigurationError(variable, f"must be one of {', '.join(choices)}, not {raw!r}")
    return raw


KEY_BYTES = 32
URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")
KEY_HINT = (
    'generate one with python -c "import os,base64;'
    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
)


def key(env: environ.Env, variable: str) -> str:
    """A key setting (32 bytes, urlsafe base64), or "" when unset. Checked here because
    the code that decodes it runs only at the first personal write, long after start-up:
    a malformed key would let the portal start and then fail every such write."""
    raw: str = env.str(variable, default="")
    if not raw:
        return raw
    if not URLSAFE_BASE64.fullmatch(raw):
        raise ConfigurationError(variable, f"is not urlsafe base64; {KEY_HINT}")
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError) as error:
        raise ConfigurationError(variable, f"is not valid base64 ({error}); {KEY_HINT}") from None
    if len(decoded) != KEY_BYTES:
        raise ConfigurationError(
            variable, f"must decode to {KEY_BYTES} bytes, not {len(decoded)}; {KEY_HINT}"
        )
    return raw
