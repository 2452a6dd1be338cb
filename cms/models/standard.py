from django.utils.translation import gettext_lazy as _

from cms.models.base import ContentPage


class StandardPage(ContentPage):
    """A page of text and media: about, contact, legal notices, a campaign."""

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")
        verbose_name_plural = _("standard pages")

    @property
    def og_type(self) -> str:
        return "website"
