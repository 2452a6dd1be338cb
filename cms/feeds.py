"""RSS 2.0 and Atom 1.0 feeds of an index page's children (Django syndication).

Served by the index pages' own routes (`<index>/feed/rss/`, `<index>/feed/atom/`),
so a renamed or second news section gets its feeds with it. Every link is
absolute on the host the reader used.
"""

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cms import selectors

FEED_ITEMS = 30
FEED_TYPES = {"rss": Rss201rev2Feed, "atom": Atom1Feed}


class PageFeed(Feed):
    def __init__(self, index, kind: str):
        super().__init__()
        self.index = index
        self.kind = kind
        self.feed_type = FEED_TYPES[kind]
        self.request = None

    def absolute(self, page) -> str:
        return self.request.build_absolute_uri(page.get_url(self.request))

    def get_object(self, request, *args, **kwargs):
        self.request = request  # one feed object per request (the index page's route makes it)
        return self.index

    def title(self, obj):
        from django.conf import settings

        return f"{obj.title} · {settings.SITE_NAME}"

    def link(self, obj):
        return self.absolute(obj)

    def feed_url(self, obj):
        return self.request.build_absolute_uri(
            obj.get_url(self.request) + obj.reverse_subpage(self.kind)
        )

    def description(self, obj):
        return obj.intro or obj.title

    subtitle = description

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return self.absolute(item)

    def item_guid(self, item):
        return self.absolute(item)

    item_guid_is_permalink = True

    def item_description(self, item):
        return item.summary_text()

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at or item.first_published_at

    def item_categories(self, item):
        return [f.name for f in item.fields.all()] + [s.name for s in item.stages.all()]


class NewsFeed(PageFeed):
    def items(self, obj):
        return selectors.news_list(parent=obj)[:FEED_ITEMS]


class StoryFeed(PageFeed):
    def items(self, obj):
        return selectors.story_list(parent=obj)[:FEED_ITEMS]


class EventFeed(PageFeed):
    """Upcoming events, the soonest first; each entry says when and where."""

    def items(self, obj):
        return selectors.events_upcoming(parent=obj)[:FEED_ITEMS]

    def item_title(self, item):
        starts = timezone.localtime(item.starts_at, item.zone)
        return f"{date_format(starts, 'j M Y')} · {item.title}"

    def item_description(self, item):
        starts = timezone.localtime(item.starts_at, item.zone)
        ends = timezone.localtime(item.ends_at, item.zone)
        when = _("%(start)s to %(end)s (%(zone)s)") % {
            "start": date_format(starts, "DATETIME_FORMAT"),
            "end": date_format(ends, "DATETIME_FORMAT"),
            "zone": item.time_zone,
        }
        return f"{when}. {item.place}. {item.summary_text()}"
