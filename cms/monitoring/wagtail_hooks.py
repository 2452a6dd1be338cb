"""The monitoring feed in Wagtail's admin (/cms/): editors manage feeds and rules and correct items' tags.

Wagtail's Editors and Moderators groups get the permissions in migration 0003.
Items are never added by hand: they come from the feeds and from published pages.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from cms.monitoring.models import ExternalFeed, FeedItem, TaggingRule


class FeedItemPermissionPolicy(ModelPermissionPolicy):
    """As for any model, except that nobody adds items by hand: feeds and pages bring them."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a != "add"])


# Registered before any viewset asks for the model's policy.
register_permission_policy(FeedItem, FeedItemPermissionPolicy(FeedItem))


class FeedItemForm(WagtailAdminModelForm):
    """An editor's change of fields or stages locks the tags: the rules leave them alone."""

    def save(self, commit=True):
        item = super().save(commit=commit)
        if commit and {"fields", "stages"} & set(self.changed_data) and not item.tags_locked:
            FeedItem.objects.filter(pk=item.pk).update(tags_locked=True)
            item.tags_locked = True
        return item


class RuleForm(WagtailAdminModelForm):
    def save(self, commit=True):
        rule = super().save(commit=commit)
        if commit:
            from cms.monitoring.admin import retag_after_commit

            retag_after_commit()
        return rule


class RelatedIndexView(IndexView):
    """A listing that reads its rows' foreign keys in the same query."""

    related: tuple[str, ...] = ()

    def get_base_queryset(self):
        return super().get_base_queryset().select_related(*self.related)


class FeedItemIndexView(RelatedIndexView):
    related = ("feed",)


class TaggingRuleIndexView(RelatedIndexView):
    related = ("field", "stage")


class ExternalFeedViewSet(ModelViewSet):
    model = ExternalFeed
    icon = "link"
    menu_label = _("External feeds")
    list_display = (
        "name",
        "url",
        "active",
        "last_status",
        "consecutive_failures",
        "last_fetched_at",
        "item_count",
    )
    list_filter = ("active", "last_status")
    search_fields = ("name", "url")
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False  # else every item saved queues a reference-index task
    panels = [
        FieldPanel("name"),
        FieldPanel("url"),
        FieldPanel("active"),
        MultiFieldPanel(
            [FieldPanel("fields"), FieldPanel("stages")],
            heading=_("Tags every item of this feed gets"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("last_status", read_only=True),
                        FieldPanel("last_http_status", read_only=True),
                    ]
                ),
                FieldPanel("last_error", read_only=True),
                FieldRowPanel(
                    [
                        FieldPanel("last_fetched_at", read_only=True),
                        FieldPanel("last_success_at", read_only=True),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("consecutive_failures", read_only=True),
                        FieldPanel("item_count", read_only=True),
                    ]
                ),
            ],
            heading=_("Last fetch"),
        ),
    ]


class FeedItemViewSet(ModelViewSet):
    model = FeedItem
    index_view_class = FeedItemIndexView
    icon = "list-ul"
    menu_label = _("Feed items")
    list_display = ("title", "kind", "feed", "published_at", "tags_locked", "hidden")
    list_filter = ("kind", "feed", "tags_locked", "hidden")
    search_fields = ("title", "link")
    ordering = ("-published_at", "-id")
    copy_view_enabled = False
    add_to_reference_index = False  # else every item saved queues a reference-index task
    inspect_view_enabled = True
    edit_handler = ObjectList(
        [
            FieldPanel("title", read_only=True),
            FieldPanel("link", read_only=True),
            FieldPanel("published_at", read_only=True),
            FieldPanel("summary", read_only=True),
            FieldPanel("fields"),
            FieldPanel("stages"),
            FieldPanel(
                "tags_locked",
                help_text=_(
                    "Set when you change the tags; clear it to give the item back to the rules."
                ),
            ),
            FieldPanel("hidden"),
        ],
        base_form_class=FeedItemForm,
    )


class TaggingRuleViewSet(ModelViewSet):
    model = TaggingRule
    index_view_class = TaggingRuleIndexView
    icon = "tag"
    menu_label = _("Tagging rules")
    list_display = ("__str__", "field", "stage", "active")
    list_filter = ("active", "field", "stage")
    search_fields = ("keywords", "note")
    copy_view_enabled = False
    add_to_reference_index = False  # else every item saved queues a reference-index task
    edit_handler = ObjectList(
        [
            FieldPanel("keywords"),
            FieldRowPanel([FieldPanel("field"), FieldPanel("stage")]),
            FieldPanel("active"),
            FieldPanel("note"),
        ],
        base_form_class=RuleForm,
    )


class MonitoringViewSetGroup(ModelViewSetGroup):
    menu_label = _("Monitoring feed")
    menu_icon = "site"
    items = (ExternalFeedViewSet, FeedItemViewSet, TaggingRuleViewSet)


@hooks.register("register_admin_viewset")
def register_monitoring_viewsets():
    return MonitoringViewSetGroup()
