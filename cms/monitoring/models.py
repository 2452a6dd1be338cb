"""The monitoring feed: external feeds, the items they and the CMS pages bring, tagging rules.

Every item is public news; what makes the feed personal is the selection
(selectors.feed_items_for), driven by the shared taxonomy of fields and stages.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Field, Stage


class ExternalFeed(models.Model):
    """An RSS or Atom feed that editors want read; fetched on a schedule (tasks.fetch_due_feeds)."""

    class Status(models.TextChoices):
        NEVER = "", _("Not fetched yet")
        OK = "ok", _("Fetched")
        NOT_MODIFIED = "not-modified", _("Unchanged since the last fetch")
        HTTP_ERROR = "http-error", _("The server answered with an error")
        TIMEOUT = "timeout", _("Timed out")
        TOO_LARGE = "too-large", _("Too large")
        MALFORMED = "malformed", _("Not a readable feed")
        NETWORK = "network-error", _("Could not reach the server")

    name = models.CharField(
        _("name"), max_length=160, help_text=_("Shown beside its items, e.g. “EMA news”.")
    )
    url = models.URLField(
        _("feed address"),
        max_length=500,
        unique=True,
        help_text=_("The RSS or Atom address (http or https)."),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active feeds are fetched.")
    )
    fields = models.ManyToManyField(
        Field,
        verbose_name=_("fields of every item"),
        blank=True,
        related_name="external_feeds",
        help_text=_(
            "For a feed about one field: its items get these fields besides what the tagging rules find."
        ),
    )
    stages = models.ManyToManyField(
        Stage,
        verbose_name=_("stages of every item"),
        blank=True,
        related_name="external_feeds",
        help_text=_("Value-chain stages every item of this feed gets."),
    )
    # What the last fetch learnt; written by services.feed_fetch only.
    etag = models.CharField(_("ETag"), max_length=300, blank=True, editable=False)
    last_modified = models.CharField(_("Last-Modified"), max_length=100, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(
        _("last read successfully"), null=True, blank=True, editable=False
    )
    last_status = models.CharField(
        _("last result"),
        max_length=20,
        choices=Status.choices,
        default=Status.NEVER,
        blank=True,
        editable=False,
    )
    last_http_status = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True, editable=False
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, editable=False
    )
    item_count = models.PositiveIntegerField(_("items"), default=0, editable=False)
    # Set while a worker reads the feed, so two workers never read it at once.
    fetch_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("external feed")
        verbose_name_plural = _("external feeds")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.url and not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": _("Only http and https addresses can be fetched.")})

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


class FeedItem(models.Model):
    """One piece of news: a published CMS page or an entry of an external feed."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News from the platform")
        EVENT = "event", _("Event")
        STORY = "story", _("Success story")
        PAGE = "page", _("Page of the platform")
        EXTERNAL = "external", _("External source")

    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.EXTERNAL, db_index=True
    )
    feed = models.ForeignKey(
        ExternalFeed,
        verbose_name=_("feed"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="items",
    )
    page = models.OneToOneField(
        "wagtailcore.Page",
        verbose_name=_("page"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="monitoring_item",
    )
    # Absolute for external items, the page's path for pages: the de-duplication key.
    link = models.CharField(_("link"), max_length=1000, unique=True)
    guid = models.CharField(_("identifier at the source"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=500)
    # services.normalise_title(title): folded words, the second de-duplication key.
    normalised_title = models.CharField(max_length=500, db_index=True, editable=False)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Plain text."))
    published_at = models.DateTimeField(_("published"), db_index=True)
    fields = models.ManyToManyField(
        Field, verbose_name=_("fields"), blank=True, related_name="feed_items"
    )
    stages = models.ManyToManyField(
        Stage, verbose_name=_("value-chain stages"), blank=True, related_name="feed_items"
    )
    tags_locked = models.BooleanField(
        _("tags corrected by an editor"),
        default=False,
        help_text=_("Tagging rules leave the fields and stages of a corrected item alone."),
    )
    hidden = models.BooleanField(
        _("hidden"),
        default=False,
        help_text=_("Hidden items are shown nowhere (an unpublished page, an off-topic entry)."),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("feed item")
        verbose_name_plural = _("feed items")
        indexes = [models.Index(fields=["-published_at", "-id"], name="feeditem_newest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(feed__isnull=True) | Q(page__isnull=True), name="feeditem_one_source"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_external(self) -> bool:
        return self.kind == self.Kind.EXTERNAL

    @property
    def source_name(self) -> str:
        if self.feed_id:
            return self.feed.name
        return str(settings.SITE_NAME) if not self.is_external else ""


class TaggingRule(models.Model):
    """Words that, found in an external item's title or summary, tag it with a field or a stage."""

    keywords = models.TextField(
        _("keywords"),
        help_text=_(
            "One word or phrase per line. Matched on whole words, without regard to case or accents "
            "(“Lentiviral” finds “lentiviral”, “CAR-T” finds “CAR T”). A * at the start or end of a word "
            "stands for any letters: “lentivir*” finds lentivirus and lentiviral, “*mab” finds adalimumab."
        ),
    )
    field = models.ForeignKey(
        Field,
        verbose_name=_("field"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tagging_rules",
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tagging_rules",
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Why the rule exists, for other editors."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["field__name", "stage__position", "pk"]
        verbose_name = _("tagging rule")
        verbose_name_plural = _("tagging rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(field__isnull=False) & Q(stage__isnull=True))
                | (Q(field__isnull=True) & Q(stage__isnull=False)),
                name="taggingrule_one_target",
            )
        ]

    def __str__(self) -> str:
        words = ", ".join(self.keyword_list()[:4])
        return f"{self.target} ← {words}"

    @property
    def target(self):
        return self.field if self.field_id else self.stage

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in (self.keywords or "").splitlines() if line.strip()]

    def clean(self):
        from cms.monitoring.tagging import keyword_problem

        super().clean()
        errors = {}
        if bool(self.field_id) == bool(self.stage_id):
            errors["field"] = _("Choose a field or a stage, not both.")
        words = self.keyword_list()
        if not words:
            errors["keywords"] = _("Enter at least one word or phrase.")
        problems = [p for p in (keyword_problem(w) for w in words) if p]
        if problems:
            errors["keywords"] = problems
        if errors:
            raise ValidationError(errors)


class WeeklyDigest(models.Model):
    """That one person's weekly email for one week has left: sending twice is impossible."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday (UTC) of the week the email covers the end of.")
    sent_at = models.DateTimeField(default=timezone.now)
    items = models.PositiveSmallIntegerField(default=0)
    calls = models.PositiveSmallIntegerField(default=0)
    activities = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("weekly digest sent")
        verbose_name_plural = _("weekly digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="weeklydigest_once_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"
