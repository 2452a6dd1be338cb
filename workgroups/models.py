from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Field, Organisation
from workgroups.storage import private_storage


class Workgroup(models.Model):
    """A working group: a space with members, roles, discussions, documents, meetings and a chat."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: every member of the platform reads it")
        MEMBERS = "members", _("Members only: listed, content for its members")
        SECRET = "secret", _("Secret: invisible to non-members")

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("Open: anyone may join")
        REQUEST = "request", _("On request: a moderator approves")
        INVITE = "invite", _("Invitation only")

    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    description_html = models.TextField(editable=False, blank=True)
    fields = models.ManyToManyField(Field, verbose_name=_("fields"), blank=True, related_name="workgroups")
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("linked organisations"), blank=True, related_name="workgroups"
    )
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS)
    join_policy = models.CharField(_("who may join"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.REQUEST)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The group's live chat: its participants are always exactly the active members.
    conversation = models.OneToOneField(
        "messaging.Conversation", on_delete=models.SET_NULL, null=True, blank=True, related_name="workgroup"
    )
    # Kept by the membership services, so lists need no COUNT per group.
    member_count = models.PositiveIntegerField(default=0)
    # Bytes of all document versions, against settings.WORKGROUP_STORAGE_QUOTA_BYTES.
    storage_used = models.BigIntegerField(default=0)
    search_document = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        permissions = [
            ("view_workgroup_content", _("Can read the group's discussions, documents, meetings and chat")),
            ("participate_workgroup", _("Can post, upload, answer meetings and chat in the group")),
            ("moderate_workgroup", _("Can moderate the group and decide who joins")),
            ("manage_workgroup", _("Can edit the group and change roles")),
        ]
        indexes = [
            models.Index(fields=["visibility", "name"], name="workgroup_visibility_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("workgroups:detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MODERATOR = "moderator", _("Moderator")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PENDING = "pending", _("Waiting for approval")
        INVITED = "invited", _("Invited")

    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workgroup_memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    request_message = models.TextField(_("message"), max_length=1000, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("working-group membership")
        verbose_name_plural = _("working-group memberships")
        constraints = [models.UniqueConstraint(fields=["workgroup", "user"], name="workgroup_membership_unique")]
        indexes = [
            models.Index(fields=["user", "status"], name="wg_membership_user_idx"),
            models.Index(fields=["workgroup", "status", "role"], name="wg_membership_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workgroup} ({self.role}, {self.status})"


class EmailInvitation(models.Model):
    """An invitation to someone not yet on the platform; signing up with this email completes it."""

    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="email_invitations")
    email = models.EmailField(_("email address"))
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("email invitation")
        verbose_name_plural = _("email invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["workgroup", "email"], condition=Q(accepted_at__isnull=True), name="wg_invitation_open_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.workgroup}"


class Thread(models.Model):
    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=20_000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    announcement = models.BooleanField(_("announcement"), default=False)

    class Meta:
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions")
        indexes = [models.Index(fields=["workgroup", "-pinned", "-last_activity_at"], name="thread_group_order_idx")]

    def __str__(self) -> str:
        return self.title


class Reply(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("reply"), max_length=20_000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(_("hidden by a moderator"), default=False)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["thread", "id"], name="reply_thread_idx")]

    def __str__(self) -> str:
        return f"Reply {self.pk} to {self.thread_id}"


class ThreadFollow(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_follow_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.thread_id}"


class Document(models.Model):
    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    current_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["workgroup", "-updated_at"], name="document_group_idx")]

    def __str__(self) -> str:
        return self.title


def version_path(instance: "DocumentVersion", filename: str) -> str:
    # Never the uploaded name on disk: it is kept in original_name and sent as the download name.
    import uuid

    return f"workgroups/{instance.document.workgroup_id}/{uuid.uuid4().hex}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(storage=private_storage, upload_to=version_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.BigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class Meeting(models.Model):
    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Brussels")
    place = models.CharField(_("place"), max_length=300, blank=True)
    link = models.URLField(_("online link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), max_length=10_000, blank=True)
    agenda_html = models.TextField(editable=False, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change: the .ics SEQUENCE, so calendars replace the old copy.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["workgroup", "starts_at"], name="meeting_group_idx")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Response(models.TextChoices):
        YES = "yes", _("I will attend")
        MAYBE = "maybe", _("Maybe")
        NO = "no", _("I will not attend")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    response = models.CharField(max_length=5, choices=Response.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.response} to {self.meeting_id}"
