"""The platform admins' tools: taxonomy, organisations, claims, targets, users.

Actions that change roles or badges call the services, so permissions stay
in step with what the admin decided.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import search, services
from community.errors import ServiceError
from community.models import (
    ClaimRequest,
    CoverageTarget,
    Field,
    Organisation,
    OrganisationMembership,
    Stage,
    User,
)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "euroscivoc_code", "position"]
    list_filter = ["category"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["role", "created_at"]
    fields = ["user", "role", "listed", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Roles carry object permissions: they change through the organisation's own pages.
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "city", "verified", "claimed", "source", "created_at"]
    list_filter = ["verified", "claimed", "kind", "source", "country"]
    search_fields = ["name", "normalised_name", "website_domain", "city"]
    readonly_fields = ["verified", "claimed", "claimed_at", "website_domain", "created_at", "updated_at"]
    filter_horizontal = ["stages", "fields"]
    inlines = [MembershipInline]
    actions = ["mark_verified", "mark_unverified"]
    list_per_page = 50
    show_full_result_count = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        search.index(Organisation.objects.filter(pk=form.instance.pk))

    def _set_verified(self, request, queryset, verified: bool):
        for organisation in queryset:
            services.organisation_set_verified(actor=request.user, organisation=organisation, verified=verified)
        self.message_user(request, ngettext("%d organisation updated.", "%d organisations updated.", queryset.count()) % queryset.count())

    @admin.action(description=_("Mark as verified"), permissions=["change"])
    def mark_verified(self, request, queryset):
        self._set_verified(request, queryset, True)

    @admin.action(description=_("Remove the verified badge"), permissions=["change"])
    def mark_unverified(self, request, queryset):
        self._set_verified(request, queryset, False)


@admin.register(ClaimRequest)
class ClaimRequestAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "user__email"]
    readonly_fields = ["organisation", "user", "message", "status", "created_at", "decided_at", "decided_by"]
    actions = ["approve", "decline"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, decide):
        done = 0
        for claim in queryset:
            try:
                decide(actor=request.user, claim=claim)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{claim}: {exc.message}", level=messages.WARNING)
        if done:
            self.message_user(request, ngettext("%d claim decided.", "%d claims decided.", done) % done)

    @admin.action(description=_("Approve: the claimant becomes an admin of the organisation"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, services.claim_request_approve)

    @admin.action(description=_("Decline"), permissions=["change"])
    def decline(self, request, queryset):
        self._decide(request, queryset, services.claim_request_decline)


@admin.register(CoverageTarget)
class CoverageTargetAdmin(admin.ModelAdmin):
    list_display = ["country", "estimated_actors", "source"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "job_title", "bio", "avatar", "interests", "language", "time_zone", "profile_visibility")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ["groups", "user_permissions", "interests"]
