import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.search import index

from cms.models.base import ContentPage, Tagged
from cms.models.news import IndexPage


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [(z, z.replace("_", " ")) for z in zones] + [("UTC", "UTC")]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."))


class EventIndexPage(IndexPage):
    subpage_types = ["cms.EventPage"]

    class Meta:
        verbose_name = _("event index")

    def listing(self, request, *, fields, stages):
        from cms.selectors import events_past

        return events_past(parent=self, fields=fields, stages=stages)

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import events_upcoming

        context = super().get_context(request, *args, **kwargs)
        fields = [v for v in request.GET.getlist("field") if v][:10]
        stages = [v for v in request.GET.getlist("stage") if v][:10]
        context["upcoming"] = list(events_upcoming(parent=self, fields=fields, stages=stages))
        return context

    def feed(self, request, feed_type):
        from cms.feeds import EventFeed

        return EventFeed(self, feed_type)(request)

    @path("calendar/", name="calendar")
    def calendar(self, request):
        """Every upcoming event as one iCalendar file, to subscribe to."""
        from cms import ics
        from cms.selectors import events_upcoming

        events = list(events_upcoming(parent=self))
        body = ics.calendar(events, request=request, name=self.title)
        return ics.response(body, filename=f"{self.slug}.ics")


class EventForm(WagtailAdminPageForm):
    """Start and end are typed in the event's own time zone, whatever the editor's zone is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = self._zone(self.instance.time_zone)
        for name in ("starts_at", "ends_at"):
            value = getattr(self.instance, name)
            if value and name in self.fields and not self.is_bound:
                # A naive value is shown as is: the wall-clock time at the event.
                self.initial[name] = timezone.localtime(value, zone).replace(tzinfo=None)

    @staticmethod
    def _zone(name: str):
        try:
            return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def clean(self):
        cleaned = super().clean()
        zone = self._zone(cleaned.get("time_zone"))
        for name in ("starts_at", "ends_at"):
            value = cleaned.get(name)
            if value is not None:
                # The field read the text in the editor's zone; read the same wall-clock time at the event.
                wall = timezone.make_naive(value) if timezone.is_aware(value) else value
                cleaned[name] = timezone.make_aware(wall, zone)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The event must end after it starts."))
        attendance = cleaned.get("attendance")
        if attendance in (
            EventPage.Attendance.ONLINE,
            EventPage.Attendance.HYBRID,
        ) and not cleaned.get("online_url"):
            self.add_error("online_url", _("Give the address where people join online."))
        if attendance in (
            EventPage.Attendance.IN_PERSON,
            EventPage.Attendance.HYBRID,
        ) and not cleaned.get("city"):
            self.add_error("city", _("Say in which city the event takes place."))
        return cleaned


class EventPage(RoutablePageMixin, Tagged, ContentPage):
    """An event: when (in its own time zone), where or online, how to register, and an .ics to import."""

    class Attendance(models.TextChoices):
        IN_PERSON = "in-person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("In person and online")

    starts_at = models.DateTimeField(
        _("starts"), db_index=True, help_text=_("In the event's time zone.")
    )
    ends_at = models.DateTimeField(_("ends"), help_text=_("In the event's time zone."))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Brussels",
        validators=[validate_time_zone],
        help_text=_("Where the event happens; online events: the organiser's time zone."),
    )
    attendance = models.CharField(
        _("attendance"), max_length=12, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = CountryField(_("country"), blank=True)
    online_url = models.URLField(
        _("online address"), max_length=500, blank=True, help_text=_("Where to join online.")
    )
    registration_url = models.URLField(_("registration link"), max_length=500, blank=True)
    organiser = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("organiser"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("An organisation of the directory, linked to its profile."),
    )

    content_panels = [
        *ContentPage.content_panels[:2],
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                FieldPanel("time_zone", widget=forms.Select(choices=time_zone_choices())),
            ],
            heading=_("When"),
            help_text=_(
                "Type the times as they are at the event; readers also see them in their own time zone."
            ),
        ),
        MultiFieldPanel(
            [
                FieldPanel("attendance"),
                FieldPanel("venue"),
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("city"), FieldPanel("country")]),
                FieldPanel("online_url"),
            ],
            heading=_("Where"),
        ),
        FieldPanel("registration_url"),
        FieldPanel("organiser"),
        *ContentPage.content_panels[2:],
        *Tagged.tag_panels,
    ]
    search_fields = [
        *ContentPage.search_fields,
        *Tagged.tag_search_fields,
        index.SearchField("venue"),
        index.SearchField("city"),
        index.FilterField("starts_at"),
    ]
    base_form_class = EventForm
    parent_page_types = ["cms.EventIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    @property
    def zone(self):
        return EventForm._zone(self.time_zone)

    @property
    def is_online(self) -> bool:
        return self.attendance in (self.Attendance.ONLINE, self.Attendance.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.attendance in (self.Attendance.IN_PERSON, self.Attendance.HYBRID)

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def place(self) -> str:
        """Venue, city and country in one line; "Online" for an online-only event."""
        if not self.is_in_person:
            return str(_("Online"))
        parts = [self.venue, self.city, self.country.name if self.country else ""]
        return ", ".join(p for p in parts if p)

    @path("ics/", name="ics")
    def ics(self, request):
        from cms import ics

        return ics.response(ics.calendar([self], request=request), filename=f"{self.slug}.ics")
