"""Template helpers of the CMS pages: absolute addresses and event times in a given zone."""

import zoneinfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, page_or_path) -> str:
    """The absolute address of a page (or a path) on the host the reader used."""
    request = context.get("request")
    path = page_or_path if isinstance(page_or_path, str) else page_or_path.get_url(request)
    if request is None or not path:
        return path or ""
    return request.build_absolute_uri(path)


def _zone(name):
    if not name:
        return timezone.get_current_timezone()
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


@register.simple_tag
def when(starts, ends, zone_name=None) -> str:
    """“Thu 12 March 2026, 09:30–17:00” or “12 March 2026, 09:00 – 14 March 2026, 17:00”, in `zone_name`."""
    zone = _zone(zone_name)
    start, end = timezone.localtime(starts, zone), timezone.localtime(ends, zone)
    if start.date() == end.date():
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": date_format(start, "l j F Y"),
            "start": time_format(start, "H:i"),
            "end": time_format(end, "H:i"),
        }
    return _("%(start_day)s, %(start)s – %(end_day)s, %(end)s") % {
        "start_day": date_format(start, "j F Y"),
        "start": time_format(start, "H:i"),
        "end_day": date_format(end, "j F Y"),
        "end": time_format(end, "H:i"),
    }


@register.filter
def in_zone(value, zone_name):
    """The datetime in that zone, for the |date filter."""
    return timezone.localtime(value, _zone(zone_name)) if value else value


@register.simple_tag(takes_context=True)
def reader_zone_differs(context, zone_name) -> bool:
    """Whether a signed-in reader's own time zone shows a different clock from the event's."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return str(timezone.get_current_timezone()) != str(zone_name)


@register.simple_tag
def search_url() -> str:
    """The search page: a route of the home page, which is the site root."""
    from django.urls import reverse

    return reverse("wagtail_serve", args=["search/"])
