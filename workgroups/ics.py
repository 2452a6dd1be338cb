"""iCalendar (RFC 5545) for meetings, written by hand: one VEVENT per meeting.

Times are in UTC ("Z"), which every calendar reads without a VTIMEZONE; the
meeting's own zone travels as text in the description. SEQUENCE follows
`Meeting.sequence`, so a calendar that imported the meeting replaces its copy
with a changed or cancelled one (STATUS:CANCELLED).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from workgroups.models import Meeting

CRLF = "\r\n"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def _uri(value: str) -> str:
    # A URI value is not escaped, but nothing may break the line it is on.
    return "".join(ch for ch in (value or "") if ch not in "\r\n")


def fold(line: str) -> str:
    """Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = [], 0, LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space counts
        current.append(ch)
        size += width
    out.append("".join(current))
    return (CRLF + " ").join(out)


def utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def uid_host() -> str:
    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "localhost"


def event_lines(meeting: Meeting, *, page_url: str, stamp: dt.datetime) -> list[str]:
    description = [meeting.agenda.strip()] if meeting.agenda.strip() else []
    description.append(_("Time zone of the meeting: %(zone)s") % {"zone": meeting.time_zone})
    if meeting.link:
        description.append(_("Online: %(link)s") % {"link": meeting.link})
    description.append(page_url)
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{uid_host()}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"CREATED:{utc_stamp(meeting.created_at)}",
        f"DTSTART:{utc_stamp(meeting.starts_at)}",
        f"DTEND:{utc_stamp(meeting.ends_at)}",
        f"SEQUENCE:{meeting.sequence}",
        f"STATUS:{'CANCELLED' if meeting.cancelled_at else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(meeting.title)}",
    ]
    location = meeting.place or meeting.link
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines.append(f"URL:{_uri(page_url)}")
    lines.append(f"DESCRIPTION:{escape_text(chr(10).join(description))}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    meetings: Iterable[Meeting], *, page_url: Callable[[Meeting], str], name: str = ""
) -> str:
    """A VCALENDAR with one VEVENT per meeting; `page_url` gives each meeting's absolute page address."""
    stamp = timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{escape_text(settings.SITE_NAME)}//Working groups//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines += [f"NAME:{escape_text(name)}", f"X-WR-CALNAME:{escape_text(name)}"]
    for meeting in meetings:
        lines += event_lines(meeting, page_url=page_url(meeting), stamp=stamp)
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF


def filename(text: str) -> str:
    """A plain ASCII file name for the download."""
    from django.utils.text import slugify

    return (slugify(text)[:60] or "meeting") + ".ics"
