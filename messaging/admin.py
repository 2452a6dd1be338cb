"""Moderators see reported messages here, and only those: conversations stay private."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.errors import ServiceError
from messaging import services
from messaging.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reporter", "reported_author", "excerpt", "status", "handled_by"]
    list_filter = ["status"]
    search_fields = ["reason", "body_snapshot", "reporter__email"]
    readonly_fields = ["message", "reporter", "reported_author", "reason", "body_snapshot", "status", "created_at", "handled_by", "handled_at"]
    fields = readonly_fields
    actions = ["resolve", "dismiss"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter", "message__sender", "handled_by")

    @admin.display(description=_("author of the message"))
    def reported_author(self, report):
        return report.message.sender

    @admin.display(description=_("message"))
    def excerpt(self, report):
        return report.body_snapshot[:80]

    def _handle(self, request, queryset, status):
        done = 0
        for report in queryset:
            try:
                services.report_resolve(actor=request.user, report=report, status=status)
                done += 1
            except ServiceError as exc:
                self.message_user(request, exc.message, level=messages.WARNING)
        self.message_user(request, ngettext("%d report handled.", "%d reports handled.", done) % done)

    @admin.action(description=_("Mark as resolved (action taken)"), permissions=["change"])
    def resolve(self, request, queryset):
        self._handle(request, queryset, Report.Status.RESOLVED)

    @admin.action(description=_("Dismiss (nothing wrong)"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._handle(request, queryset, Report.Status.DISMISSED)
