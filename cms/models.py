from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page


class HomePage(Page):
    """The site root: what the platform is, live directory figures, the way in."""

    headline = models.CharField(
        _("headline"), max_length=160, default="Europe's health biomanufacturing, mapped and connected"
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

    content_panels = Page.content_panels + [FieldPanel("headline"), FieldPanel("intro")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import home_figures

        context = super().get_context(request, *args, **kwargs)
        context.update(home_figures(viewer=request.user))
        return context
