"""Reading one external feed over HTTP and parsing it; nothing here touches the database.

`download()` is a conditional GET with urllib (no new dependency): a timeout
on connecting and on every read, a deadline for the whole body, a size limit
(reading stops past it), only http and https (also after redirects), gzip
decompressed within the same limit. `parse()` runs feedparser on the bytes
and turns entries into plain `Entry` values. Both raise `FetchError` with a
status code from ExternalFeed.Status and a message for editors.
"""

import gzip
import html
import re
import socket
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import feedparser
from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

CHUNK = 64 * 1024
SUMMARY_CHARS = 1000
_SPACES = re.compile(r"\s+")


def timeout_seconds() -> float:
    return float(getattr(settings, "MONITORING_FETCH_TIMEOUT", 10))


def max_bytes() -> int:
    return int(getattr(settings, "MONITORING_FEED_MAX_BYTES", 2 * 1024 * 1024))


def max_entries() -> int:
    return int(getattr(settings, "MONITORING_FEED_MAX_ENTRIES", 200))


class FetchError(Exception):
    def __init__(self, status: str, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status


@dataclass
class Download:
    status: int  # 200, or 304 when the feed has not changed
    body: bytes
    etag: str
    last_modified: str
    url: str  # after redirects


@dataclass
class Entry:
    link: str
    guid: str
    title: str
    summary: str
    published_at: datetime


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https only (never file:, ftp:, data:)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, "redirect to a non-HTTP address", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # Built by hand rather than with build_opener(), which adds file: and ftp: handlers.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _too_large(limit: int) -> FetchError:
    return FetchError(
        "too-large", f"The feed is larger than {limit:,} bytes; reading stopped there."
    )


def _read_limited(response, *, limit: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    chunks, total = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("timeout", "The server sent the feed too slowly.")
        chunk = response.read(CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip_limited(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise FetchError("malformed", f"The compressed feed is damaged: {exc}") from None
    if len(out) > limit:
        raise _too_large(limit)
    return out


def download(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float | None = None,
    limit: int | None = None,
) -> Download:
    timeout = timeout_seconds() if timeout is None else timeout
    limit = max_bytes() if limit is None else limit
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError("network-error", "Only http and https addresses can be fetched.")
    headers = {
        "User-Agent": f"{settings.SITE_NAME} monitoring feed reader",
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        "Accept-Encoding": "gzip",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  (scheme checked above and on redirects)
    # The socket timeout bounds connecting and each read; the deadline bounds a trickle.
    deadline = time.monotonic() + 3 * timeout
    try:
        with _opener().open(request, timeout=timeout) as response:
            body = _read_limited(response, limit=limit, deadline=deadline)
            if (response.headers.get("Content-Encoding") or "").lower() == "gzip" or body[
                :2
            ] == b"\x1f\x8b":
                body = _gunzip_limited(body, limit)
            return Download(
                status=response.status,
                body=body,
                etag=(response.headers.get("ETag") or "")[:300],
                last_modified=(response.headers.get("Last-Modified") or "")[:100],
                url=response.url,
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Download(status=304, body=b"", etag=etag, last_modified=last_modified, url=url)
        raise FetchError(
            "http-error", f"HTTP {exc.code} {exc.reason}", http_status=exc.code
        ) from None
    except TimeoutError:
        raise FetchError("timeout", f"No answer within {timeout:g} seconds.") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise FetchError("timeout", f"No answer within {timeout:g} seconds.") from None
        raise FetchError("network-error", f"Could not reach the server: {exc.reason}") from None
    except (OSError, ValueError, gzip.BadGzipFile) as exc:
        raise FetchError("network-error", f"Could not read the feed: {exc}") from None


def plain_text(value: str, *, limit: int | None = None) -> str:
    """Text of an HTML fragment: tags gone, entities decoded, white space collapsed."""
    text = _SPACES.sub(" ", html.unescape(strip_tags(html.unescape(value or "")))).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


# What feedparser complains about that still leaves a sound feed.
_HARMLESS = ("undefined entity",)


def _date(entry, now: datetime) -> datetime:
    parsed = (
        entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
    )
    if not parsed:
        return now
    try:
        value = datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return now
    # A date in the future would pin an item on top of every feed.
    return min(value, now + timedelta(minutes=5))


def parse(body: bytes, *, base_url: str) -> list[Entry]:
    """The entries of a feed, newest first as the feed gives them; at most max_entries()."""
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if problem is not None and not isinstance(
        problem, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType
    ):
        message = str(problem)
        if not message.startswith(_HARMLESS):
            raise FetchError("malformed", f"The feed is not well-formed XML: {message}")
    if not parsed.get("version"):
        raise FetchError("malformed", "This address does not serve an RSS or Atom feed.")
    now = timezone.now()
    entries = []
    for raw in parsed.entries[: max_entries()]:
        link = (raw.get("link") or "").strip()
        guid = (raw.get("id") or "").strip()
        if not link and guid.startswith(("http://", "https://")):
            link = guid
        link = urljoin(base_url, link) if link else ""
        title = plain_text(raw.get("title") or "", limit=500)
        if (
            not link
            or not title
            or urlsplit(link).scheme.lower() not in ("http", "https")
            or len(link) > 1000
        ):
            continue
        summary = raw.get("summary") or ""
        if not summary and raw.get("content"):
            summary = raw.content[0].get("value", "")
        entries.append(
            Entry(
                link=link,
                guid=guid[:500],
                title=title,
                summary=plain_text(summary, limit=SUMMARY_CHARS),
                published_at=_date(raw, now),
            )
        )
    return entries
