"""Partnership calls, the responses to them, and the partnerships they end in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from community.countries import EuropeanCountries
from community.models import Field, Organisation, Stage

MAX_QUESTIONS = 5


class Call(models.Model):
    """What an organisation offers or seeks, published for others to respond to."""

    class Kind(models.TextChoices):
        TECHNOLOGY_OFFER = "technology-offer", _("Technology offer")
        TECHNOLOGY_REQUEST = "technology-request", _("Technology request")
        CAPACITY_OFFER = "capacity-offer", _("Manufacturing capacity offer")
        CAPACITY_REQUEST = "capacity-request", _("Manufacturing capacity request")
        RND_PARTNERSHIP = "rnd-partnership", _("R&D partnership")
        TECH_TRANSFER = "tech-transfer", _("Technology transfer")
        TRAINING = "training", _("Training and skills")
        CONSORTIUM = "consortium", _("Consortium for a funding call")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        EXPIRED = "expired", _("Expired")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Every signed-in member of the platform")
        GROUPS = "groups", _("Members of the working groups I choose")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="calls")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=160)
    summary = models.CharField(_("summary"), max_length=400, help_text=_("One or two sentences, shown in lists."))
    description = models.TextField(_("description"), max_length=10000, blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    topic_reference = models.CharField(
        _("funding topic"), max_length=120, blank=True, help_text=_("For a consortium: the funding call's topic reference.")
    )
    stages = models.ManyToManyField(Stage, verbose_name=_("value-chain stages"), blank=True, related_name="calls")
    fields = models.ManyToManyField(Field, verbose_name=_("fields"), blank=True, related_name="calls")
    # No rows: all of Europe. Kept as rows (not a list column) so matching is an indexed join.
    all_europe = models.BooleanField(_("all of Europe"), default=True, editable=False)
    questions = models.JSONField(_("questions to respondents"), default=list, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    audience = models.CharField(_("who may see it"), max_length=10, choices=Audience.choices, default=Audience.MEMBERS)
    workgroups = models.ManyToManyField(
        "workgroups.Workgroup", verbose_name=_("working groups"), blank=True, related_name="calls"
    )
    anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Our name stays hidden until we accept a response.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_note = models.CharField(_("reviewer's note"), max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    response_count = models.PositiveIntegerField(default=0)
    search_document = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("partnership call")
        verbose_name_plural = _("partnership calls")
        permissions = [("review_call", _("Can review calls before they are published"))]
        indexes = [
            models.Index(fields=["status", "deadline"], name="call_status_deadline_idx"),
            models.Index(fields=["organisation", "status"], name="call_org_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("partnerships:call-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        """Whether responses are taken now: published and before the deadline."""
        return self.status == self.Status.PUBLISHED and self.deadline > timezone.now()


class CallCountry(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="country_rows")
    country = CountryField(countries=EuropeanCountries)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "country"], name="call_country_unique")]
        indexes = [models.Index(fields=["country", "call"], name="call_country_idx")]

    def __str__(self) -> str:
        return str(self.country)


class Response(models.Model):
    """An organisation's answer to a call; the call's owners move it through the workflow."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        SHORTLISTED = "shortlisted", _("Shortlisted")
        IN_DISCUSSION = "in-discussion", _("In discussion")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="call_responses")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    message = models.TextField(_("message"), max_length=5000)
    answers = models.JSONField(_("answers"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.SUBMITTED)
    conversation = models.ForeignKey(
        "messaging.Conversation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [models.UniqueConstraint(fields=["call", "organisation"], name="response_once_per_call")]

    def __str__(self) -> str:
        return f"{self.organisation} -> {self.call}"


class ResponseEvent(models.Model):
    """One move of a response: the board's history."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Partnership(models.Model):
    """What an accepted response records; on both profiles once both sides agree."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="partnership")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="partnerships")
    publisher = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_published")
    partner = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="partnerships_joined")
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    publisher_shows = models.BooleanField(_("shown by the publisher"), default=False)
    partner_shows = models.BooleanField(_("shown by the partner"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        indexes = [
            models.Index(fields=["publisher"], name="partnership_publisher_idx", condition=Q(publisher_shows=True, partner_shows=True)),
            models.Index(fields=["partner"], name="partnership_partner_idx", condition=Q(publisher_shows=True, partner_shows=True)),
        ]

    def __str__(self) -> str:
        return f"{self.publisher} + {self.partner}"

    @property
    def public(self) -> bool:
        return self.publisher_shows and self.partner_shows


class SavedSearch(models.Model):
    """A user's call search, notified when a new call matches it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_call_searches")
    name = models.CharField(_("name"), max_length=120)
    # {"q": str, "kind": [..], "stage": [..], "field": [..], "country": [..]}: the list's own filters.
    query = models.JSONField(default=dict)
    notify = models.BooleanField(_("notify me of new matching calls"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")

    def __str__(self) -> str:
        return self.name
