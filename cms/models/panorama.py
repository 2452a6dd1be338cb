from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Page
from wagtail.search import index

from cms.models.base import ContentPage, RequestHostUrls


class PanoramaIndexPage(RequestHostUrls, Page):
    intro = models.TextField(_("introduction"), max_length=600, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.PanoramaPage"]
    max_count = 1

    class Meta:
        verbose_name = _("panorama index")

    listing_image = None

    @property
    def meta_description(self) -> str:
        return self.search_description or self.intro

    @property
    def og_type(self) -> str:
        return "website"

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import panorama_list

        context = super().get_context(request, *args, **kwargs)
        context["panoramas"] = panorama_list(parent=self)
        return context


class PanoramaPage(ContentPage):
    """A sector overview for one value-chain stage or one field, with the platform's live figures for it."""

    stage = models.ForeignKey(
        "community.Stage",
        verbose_name=_("value-chain stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    field = models.ForeignKey(
        "community.Field",
        verbose_name=_("field"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    content_panels = [
        *ContentPage.content_panels[:2],
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("field"), FieldPanel("stage")])],
            heading=_("Subject"),
            help_text=_(
                "One field or one value-chain stage: the page shows the directory's figures and map, the open "
                "calls and the latest news for it."
            ),
        ),
        *ContentPage.content_panels[2:],
    ]
    parent_page_types = ["cms.PanoramaIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("panorama")
        verbose_name_plural = _("panoramas")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(stage__isnull=True) & models.Q(field__isnull=False))
                | (models.Q(stage__isnull=False) & models.Q(field__isnull=True)),
                name="panorama_one_subject",
            )
        ]

    def clean(self):
        super().clean()
        if bool(self.stage_id) == bool(self.field_id):
            raise ValidationError(
                {
                    "field": _("Choose one field or one value-chain stage, not both.")
                    if self.stage_id
                    else _("Choose a field or a value-chain stage.")
                }
            )

    @property
    def subject(self):
        return self.field or self.stage

    @property
    def og_type(self) -> str:
        return "website"

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import panorama_context

        context = super().get_context(request, *args, **kwargs)
        context.update(panorama_context(panorama=self, viewer=request.user))
        return context
