"""iCalendar (RFC 5545) for events: one VEVENT per event, times in UTC.

UTC times are read by every calendar without a VTIMEZONE; the event's own
zone travels in the description. The text helpers (escaping, folding) are the
working groups' meeting calendar's.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from workgroups.ics import CRLF, escape_text, fold, uid_host, utc_stamp

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _uri(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch not in "\r\n")


def event_lines(event, *, url: str, stamp) -> list[str]:
    description = [event.summary_text()]
    description.append(_("Time zone of the event: %(zone)s") % {"zone": event.time_zone})
    if event.registration_url:
        description.append(_("Register: %(link)s") % {"link": event.registration_url})
    if event.is_online and event.online_url:
        description.append(_("Online: %(link)s") % {"link": event.online_url})
    description.append(url)
    location = ", ".join(
        p
        for p in [
            event.venue,
            event.address,
            event.city,
            event.country.name if event.country else "",
        ]
        if p
    )
    if event.is_online and event.online_url:
        location = f"{location} · {event.online_url}" if location else event.online_url
    lines = [
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{uid_host()}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
    ]
    if event.last_published_at:
        lines.append(f"LAST-MODIFIED:{utc_stamp(event.last_published_at)}")
    lines += [
        "STATUS:CONFIRMED",
        f"SUMMARY:{escape_text(event.title)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines.append(f"URL:{_uri(url)}")
    lines.append(f"DESCRIPTION:{escape_text(chr(10).join(description))}")
    lines.append("END:VEVENT")
    return lines


def calendar(events, *, request, name: str = "") -> str:
    stamp = timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{escape_text(settings.SITE_NAME)}//Events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines += [f"NAME:{escape_text(name)}", f"X-WR-CALNAME:{escape_text(name)}"]
    for event in events:
        url = request.build_absolute_uri(event.get_url(request))
        lines += event_lines(event, url=url, stamp=stamp)
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF


def response(body: str, *, filename: str) -> HttpResponse:
    reply = HttpResponse(body.encode("utf-8"), content_type=CONTENT_TYPE)
    reply["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return reply
