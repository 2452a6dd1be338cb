"""Playwright driving Debian's Chromium against the live test server (stack notes 9, 12)."""

import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def browser(live_server):
    """A fresh Chromium per test, started after the data fixtures, stopped before teardown."""
    # The sync API runs an event loop in this thread; Django's ORM would refuse to run here
    # afterwards, which is what we want: tests drive the browser only.
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height}, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaphneServer:
    def __init__(self, url: str):
        self.url = url


@pytest.fixture
def daphne_server(transactional_db, tmp_path):
    """The real ASGI stack (HTTP and WebSocket) in a Daphne process on the test database.

    Another process must see the test's data, so this needs PostgreSQL (an
    in-memory SQLite test database lives in this process only).
    """
    import os
    import socket
    import subprocess
    import time
    from pathlib import Path

    from django.conf import settings
    from django.db import connections

    if not settings.USING_POSTGRES:
        pytest.skip("needs PostgreSQL: the Daphne process must see the test database")
    db = settings.DATABASES["default"]
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_TESTING": "1",  # same password hasher, key prefixes and immediate tasks as the suite
        "DJANGO_TEST_TAG": settings.CHECKOUT_TAG,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    root = Path(__file__).resolve().parents[2]
    log = tmp_path / "daphne.log"
    connections.close_all()  # stack note 15: no shared sockets across the fork
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(root / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), "--websocket-max-message-size", "65536", "config.asgi:application"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Daphne did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield DaphneServer(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def daphne_browser(daphne_server):
    """Makes pages on the Daphne server. Playwright starts at the first page, so a test
    creates its data with the ORM first (stack note 9: the ORM refuses to run after)."""
    state = {}
    contexts = []

    def make(width: int = 1280, height: int = 900):
        if not state:
            from playwright.sync_api import sync_playwright

            state["playwright"] = sync_playwright().start()
            state["chromium"] = state["playwright"].chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = state["chromium"].new_context(base_url=daphne_server.url, viewport={"width": width, "height": height}, locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
        if state:
            state["chromium"].close()
            state["playwright"].stop()
