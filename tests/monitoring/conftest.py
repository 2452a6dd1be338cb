"""A real HTTP server in a thread, serving the feed files of tests/monitoring/feeds/ and a few
misbehaving addresses; and the default tagging rules."""

import gzip
import hashlib
import importlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FEEDS = Path(__file__).parent / "feeds"
LAST_MODIFIED = "Thu, 06 Mar 2025 12:00:00 GMT"


@dataclass
class FeedServer:
    url: str
    requests: list = field(default_factory=list)  # (path, headers) in order
    slow_seconds: float = 2.0

    def headers_for(self, path: str) -> list[dict]:
        return [h for p, h in self.requests if p == path]

    def hits(self, path: str) -> int:
        return len(self.headers_for(path))


def _huge_rss(size: int) -> bytes:
    item = (
        "<item><title>Hympavzi (marstacimab) authorised in the EU {n}</title>"
        "<link>https://www.ema.europa.eu/en/medicines/human/EPAR/hympavzi?copy={n}</link>"
        "<description>" + "padding " * 40 + "</description></item>"
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
    parts, n = [head], 0
    while sum(len(p) for p in parts) < size:
        parts.append(item.format(n=n))
        n += 1
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _handler(server_state: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _send(
            self, status: int, body: bytes = b"", headers: dict | None = None, length: bool = True
        ):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?")[0]
            server_state.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
            if path.startswith("/feeds/"):
                file = FEEDS / path.removeprefix("/feeds/")
                if not file.is_file():
                    return self._send(404, b"not found")
                body = file.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if (
                    self.headers.get("If-None-Match") == etag
                    or self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    return self._send(304, headers={"ETag": etag})
                kind = "text/html" if file.suffix == ".html" else "application/rss+xml"
                return self._send(
                    200, body, {"Content-Type": kind, "ETag": etag, "Last-Modified": LAST_MODIFIED}
                )
            if path == "/slow.xml":
                time.sleep(server_state.slow_seconds)
                return self._send(
                    200,
                    (FEEDS / "ema_rss.xml").read_bytes(),
                    {"Content-Type": "application/rss+xml"},
                )
            if path == "/huge.xml":  # announces its size
                return self._send(200, _huge_rss(300_000), {"Content-Type": "application/rss+xml"})
            if path == "/huge-stream.xml":  # no Content-Length: the reader must stop by itself
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()
                try:
                    chunk = _huge_rss(64 * 1024)
                    for _i in range(40):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return None
            if path == "/gzip.xml":
                body = gzip.compress((FEEDS / "ema_rss.xml").read_bytes())
                return self._send(
                    200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
                )
            if path == "/error.xml":
                return self._send(500, b"internal error")
            if path == "/to-file":
                return self._send(302, headers={"Location": "file:///etc/passwd"})
            return self._send(404, b"not found")

    return Handler


@pytest.fixture
def feed_server():
    state = FeedServer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_limits(settings):
    """A short timeout and a small size limit, so the slow and huge feeds fail fast."""
    settings.MONITORING_FETCH_TIMEOUT = 0.5
    settings.MONITORING_FEED_MAX_BYTES = 200_000
    return settings


@pytest.fixture
def default_rules(db):
    """The tagging rules the migration seeds (transactional tests flush them)."""
    from django.apps import apps

    from cms.monitoring.models import TaggingRule

    if not TaggingRule.objects.exists():
        importlib.import_module("cms.monitoring.migrations.0002_default_tagging_rules").seed(
            apps, None
        )
    return TaggingRule.objects.all()
