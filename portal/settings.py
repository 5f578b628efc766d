"""Settings, read from the environment only (django-environ), with an optional .env file.

With nothing set the portal runs embedded: SQLite files in the project folder and Celery
tasks run in-process. DATABASE_URL and REDIS_URL switch to the production shape. With
DEBUG off, SECRET_KEY and ALLOWED_HOSTS are required and HTTPS hardening is switched on.
"""

from datetime import timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import django_stubs_ext
import environ

from portal import config

# Lets admin and form classes be subscripted at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = config.boolean(env, "DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-never-use-in-production")
    ALLOWED_HOSTS = config.read(
        "ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost", "testserver"]
    )
else:
    SECRET_KEY = config.require(
        "SECRET_KEY", env.str("SECRET_KEY", default=""), "when DEBUG is off"
    )
    ALLOWED_HOSTS = config.require(
        "ALLOWED_HOSTS", config.read("ALLOWED_HOSTS", env.list, default=[]), "when DEBUG is off"
    )

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "formtools",
    "two_factor",
    "axes",
    "auditlog",
    "portal",
    "provisioning",
    "compliance",
]

MIDDLEWARE = [
    "portal.proxies.TrustedProxyMiddleware",  # first: everything after reads the client's address
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "compliance.audit.middleware.SubjectKeysMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Reverse proxies in front of the portal that append to X-Forwarded-For (portal/proxies.py):
# the client's address is read from that header only this many hops from its end.
TRUSTED_PROXY_COUNT = config.read("TRUSTED_PROXY_COUNT", env.int, default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise config.ConfigurationError("TRUSTED_PROXY_COUNT", "must be 0 or more")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.StaffUser"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    # Plain text (e-mail subjects and bodies): nothing is HTML-escaped, so "O'Brien" stays
    # "O'Brien" in a subject line instead of "O&#x27;Brien".
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": config.database(env, "DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# The subject keys of the audit trail live in a store of their own, so that a backup of
# the main database does not carry them and erasing a subject can destroy their key.
DATABASES["keys"] = config.database(
    env, "KEYSTORE_DATABASE_URL", f"sqlite:///{BASE_DIR / 'keys.sqlite3'}"
)
DATABASE_ROUTERS = ["compliance.routers.KeyStoreRouter"]
# Persistent connections: a web or Celery process keeps its connections between requests
# instead of opening one (a PostgreSQL backend) per database per request, and checks a
# reused one before its first query, so a restarted server costs one error-free reconnect.
# Off in development, where runserver starts a thread per request and would only leak them.
CONN_MAX_AGE = config.read("CONN_MAX_AGE", env.int, default=0 if DEBUG else 60)
if CONN_MAX_AGE < 0:
    raise config.ConfigurationError("CONN_MAX_AGE", f"must be 0 or more, not {CONN_MAX_AGE}")
for _database in DATABASES.values():
    _database.update(CONN_MAX_AGE=CONN_MAX_AGE, CONN_HEALTH_CHECKS=True)
# Wraps the subject keys (32 bytes, urlsafe base64); derived from SECRET_KEY in development.
AUDIT_MASTER_KEY = config.key(env, "AUDIT_MASTER_KEY")
if not DEBUG:
    config.require("AUDIT_MASTER_KEY", AUDIT_MASTER_KEY, "when DEBUG is off")
# Outside both databases and their backups (docs/operations.md, "Backups and restores"):
# the keyring of key-encryption keys that wrap the subject keys, each sealed under
# AUDIT_MASTER_KEY, and the published, HMAC-chained erasure ledger. The defaults suit the
# demo only: in production set both to a volume the database backups do not include.
KEYRING_PATH = Path(env.str("KEYRING_PATH", default=str(BASE_DIR / "var" / "keyring.json")))
ERASURE_LEDGER_PATH = Path(
    env.str("ERASURE_LEDGER_PATH", default=str(BASE_DIR / "var" / "erasure-ledger.jsonl"))
)
if not DEBUG:
    config.require("KEYRING_PATH", env.str("KEYRING_PATH", default=""), "when DEBUG is off")
    config.require(
        "ERASURE_LEDGER_PATH", env.str("ERASURE_LEDGER_PATH", default=""), "when DEBUG is off"
    )
# A new key-encryption key every this many days; a retired one is destroyed this many days
# after it retired, so a key-store backup stops unwrapping at most the sum of the two after
# it was taken. Set BACKUP_RETENTION_DAYS to how long the key store's backups are kept.
KEY_ROTATION_DAYS = config.positive(env, "KEY_ROTATION_DAYS", default=30)
BACKUP_RETENTION_DAYS = config.positive(env, "BACKUP_RETENTION_DAYS", default=35)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Data-subject requests and retention (compliance.dsar, compliance.retention) ---------
# Keys the erasure ledger's HMAC (32 bytes, urlsafe base64); derived from AUDIT_MASTER_KEY
# when unset.
ERASURE_LEDGER_KEY = config.key(env, "ERASURE_LEDGER_KEY")
# How long a signed package download link stays valid, in seconds.
DSAR_DOWNLOAD_LINK_MAX_AGE = config.read("DSAR_DOWNLOAD_LINK_MAX_AGE", env.int, default=3600)
# The requester's own download link, in the completion notice: how many days it stays
# valid (never past the package's retention) and how many downloads it allows.
DSAR_REQUESTER_LINK_DAYS = config.positive(env, "DSAR_REQUESTER_LINK_DAYS", 7)
DSAR_REQUESTER_DOWNLOADS = config.positive(env, "DSAR_REQUESTER_DOWNLOADS", 3)
# How long the `dsar` command waits for its task, in seconds.
DSAR_COMMAND_TIMEOUT = config.read("DSAR_COMMAND_TIMEOUT", env.int, default=600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Staff sign in through django-two-factor-auth: password, then a TOTP or backup code.
LOGIN_URL = "staff-login"
LOGIN_REDIRECT_URL = "admin:index"
TWO_FACTOR_PATCH_ADMIN = False
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Provisioning portal")

# Failed logins are recorded (django-axes) and throttled per username and address.
AXES_FAILURE_LIMIT = config.read("LOGIN_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = timedelta(minutes=config.read("LOGIN_COOLOFF_MINUTES", env.int, default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/login_locked.html"
# The trail records every sign-in and sign-out already (portal.signals): axes' own access
# log would be a second, unretained copy of usernames and addresses.
AXES_DISABLE_ACCESS_LOG = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# Where the organisation is: the day a data-subject request was received, which its legal
# deadlines count from, is that day there (a request at 17:00 in California on 31 January
# was received on 31 January, though it is 1 February in UTC).
ORGANISATION_TIME_ZONE = config.read(
    "ORGANISATION_TIME_ZONE", lambda name, default: str(ZoneInfo(env.str(name, default))), "UTC"
)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

EMAIL_CONFIG = config.read("EMAIL_URL", env.email_url, default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# Whether the outgoing mail server accepts addresses with non-ASCII characters before the @
# (SMTPUTF8, RFC 6531). Without it such an address cannot be delivered, so none is stored.
EMAIL_SMTPUTF8 = config.read("EMAIL_SMTPUTF8", env.bool, default=False)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Celery: Redis is the broker when REDIS_URL is set. Embedded, the web process runs tasks
# in-process and `make run` starts one local worker with beat for the periodic jobs, fed
# through a folder (kombu's filesystem transport).
REDIS_URL = config.read("REDIS_URL", env.str, default="")
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
if not REDIS_URL:
    BROKER_FOLDER = BASE_DIR / ".run" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER),
        "data_folder_out": str(BROKER_FOLDER),
        # Broadcast state (worker pings, remote control) stays in the runtime folder, not in
        # a "control" folder beside whatever directory the worker was started from.
        "control_folder": str(BROKER_FOLDER / "control"),
    }
    CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".run" / "celerybeat-schedule")
else:
    # A message a worker took and never acknowledged (killed with SIGKILL mid-task) goes
    # back to the queue after this long; kombu's default is an hour. It must outlast the
    # longest retry countdown (OUTBOUND_RETRY_BACKOFF_MAX_SECONDS), or a waiting retry is
    # delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": config.read(
            "BROKER_VISIBILITY_TIMEOUT_SECONDS", env.int, default=1800
        ),
    }
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# --- The outbox (compliance.outbox) --------------------------------------------------------
# Promised side effects wait in the database until the broker takes them; beat sweeps
# what the on-commit relay could not hand over.
CELERY_BEAT_SCHEDULE["compliance.outbox_sweep"] = {
    "task": "compliance.outbox_sweep",
    "schedule": timedelta(seconds=config.read("OUTBOX_SWEEP_SECONDS", env.int, default=30)),
}
# Handed over this long ago and never done: handed over again (the consumer skips repeats).
OUTBOX_REDELIVER_MINUTES = config.read("OUTBOX_REDELIVER_MINUTES", env.int, default=60)
# A run on a worker holds its message this long, renewed by a heartbeat every quarter of
# it; a copy handed over meanwhile waits. After a worker dies, its messages run again
# within this time of being handed back.
OUTBOX_LEASE_SECONDS = config.read("OUTBOX_LEASE_SECONDS", env.int, default=60)
# Delivered rows are kept this long (their sealed payloads are wiped at delivery).
OUTBOX_KEEP_DAYS = config.read("OUTBOX_KEEP_DAYS", env.int, default=7)

# --- Retention (compliance.retention) ------------------------------------------------------
# A running export or erasure whose progress has not moved for this long is queued again
# (its steps are idempotent and resume): its worker died, or its message was lost.
DSAR_STALLED_MINUTES = config.read("DSAR_STALLED_MINUTES", env.int, default=15)
CELERY_BEAT_SCHEDULE["compliance.dsar_requeue_stalled"] = {
    "task": "compliance.dsar_requeue_stalled",
    "schedule": timedelta(minutes=max(1, DSAR_STALLED_MINUTES // 3)),
}
CELERY_BEAT_SCHEDULE["compliance.retention_apply"] = {
    "task": "compliance.retention_apply",
    "schedule": timedelta(hours=config.read("RETENTION_INTERVAL_HOURS", env.int, default=24)),
}
# Days after Person.deactivated_at before a leaver is anonymised (the inventory's default).
RETENTION_DEACTIVATED_DAYS = config.read("RETENTION_DEACTIVATED_DAYS", env.int, default=90)

# --- Access governance: approvals, expiring grants, scheduled leavers ---
APPROVAL_STAGE_DAYS = config.read("APPROVAL_STAGE_DAYS", env.int, default=3)
APPROVAL_REMINDER_GRACE_HOURS = config.read("APPROVAL_REMINDER_GRACE_HOURS", env.int, default=24)
APPROVAL_LINK_MAX_AGE_HOURS = config.read("APPROVAL_LINK_MAX_AGE_HOURS", env.int, default=24 * 7)
GRANT_EXPIRY_REMINDER_DAYS = config.read("GRANT_EXPIRY_REMINDER_DAYS", env.int, default=7)
STALE_IDENTITY_DAYS = config.read("STALE_IDENTITY_DAYS", env.int, default=90)
CELERY_BEAT_SCHEDULE.update(
    {
        "grants-expire": {
            "task": "provisioning.tasks.grants_expire",
            "schedule": config.read("GRANT_EXPIRY_INTERVAL_SECONDS", env.int, default=60),
        },
        "grants-expiry-remind": {
            "task": "provisioning.tasks.grants_expiry_remind",
            "schedule": config.read("GRANT_REMINDER_INTERVAL_SECONDS", env.int, default=3600),
        },
        "approvals-overdue": {
            "task": "provisioning.tasks.approvals_overdue",
            "schedule": config.read("APPROVAL_TIMEOUT_INTERVAL_SECONDS", env.int, default=600),
        },
        "offboardings-due": {
            "task": "provisioning.tasks.offboardings_due",
            "schedule": config.read("OFFBOARDING_INTERVAL_SECONDS", env.int, default=3600),
        },
        "onboardings-due": {
            "task": "provisioning.tasks.onboardings_due",
            "schedule": config.read("ONBOARDING_INTERVAL_SECONDS", env.int, default=3600),
        },
    }
)
# --- end of access governance ---

# --- Access reviews (provisioning: campaigns) ---
# A reviewer's link works this long at most (a reminder sends a fresh one) and never after
# the review closes.
REVIEW_LINK_MAX_AGE_DAYS = config.read("REVIEW_LINK_MAX_AGE_DAYS", env.int, default=45)
CELERY_BEAT_SCHEDULE.update(
    {
        "reviews-deadline": {
            "task": "provisioning.tasks.reviews_deadline",
            "schedule": config.read("REVIEW_DEADLINE_INTERVAL_SECONDS", env.int, default=600),
        },
        "reviews-remind": {
            "task": "provisioning.tasks.reviews_remind",
            "schedule": config.read("REVIEW_REMINDER_INTERVAL_SECONDS", env.int, default=3600),
        },
        "campaigns-recurring": {
            "task": "provisioning.tasks.campaigns_recurring",
            "schedule": config.read("REVIEW_RECURRENCE_INTERVAL_SECONDS", env.int, default=3600),
        },
    }
)

# --- Outbound provisioning (provisioning/connectors/) ---
# Pushes retry with exponential backoff (1, 2, 4 … seconds, capped), then dead-letter.
OUTBOUND_MAX_RETRIES = config.read("OUTBOUND_MAX_RETRIES", env.int, default=8)
OUTBOUND_RETRY_BACKOFF_SECONDS = config.read("OUTBOUND_RETRY_BACKOFF_SECONDS", env.int, default=2)
OUTBOUND_RETRY_BACKOFF_MAX_SECONDS = config.read(
    "OUTBOUND_RETRY_BACKOFF_MAX_SECONDS", env.int, default=900
)
CELERY_BEAT_SCHEDULE["outbound-reconcile"] = {
    "task": "provisioning.connectors.tasks.reconcile_all",
    "schedule": timedelta(minutes=config.read("OUTBOUND_RECONCILE_MINUTES", env.int, default=60)),
}

REST_FRAMEWORK: dict[str, object] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"secret_links": {"()": "portal.log_filters.SecretLinkFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secret_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-axes logs every attempt at INFO; its records are in the database already.
        "axes": {"level": "WARNING"},
        # httpx logs each request's URL at INFO, and a connector's filter names the person.
        "httpx2": {"level": "WARNING"},
        # runserver's request lines (make run) name the links' secrets: through the filter.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Audit trail forwarding to a SIEM ----------------------------------------------------
# Each committed audit event as one JSON line (non-personal fields only) on standard output
# (jsonl), or as RFC 5424 syslog to AUDIT_SYSLOG_ADDRESS over UDP or TCP (syslog).
AUDIT_SIEM_FORMAT = env.str("AUDIT_SIEM_FORMAT", default="off").strip().lower()
if AUDIT_SIEM_FORMAT not in {"off", "jsonl", "syslog"}:
    raise config.ConfigurationError(
        "AUDIT_SIEM_FORMAT", f"must be jsonl, syslog or off, not {AUDIT_SIEM_FORMAT!r}"
    )
AUDIT_SYSLOG_TRANSPORT = env.str("AUDIT_SYSLOG_TRANSPORT", default="udp").strip().lower()
if AUDIT_SYSLOG_TRANSPORT not in {"udp", "tcp"}:
    raise config.ConfigurationError(
        "AUDIT_SYSLOG_TRANSPORT", f"must be udp or tcp, not {AUDIT_SYSLOG_TRANSPORT!r}"
    )
AUDIT_SYSLOG_ADDRESS = env.str("AUDIT_SYSLOG_ADDRESS", default="")
if AUDIT_SIEM_FORMAT != "off":
    _siem_handler: dict[str, object] = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "audit_siem",
    }
    if AUDIT_SIEM_FORMAT == "syslog":
        _host, _, _port = AUDIT_SYSLOG_ADDRESS.rpartition(":")
        if not _host or not _port.isdigit():
            raise config.ConfigurationError(
                "AUDIT_SYSLOG_ADDRESS", "must be host:port when AUDIT_SIEM_FORMAT is syslog"
            )
        _siem_handler = {
            "()": "compliance.audit.siem.SyslogHandler",
            "host": _host.strip("[]"),
            "port": int(_port),
            "transport": AUDIT_SYSLOG_TRANSPORT,
            "formatter": "audit_siem",
        }
    cast(dict[str, object], LOGGING["formatters"])["audit_siem"] = {"format": "%(message)s"}
    cast(dict[str, object], LOGGING["handlers"])["audit_siem"] = _siem_handler
    cast(dict[str, object], LOGGING["loggers"])["compliance.audit.siem"] = {
        "handlers": ["audit_siem"],
        "level": "INFO",
        "propagate": False,
    }

if not DEBUG:
    SECURE_SSL_REDIRECT = config.boolean(env, "SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = config.read("SECURE_HSTS_SECONDS", env.int, default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_HTTPONLY = True

# --- Compliance: records of processing (GDPR Art. 30) ---
ROPA_CONTROLLER_NAME = env.str(
    "ROPA_CONTROLLER_NAME", default="The organisation operating this portal"
)
ROPA_CONTROLLER_CONTACT = env.str("ROPA_CONTROLLER_CONTACT", default=DEFAULT_FROM_EMAIL)
ROPA_DPO_CONTACT = env.str("ROPA_DPO_CONTACT", default=ROPA_CONTROLLER_CONTACT)
# Transfers to third countries, each with its safeguard, separated by ";"; none by default.
ROPA_TRANSFERS = [
    transfer.strip()
    for transfer in env.str("ROPA_TRANSFERS", default="").split(";")
    if transfer.strip()
]

# --- Compliance: alert rules and their schedule ---
ALERT_MASS_DEPROVISIONING_COUNT = config.read(
    "ALERT_MASS_DEPROVISIONING_COUNT", env.int, default=20
)
ALERT_MASS_DEPROVISIONING_MINUTES = config.read(
    "ALERT_MASS_DEPROVISIONING_MINUTES", env.int, default=10
)
ALERT_SCIM_AUTH_FAILURE_COUNT = config.read("ALERT_SCIM_AUTH_FAILURE_COUNT", env.int, default=20)
ALERT_SCIM_AUTH_FAILURE_MINUTES = config.read("ALERT_SCIM_AUTH_FAILURE_MINUTES", env.int, default=5)
CELERY_BEAT_SCHEDULE["compliance.evaluate_alert_rules"] = {
    "task": "compliance.evaluate_alert_rules",
    "schedule": timedelta(seconds=config.read("ALERT_EVALUATION_SECONDS", env.int, default=60)),
}
CELERY_BEAT_SCHEDULE["compliance.keys_rotate"] = {
    "task": "compliance.keys_rotate",
    "schedule": timedelta(hours=1),
}
CELERY_BEAT_SCHEDULE["compliance.verify_audit_chain"] = {
    "task": "compliance.verify_audit_chain",
    "schedule": timedelta(hours=config.read("AUDIT_VERIFY_HOURS", env.int, default=24)),
}

# --- SCIM 2.0 service provider (provisioning/scim/) ---------------------------------------
# The cache counts failed SCIM authentications per address; Redis when there is one, so
# that every web process sees the same count.
CACHES = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal-cache",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
SCIM_MAX_RESULTS = config.read("SCIM_MAX_RESULTS", env.int, default=200)
SCIM_MAX_PAYLOAD_SIZE = config.read("SCIM_MAX_PAYLOAD_SIZE", env.int, default=1_048_576)
SCIM_MAX_BULK_OPERATIONS = config.read("SCIM_MAX_BULK_OPERATIONS", env.int, default=1000)
# Each condition of a filter can be a subquery: more than this is refused (tooMany).
SCIM_MAX_FILTER_TERMS = config.read("SCIM_MAX_FILTER_TERMS", env.int, default=200)
SCIM_AUTH_FAILURE_LIMIT = config.read("SCIM_AUTH_FAILURE_LIMIT", env.int, default=10)
SCIM_AUTH_FAILURE_WINDOW_SECONDS = config.read(
    "SCIM_AUTH_FAILURE_WINDOW_SECONDS", env.int, default=300
)
# A resolved bearer token is reused from the cache for this long. Revoking it or changing
# its client drops it at once in a shared (Redis) cache; without Redis, other processes
# notice within this time.
SCIM_TOKEN_CACHE_SECONDS = config.read("SCIM_TOKEN_CACHE_SECONDS", env.int, default=30)
# What a SCIM client's DELETE (or deactivation) of a person does, for a client whose own
# policy is blank (provisioning.models.Deprovisioning): keep the leaver until retention,
# or erase at once.
SCIM_DEPROVISIONING = config.one_of(
    env,
    "SCIM_DEPROVISIONING",
    ("keep", "erase-on-delete", "erase-on-deactivation"),
    default="keep",
)
