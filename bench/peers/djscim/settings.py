"""The peer: a minimal Django project serving SCIM with django-scim2, as a team would set it
up to compare with the portal. Its own database (BENCH_PEER_DATABASE_URL) holds a copy of
the bench data set."""

import os

import environ

env = environ.Env()

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="bench-peer-not-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The bearer token the load client sends; the harness sets one per run.
BENCH_PEER_TOKEN = env.str("BENCH_PEER_TOKEN", default="bench-peer-token")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django_scim",
    "bench.peers.djscim.people",
]
MIDDLEWARE = [
    "bench.middleware.QueryCountMiddleware",
    "django.middleware.common.CommonMiddleware",
    "bench.peers.djscim.people.auth.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
ROOT_URLCONF = "bench.peers.djscim.urls"
DATABASES = {
    "default": env.db(
        "BENCH_PEER_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/bench_peer"
    )
}
# The portal's connection policy with DEBUG off (CONN_MAX_AGE in portal/settings.py), so that
# neither target pays for a PostgreSQL connection per request that the other does not.
DATABASES["default"].update(
    CONN_MAX_AGE=env.int("CONN_MAX_AGE", default=60), CONN_HEALTH_CHECKS=True
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
APPEND_SLASH = False

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "Bearer", "description": "Bench token"}
    ],
    "USER_MODEL_GETTER": "bench.peers.djscim.people.models.get_user_model",
    "USER_ADAPTER": "bench.peers.djscim.people.adapters.PeerUser",
    "GROUP_MODEL": "bench.peers.djscim.people.models.Group",
    "GROUP_ADAPTER": "bench.peers.djscim.people.adapters.PeerGroup",
    "USER_FILTER_PARSER": "bench.peers.djscim.people.filters.PeerUserFilterQuery",
    "GROUP_FILTER_PARSER": "bench.peers.djscim.people.filters.PeerGroupFilterQuery",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
