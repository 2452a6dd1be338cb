from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, MultipleChooserPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page

from cms.blocks import ContentBlocks
from cms.models.base import RequestHostUrls

SEARCH_PAGE_SIZE = 20


class HomePage(RequestHostUrls, RoutablePageMixin, Page):
    """The site root: what the platform is, live figures, stories, news, events and calls for the reader."""

    headline = models.CharField(
        _("headline"),
        max_length=160,
        default="Europe's health biomanufacturing, mapped and connected",
    )
    intro = models.TextField(
        _("introduction"),
        max_length=600,
        blank=True,
        default=(
            "Find companies, CDMOs, universities, hospitals and training centres across the value chain, "
            "join working groups, and start partnerships."
        ),
    )
    hero_image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Optional; shown beside the headline on wide screens and in link previews."),
    )
    body = StreamField(
        ContentBlocks(),
        verbose_name=_("more about the platform"),
        blank=True,
        help_text=_("Optional sections shown below the news and events."),
    )

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("headline"), FieldPanel("intro"), FieldPanel("hero_image")],
            heading=_("Hero"),
        ),
        MultipleChooserPanel(
            "featured_stories",
            chooser_field_name="story",
            label=_("Featured stories"),
            heading=_("Featured stories"),
            help_text=_("Up to three success stories, in this order."),
            max_num=3,
        ),
        FieldPanel("body"),
    ]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.NewsIndexPage",
        "cms.StoryIndexPage",
        "cms.EventIndexPage",
        "cms.PanoramaIndexPage",
        "cms.StandardPage",
    ]

    class Meta:
        verbose_name = _("home page")

    @property
    def meta_description(self) -> str:
        return self.search_description or self.intro

    @property
    def og_type(self) -> str:
        return "website"

    @property
    def listing_image(self):
        return self.hero_image

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import home_context

        context = super().get_context(request, *args, **kwargs)
        context.update(home_context(page=self, viewer=request.user))
        return context

    @path("search/", name="search")
    def search(self, request):
        """Wagtail search over the public, live pages: news, stories, events, panoramas."""
        from cms.selectors import search_pages

        query = request.GET.get("q", "").strip()[:200]
        results = search_pages(query) if query else None
        page_obj = None
        if results is not None:
            page_obj = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            "cms/search.html",
            {"page": self, "self": self, "query": query, "results": page_obj, "request": request},
        )


class HomeFeaturedStory(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_stories")
    story = models.ForeignKey(
        "cms.StoryPage", verbose_name=_("story"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("story")]

    class Meta(Orderable.Meta):
        verbose_name = _("featured story")
        verbose_name_plural = _("featured stories")
