from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, MultipleChooserPanel
from wagtail.models import Orderable

from cms.models.base import ContentPage, Tagged
from cms.models.news import IndexPage


class StoryIndexPage(IndexPage):
    subpage_types = ["cms.StoryPage"]

    class Meta:
        verbose_name = _("story index")

    def listing(self, request, *, fields, stages):
        from cms.selectors import story_list

        return story_list(parent=self, fields=fields, stages=stages)

    def feed(self, request, feed_type):
        from cms.feeds import StoryFeed

        return StoryFeed(self, feed_type)(request)


class StoryPage(Tagged, ContentPage):
    """A success story: what happened, and the organisations and working groups it features."""

    content_panels = [
        *ContentPage.content_panels,
        MultipleChooserPanel(
            "featured_organisations",
            chooser_field_name="organisation",
            heading=_("Organisations in this story"),
            label=_("Organisation"),
            help_text=_("Linked to their directory profiles."),
        ),
        MultipleChooserPanel(
            "featured_workgroups",
            chooser_field_name="workgroup",
            heading=_("Working groups in this story"),
            label=_("Working group"),
            help_text=_(
                "Readers see a group only if they may see it on the platform: members-only groups to "
                "signed-in members, secret groups to their members alone, and public groups to everyone."
            ),
        ),
        *Tagged.tag_panels,
    ]
    search_fields = [*ContentPage.search_fields, *Tagged.tag_search_fields]
    parent_page_types = ["cms.StoryIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("success story")
        verbose_name_plural = _("success stories")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import story_featured

        context = super().get_context(request, *args, **kwargs)
        context.update(story_featured(story=self, viewer=request.user))
        return context


class StoryOrganisation(Orderable):
    page = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="featured_organisations")
    organisation = models.ForeignKey(
        "community.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [FieldPanel("organisation")]

    class Meta(Orderable.Meta):
        verbose_name = _("organisation in a story")
        verbose_name_plural = _("organisations in a story")


class StoryWorkgroup(Orderable):
    page = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="featured_workgroups")
    workgroup = models.ForeignKey(
        "workgroups.Workgroup",
        verbose_name=_("working group"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [FieldPanel("workgroup")]

    class Meta(Orderable.Meta):
        verbose_name = _("working group in a story")
        verbose_name_plural = _("working groups in a story")
