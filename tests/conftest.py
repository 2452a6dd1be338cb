"""Shared fixtures: which services the suite uses, and a sane database for every test."""

import importlib
import os
import shutil

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _postgres() -> bool:
    return settings.USING_POSTGRES


def _redis() -> bool:
    return bool(settings.REDIS_URL)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_report_header(config):
    db = "PostgreSQL" if _postgres() else "SQLite"
    layer = "Redis" if _redis() else "in-memory"
    return [
        f"database: {db} ({settings.DATABASES['default']['NAME']}); channel layer and cache: {layer}",
        f"browser: {_chromium() or 'none'}; services required: {REQUIRE_SERVICES}",
    ]


def pytest_collection_modifyitems(config, items):
    needs = {
        "postgres": (_postgres(), "needs PostgreSQL (set DATABASE_URL)"),
        "redis": (_redis(), "needs Redis (set REDIS_URL)"),
        "browser": (bool(_chromium()), "needs Debian's chromium on the PATH"),
    }
    for item in items:
        for marker, (available, reason) in needs.items():
            if item.get_closest_marker(marker) and not available:
                if REQUIRE_SERVICES:
                    item.add_marker(pytest.mark.xfail(reason=f"REQUIRE_SERVICES=1: {reason}", strict=True, run=False))
                    item.add_marker(pytest.mark.usefixtures("_fail_missing_service"))
                else:
                    item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _fail_missing_service(request):
    pytest.fail("a required service is missing (REQUIRE_SERVICES=1)")


def seed_reference_data() -> None:
    """Puts back what migrations seed and transactional tests flush away."""
    seed = importlib.import_module("community.migrations.0002_seed_value_chain_and_fields")
    from django.apps import apps

    from community.models import Stage

    if not Stage.objects.exists():
        seed.seed(apps, None)
    from tests.wagtail_tree import ensure_wagtail_tree

    ensure_wagtail_tree()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Every test that touches the database starts with the taxonomy and the Wagtail tree."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = bool(
        (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & names
    )
    if marker or {"db", "transactional_db", "live_server"} & names:
        request.getfixturevalue("transactional_db" if transactional else "db")
        seed_reference_data()
    return


@pytest.fixture(autouse=True)
def _clear_cache():
    """Fresh throttles, buckets and socket counts for every test.

    On Redis only this checkout's keys are deleted: cache.clear() would FLUSHDB
    a server that other runs share.
    """
    from django.core.cache import cache

    from messaging import presence, ratelimit

    ratelimit.reset()
    presence.reset()
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    else:
        cache.clear()
