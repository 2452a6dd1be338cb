"""Platform moderators review calls here; everything else is read-only history."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.errors import ServiceError
from partnerships import services
from partnerships.models import Call, Partnership, Response, SavedSearch


class ReadOnly(admin.ModelAdmin):
    """Rows that only the services write: the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(ReadOnly):
    list_display = ["title", "organisation", "kind", "status", "deadline", "anonymous", "response_count"]
    list_filter = ["status", "kind", "anonymous", "audience"]
    search_fields = ["title", "summary", "organisation__name"]
    date_hierarchy = "deadline"
    actions = ["approve", "send_back"]

    def _review(self, request, queryset, approve: bool):
        done = 0
        for call in queryset:
            try:
                services.call_review(actor=request.user, call=call, approve=approve)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{call}: {exc.message}", level=messages.WARNING)
        if done:
            self.message_user(request, ngettext("%d call reviewed.", "%d calls reviewed.", done) % done)

    @admin.action(description=_("Approve and publish the calls waiting for review"), permissions=["view"])
    def approve(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("Send back to draft"), permissions=["view"])
    def send_back(self, request, queryset):
        self._review(request, queryset, False)


@admin.register(Response)
class ResponseAdmin(ReadOnly):
    list_display = ["call", "organisation", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["call__title", "organisation__name"]


@admin.register(Partnership)
class PartnershipAdmin(ReadOnly):
    list_display = ["publisher", "partner", "call", "started_on", "publisher_shows", "partner_shows"]
    search_fields = ["publisher__name", "partner__name", "call__title"]


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnly):
    list_display = ["name", "user", "notify", "created_at"]
