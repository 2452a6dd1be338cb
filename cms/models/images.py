"""Images with required alt text: Wagtail's description field, made mandatory and named for what it is."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CustomImage(AbstractImage):
    # Wagtail reads `description` as an image's default alt text (default_alt_text, rich text,
    # ImageBlock); making it required gives every rendition on the site a meaningful alt.
    description = models.CharField(
        _("alt text"),
        max_length=255,
        help_text=_(
            "What the image shows, for people who cannot see it (read aloud by screen readers). "
            "Say what matters in this context, in one sentence; don't start with “Image of”."
        ),
    )
    credit = models.CharField(
        _("credit"),
        max_length=255,
        blank=True,
        help_text=_("Photographer, owner or licence, shown under the image."),
    )

    admin_form_fields = (*Image.admin_form_fields, "credit")

    class Meta(AbstractImage.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")

    @property
    def alt_text(self) -> str:
        return self.description


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
