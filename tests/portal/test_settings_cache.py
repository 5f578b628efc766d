"""The cache (SCIM's failed-authentication counts) is shared through Redis when there is
one, so every web process sees the same counts."""

import os
import subprocess
import sys
from pathlib import Path

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
    return result.stdout.strip()


def test_redis_cache_when_redis_url_is_set():
    assert backend(REDIS_URL="redis://127.0.0.1:6379/9").endswith("RedisCache")


def test_local_memory_cache_otherwise():
    assert backend().endswith("LocMemCache")
