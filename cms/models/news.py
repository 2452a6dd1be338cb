from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page
from wagtail.search import index

from cms.models.base import ContentPage, RequestHostUrls, Tagged

PAGE_SIZE = 12


class IndexPage(RequestHostUrls, RoutablePageMixin, Page):
    """A listing of child pages with filters by field and stage, and RSS and Atom feeds."""

    intro = models.TextField(
        _("introduction"),
        max_length=600,
        blank=True,
        help_text=_("Shown above the list, and in search results and link previews."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    max_count = 1
    parent_page_types = ["cms.HomePage"]

    class Meta:
        abstract = True

    @property
    def meta_description(self) -> str:
        return self.search_description or self.intro

    @property
    def og_type(self) -> str:
        return "website"

    listing_image = None

    def listing(self, request, *, fields: list[str], stages: list[str]):
        raise NotImplementedError

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import tag_choices

        context = super().get_context(request, *args, **kwargs)
        fields = [v for v in request.GET.getlist("field") if v][:10]
        stages = [v for v in request.GET.getlist("stage") if v][:10]
        items = self.listing(request, fields=fields, stages=stages)
        context["items"] = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
        context["filters"] = tag_choices(fields=fields, stages=stages)
        context["filtered"] = bool(fields or stages)
        return context

    def feed(self, request, feed_type):
        raise NotImplementedError

    @path("feed/rss/", name="rss")
    def rss(self, request):
        return self.feed(request, "rss")

    @path("feed/atom/", name="atom")
    def atom(self, request):
        return self.feed(request, "atom")


class NewsIndexPage(IndexPage):
    subpage_types = ["cms.NewsArticlePage"]

    class Meta:
        verbose_name = _("news index")

    def listing(self, request, *, fields, stages):
        from cms.selectors import news_list

        return news_list(parent=self, fields=fields, stages=stages)

    def feed(self, request, feed_type):
        from cms.feeds import NewsFeed

        return NewsFeed(self, feed_type)(request)


class NewsArticlePage(Tagged, ContentPage):
    """A news article. The monitoring feed reads it: fields, stages, first_published_at, summary_text()."""

    content_panels = [*ContentPage.content_panels, *Tagged.tag_panels]
    search_fields = [*ContentPage.search_fields, *Tagged.tag_search_fields]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news article")
        verbose_name_plural = _("news articles")
