"""The cache (SCIM's failed-authentication counts and resolved tokens) is shared through
Redis when there is one, so every web process sees the same counts."""

import os
import subprocess
import sys
from pathlib import Path

from portal.cache import RedisCache

ROOT = Path(__file__).resolve().parents[2]
PRINT_BACKEND = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"


def backend(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRINT_BACKEND],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_redis_cache_when_redis_url_is_set():
    assert backend(REDIS_URL="redis://127.0.0.1:6379/9") == "portal.cache.RedisCache"


def test_the_redis_cache_keeps_its_client():
    """Django's Redis cache builds a redis-py client for every operation; the portal's
    builds one and keeps it, and works as Django's does."""
    cache = RedisCache(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), {})
    cache.set("kept-client-test", 1, timeout=30)
    cache.incr("kept-client-test")
    assert cache.get_many(["kept-client-test", "kept-client-absent"]) == {"kept-client-test": 2}
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.delete("kept-client-test")
    assert cache.get("kept-client-test") is None


def test_local_memory_cache_otherwise():
    assert backend().endswith("LocMemCache")
