"""The floor: the portal's settings and middleware, serving one bare view. What it costs is
what Django, the database and the loopback cost the portal anyway."""

from bench.settings_portal import *  # noqa: F403

ROOT_URLCONF = "bench.floor.urls"
