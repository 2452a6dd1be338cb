from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_BODY_CHARS = 10_000
MAX_GROUP_PARTICIPANTS = 50
MAX_ALIAS_CHARS = 80


class Conversation(models.Model):
    """A thread of messages between participants: direct, a small group, a working group's chat,
    or a partnership's discussion (whose sides may take part under an alias)."""

    class Kind(models.TextChoices):
        DIRECT = "direct", _("Direct")
        GROUP = "group", _("Group")
        WORKGROUP = "workgroup", _("Working group chat")
        PARTNERSHIP = "partnership", _("Partnership discussion")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # "<smaller user id>:<larger user id>" for direct conversations: the same two
    # people always share one conversation, enforced by the unique constraint.
    direct_key = models.CharField(max_length=41, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_message_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["direct_key"], condition=Q(direct_key__isnull=False), name="conversation_direct_unique"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"


class Participant(models.Model):
    """A user in a conversation; `left_at` set means they were removed or left."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # The id of the last message this user has read; only moves forward.
    last_read_id = models.BigIntegerField(default=0)
    # The id of the last message already announced to this user by email.
    last_emailed_id = models.BigIntegerField(default=0)
    email_scheduled = models.BooleanField(default=False)
    # Non-empty: this person appears to the others under this name, never as themselves
    # (messaging.aliases decides who sees what). Cleared by services.conversation_reveal.
    alias = models.CharField(_("alias"), max_length=MAX_ALIAS_CHARS, blank=True, default="")

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["user", "left_at"], name="participant_user_active_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"

    @property
    def active(self) -> bool:
        return self.left_at is None


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="messages")
    body = models.TextField(_("message"), max_length=MAX_BODY_CHARS)
    body_html = models.TextField(editable=False)
    client_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The sender's alias when the message was stored: what was said anonymously stays
    # anonymous after the side reveals itself.
    sender_alias = models.CharField(_("sender's alias"), max_length=MAX_ALIAS_CHARS, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [models.UniqueConstraint(fields=["sender", "client_id"], name="message_sender_client_id_unique")]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_id_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.conversation_id}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class Block(models.Model):
    """`blocker` no longer receives messages from `blocked`."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique")]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class Report(models.Model):
    """A message reported to the platform's moderators."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    reason = models.TextField(_("reason"), max_length=2000)
    # What the message said when reported, kept even if its author edits or deletes it.
    body_snapshot = models.TextField(editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_reporter")]

    def __str__(self) -> str:
        return f"Report on {self.message_id} by {self.reporter}"


class Notification(models.Model):
    """Something a user should know about; other apps create them through messaging.notify()."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=1000, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # Groups repeated notifications (e.g. one per conversation) so that a burst shows once.
    group_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}"
