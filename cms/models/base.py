"""What every content page shares: a summary, a picture for cards and link previews, a body,
and for articles, stories and events the platform's taxonomy."""

from django.conf import settings
from django.db import models
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import ContentBlocks
from cms.widgets import TaxonomyCheckboxes

SUMMARY_LIMIT = 300


def plain_text(value) -> str:
    """Text without markup or repeated whitespace."""
    return " ".join(strip_tags(str(value or "")).split())


class RequestHostUrls:
    """Sitemap entries on the host the reader used, like the feeds and the Open Graph tags.

    Wagtail's own use the Site record's hostname, which the quick start leaves at "localhost".
    """

    def get_sitemap_urls(self, request=None):
        urls = super().get_sitemap_urls(request)
        if request is not None:
            for entry in urls:
                entry["location"] = request.build_absolute_uri(self.get_url(request))
        return urls


class ContentPage(RequestHostUrls, Page):
    """A page with a summary, a card image and a StreamField body."""

    intro = models.TextField(
        _("summary"),
        max_length=600,
        help_text=_("One or two sentences: shown on cards, in feeds and in search results."),
    )
    listing_image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("card image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Shown on cards, at the top of the page and in link previews on social networks."
        ),
    )
    body = StreamField(ContentBlocks(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("listing_image"),
        FieldPanel("body"),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        abstract = True

    def summary_text(self) -> str:
        """Plain text of at most 300 characters: the promote tab's description, else the summary, else the body."""
        text = plain_text(self.search_description) or plain_text(self.intro)
        if not text and self.body:
            text = plain_text(
                " ".join(
                    block.value.source for block in self.body if block.block_type == "paragraph"
                )
            )
        return Truncator(text).chars(SUMMARY_LIMIT)

    @property
    def meta_description(self) -> str:
        return self.summary_text()

    @property
    def og_type(self) -> str:
        return "article"


class Tagged(models.Model):
    """The platform's taxonomy on a page: what matches it to members' interests and the monitoring feed."""

    fields = ParentalManyToManyField(
        "community.Field",
        verbose_name=_("fields"),
        blank=True,
        related_name="%(app_label)s_%(class)s_tagged",
        help_text=_("Modalities and technologies this is about."),
    )
    stages = ParentalManyToManyField(
        "community.Stage",
        verbose_name=_("value-chain stages"),
        blank=True,
        related_name="%(app_label)s_%(class)s_tagged",
    )

    tag_panels = [
        MultiFieldPanel(
            [
                FieldPanel("fields", widget=TaxonomyCheckboxes),
                FieldPanel("stages", widget=TaxonomyCheckboxes),
            ],
            heading=_("Fields and value-chain stages"),
            help_text=_(
                "Members interested in these see it first; the monitoring feed files it under them."
            ),
        )
    ]

    tag_search_fields = [
        index.RelatedFields("fields", [index.SearchField("name")]),
        index.RelatedFields("stages", [index.SearchField("name")]),
    ]

    class Meta:
        abstract = True
