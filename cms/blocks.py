"""The StreamField blocks editors compose pages with."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock

from cms.choosers import organisation_chooser_viewset, workgroup_chooser_viewset

OrganisationChooserBlock = organisation_chooser_viewset.get_block_class(
    name="OrganisationChooserBlock", module_path="cms.blocks"
)
WorkgroupChooserBlock = workgroup_chooser_viewset.get_block_class(
    name="WorkgroupChooserBlock", module_path="cms.blocks"
)

RICH_TEXT_FEATURES = [
    "bold",
    "italic",
    "link",
    "document-link",
    "ol",
    "ul",
    "superscript",
    "subscript",
]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=160)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Section (level 2)")), ("h3", _("Subsection (level 3)"))],
        default="h2",
        help_text=_("The page title is level 1; start sections at level 2."),
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(
        label=_("Image"), help_text=_("Its alt text comes from the image library.")
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)
    wide = blocks.BooleanBlock(label=_("Full width"), required=False, default=False)

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "cms/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"), max_length=800)
    attribution = blocks.CharBlock(label=_("Who said it"), required=False, max_length=160)
    role = blocks.CharBlock(label=_("Their role or organisation"), required=False, max_length=160)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(
        label=_("Button text"),
        max_length=80,
        help_text=_("Say where it leads: “Register for the workshop”."),
    )
    page = blocks.PageChooserBlock(label=_("Page on this site"), required=False)
    url = blocks.URLBlock(label=_("Or an address"), required=False)
    style = blocks.ChoiceBlock(
        label=_("Style"),
        choices=[("primary", _("Main action")), ("secondary", _("Secondary action"))],
        default="primary",
    )

    class Meta:
        icon = "link"
        label = _("Call-to-action button")
        template = "cms/blocks/call_to_action.html"

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("page")) == bool(value.get("url")):
            message = (
                _("Choose a page or give an address, not both.")
                if value.get("page")
                else _("Choose a page or give an address.")
            )
            raise StructBlockValidationError(block_errors={"url": ValidationError(message)})
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        page = value.get("page")
        context["href"] = page.url if page else value.get("url")
        return context


class FactBlock(blocks.StructBlock):
    figure = blocks.CharBlock(
        label=_("Figure"), max_length=40, help_text=_("“2,000 L”, “7”, “€12 million”.")
    )
    label = blocks.CharBlock(label=_("What it counts"), max_length=160)

    class Meta:
        icon = "order"
        label = _("Fact")


class FactBoxBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=120, required=False)
    facts = blocks.ListBlock(FactBlock(), label=_("Facts"), min_num=1, max_num=8)
    source = blocks.CharBlock(
        label=_("Source"),
        required=False,
        max_length=300,
        help_text=_("Where the figures come from."),
    )

    class Meta:
        icon = "table"
        label = _("Fact box")
        template = "cms/blocks/fact_box.html"


class LinkedActorsBlock(blocks.StructBlock):
    """Organisations and working groups, linked to their pages.

    Groups are filtered at render time by what the reader may see: a secret
    group never appears, not even by name, to someone who is not its member.
    """

    title = blocks.CharBlock(label=_("Title"), max_length=120, required=False)
    organisations = blocks.ListBlock(
        OrganisationChooserBlock(), label=_("Organisations"), required=False
    )
    workgroups = blocks.ListBlock(
        WorkgroupChooserBlock(), label=_("Working groups"), required=False
    )

    class Meta:
        icon = "group"
        label = _("Organisations and groups")
        template = "cms/blocks/linked_actors.html"

    def get_context(self, value, parent_context=None):
        from cms.selectors import workgroups_visible_to

        context = super().get_context(value, parent_context)
        request = (parent_context or {}).get("request")
        user = getattr(request, "user", None)
        context["organisations"] = [o for o in value.get("organisations") or [] if o is not None]
        context["workgroups"] = workgroups_visible_to(
            user, [g for g in value.get("workgroups") or [] if g is not None]
        )
        return context


class ContentBlocks(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=RICH_TEXT_FEATURES,
        icon="pilcrow",
        template="cms/blocks/paragraph.html",
    )
    image = CaptionedImageBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    fact_box = FactBoxBlock()
    linked_actors = LinkedActorsBlock()
