"""The monitoring feed in the platform admin (/admin/); editors have the same in /cms/ (wagtail_hooks)."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cms.monitoring import services
from cms.monitoring.models import ExternalFeed, FeedItem, TaggingRule


def retag_after_commit() -> None:
    """Rules changed: the items no editor corrected are tagged again, by the worker."""
    from cms.monitoring.tasks import retag_items

    transaction.on_commit(retag_items.enqueue, robust=True)


@admin.register(ExternalFeed)
class ExternalFeedAdmin(admin.ModelAdmin):
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
    filter_horizontal = ("fields", "stages")
    readonly_fields = (
        "last_status",
        "last_http_status",
        "last_error",
        "last_fetched_at",
        "last_success_at",
        "consecutive_failures",
        "item_count",
        "etag",
        "last_modified",
    )
    fieldsets = (
        (None, {"fields": ("name", "url", "active", "fields", "stages")}),
        (_("Last fetch"), {"fields": readonly_fields}),
    )
    actions = ("fetch_now",)

    @admin.action(description=_("Fetch the selected feeds now"))
    def fetch_now(self, request, queryset):
        for feed in queryset:
            report = services.feed_fetch(feed=feed)
            if report.ok:
                self.message_user(
                    request,
                    _("%(feed)s: %(created)d new items, %(duplicates)d duplicates left out.")
                    % {
                        "feed": feed.name,
                        "created": report.created,
                        "duplicates": report.duplicates,
                    },
                    messages.SUCCESS,
                )
            elif report.skipped:
                self.message_user(
                    request,
                    _("%(feed)s is being read by the worker right now.") % {"feed": feed.name},
                    messages.WARNING,
                )
            else:
                self.message_user(request, f"{feed.name}: {report.error}", messages.ERROR)


@admin.register(FeedItem)
class FeedItemAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "feed", "published_at", "tags_locked", "hidden")
    list_select_related = ("feed",)
    list_filter = ("kind", "feed", "tags_locked", "hidden", "fields")
    search_fields = ("title", "link")
    date_hierarchy = "published_at"
    filter_horizontal = ("fields", "stages")
    fields = (
        "title",
        "link",
        "kind",
        "feed",
        "page",
        "published_at",
        "summary",
        "fields",
        "stages",
        "tags_locked",
        "hidden",
    )
    readonly_fields = ("title", "link", "kind", "feed", "page", "published_at", "summary")
    actions = ("give_back_to_rules", "hide", "show")

    def has_add_permission(self, request):
        return False  # items come from feeds and pages

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if {"fields", "stages"} & set(form.changed_data) and not form.instance.tags_locked:
            # An editor's correction: the rules must not undo it.
            FeedItem.objects.filter(pk=form.instance.pk).update(tags_locked=True)

    @admin.action(description=_("Give the tags back to the rules"))
    def give_back_to_rules(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(tags_locked=False)
        services.items_retag(items=ids)
        self.message_user(
            request,
            ngettext(
                "%d item tagged by the rules again.",
                "%d items tagged by the rules again.",
                len(ids),
            )
            % len(ids),
        )

    @admin.action(description=_("Hide the selected items"))
    def hide(self, request, queryset):
        queryset.update(hidden=True)

    @admin.action(description=_("Show the selected items"))
    def show(self, request, queryset):
        queryset.update(hidden=False)


@admin.register(TaggingRule)
class TaggingRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "field", "stage", "active")
    list_select_related = ("field", "stage")
    list_filter = ("active", "field", "stage")
    search_fields = ("keywords", "note")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        retag_after_commit()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        retag_after_commit()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        retag_after_commit()
