"""The weekly email: new items in the person's fields, new calls for them, activity in their groups.

Who gets it is the notification preference "monitoring.weekly" (see
notifications.py): "off" and "in the app only" send nothing; the two email
choices send it once a week. Everything in it is read through the same
selectors as the pages: calls through partnerships' `calls_for_you`, group
activity only from groups where the person is an active member.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cms.monitoring import selectors
from cms.monitoring.models import FeedItem
from community.models import OrganisationMembership, User
from messaging.notifications import Delivery, preference

KIND = "monitoring.weekly"
MAX_ITEMS = 12
MAX_CALLS = 8
MAX_PER_GROUP = 5


@dataclass
class GroupEntry:
    kind: str  # "thread", "document", "meeting"
    title: str
    url: str
    at: datetime  # when it happened; for a meeting, when it starts
    created_at: datetime


@dataclass
class GroupActivity:
    name: str
    url: str
    entries: list[GroupEntry] = field(default_factory=list)
    more: int = 0


@dataclass
class DigestContent:
    items: list[FeedItem]
    items_total: int
    calls: list  # partnerships.selectors.Match
    groups: list[GroupActivity]
    since: datetime
    until: datetime

    @property
    def empty(self) -> bool:
        return not (self.items or self.calls or any(g.entries for g in self.groups))


def wants_digest(user: User) -> bool:
    return user.is_active and preference(user, KIND) in (Delivery.IMMEDIATE, Delivery.DIGEST)


def recipients() -> QuerySet[User]:
    """Active people with something that could fill a digest: fields followed, an
    organisation, or a working group. Preferences are checked per person (wants_digest)."""
    from workgroups.models import Membership

    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(Exists(User.interests.through.objects.filter(user_id=OuterRef("pk"))))
            | Q(Exists(OrganisationMembership.objects.filter(user_id=OuterRef("pk"))))
            | Q(
                Exists(
                    Membership.objects.filter(
                        user_id=OuterRef("pk"), status=Membership.Status.ACTIVE
                    )
                )
            )
        )
        .order_by("pk")
    )


def _new_calls(user: User, since: datetime) -> list:
    from partnerships.selectors import calls_for_you

    # Filtered in the query: a new call must not be lost behind older, better-scored ones.
    matches, _total = calls_for_you(user, limit=MAX_CALLS, published_since=since)
    return matches


def _group_activity(user: User, since: datetime, until: datetime) -> list[GroupActivity]:
    """What others started in the person's groups: discussions, documents, meetings."""
    from django.urls import reverse

    from workgroups.models import Document, Meeting, Membership, Thread, Workgroup

    group_ids = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).values(
        "workgroup_id"
    )
    groups = {
        g.pk: g for g in Workgroup.objects.filter(pk__in=group_ids).only("id", "name", "slug")
    }
    if not groups:
        return []
    window = {"workgroup_id__in": list(groups), "created_at__gte": since, "created_at__lt": until}
    entries: dict[int, list[GroupEntry]] = {pk: [] for pk in groups}
    for t in (
        Thread.objects.filter(**window, deleted_at__isnull=True, hidden=False)
        .exclude(author=user)
        .only("id", "title", "workgroup_id", "created_at")
    ):
        slug = groups[t.workgroup_id].slug
        entries[t.workgroup_id].append(
            GroupEntry(
                "thread",
                t.title,
                reverse("workgroups:thread", kwargs={"slug": slug, "thread_id": t.pk}),
                t.created_at,
                t.created_at,
            )
        )
    for d in (
        Document.objects.filter(**window, deleted_at__isnull=True)
        .exclude(created_by=user)
        .only("id", "title", "workgroup_id", "created_at")
    ):
        slug = groups[d.workgroup_id].slug
        entries[d.workgroup_id].append(
            GroupEntry(
                "document",
                d.title,
                reverse("workgroups:document-detail", kwargs={"slug": slug, "document_id": d.pk}),
                d.created_at,
                d.created_at,
            )
        )
    for m in (
        Meeting.objects.filter(**window, cancelled_at__isnull=True)
        .exclude(created_by=user)
        .only("id", "title", "workgroup_id", "created_at", "starts_at")
    ):
        slug = groups[m.workgroup_id].slug
        entries[m.workgroup_id].append(
            GroupEntry(
                "meeting",
                m.title,
                reverse("workgroups:meeting-detail", kwargs={"slug": slug, "meeting_id": m.pk}),
                m.starts_at,
                m.created_at,
            )
        )
    activity = []
    for pk, group in sorted(groups.items(), key=lambda kv: kv[1].name):
        found = sorted(entries[pk], key=lambda e: e.created_at, reverse=True)
        if found:
            activity.append(
                GroupActivity(
                    group.name,
                    group.get_absolute_url(),
                    found[:MAX_PER_GROUP],
                    max(0, len(found) - MAX_PER_GROUP),
                )
            )
    return activity


def digest_for(user: User, *, since: datetime, now: datetime | None = None) -> DigestContent:
    now = now or timezone.now()
    prefs = selectors.preferences_of(user)
    items_qs = selectors.items_since(prefs, since=since, until=now)
    items = list(selectors.item_cards(items_qs)[:MAX_ITEMS])
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    for item in items:
        item.reasons = prefs.reasons(item)
        item.full_link = (
            item.link if item.link.startswith(("http://", "https://")) else base_url + item.link
        )
    total = len(items) if len(items) < MAX_ITEMS else items_qs.count()
    return DigestContent(
        items=items,
        items_total=total,
        calls=_new_calls(user, since),
        groups=_group_activity(user, since, now),
        since=since,
        until=now,
    )


def _zone(user: User):
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def render_digest(user: User, content: DigestContent) -> tuple[str, str, str]:
    """(subject, text, html) in the person's language and time zone."""
    language = user.language or settings.LANGUAGE_CODE
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    context = {
        "site_name": settings.SITE_NAME,
        "base_url": base_url,
        "user": user,
        "digest": content,
        "groups_total": sum(len(g.entries) + g.more for g in content.groups),
    }
    with translation.override(language), timezone.override(_zone(user)):
        subject = " ".join(render_to_string("monitoring/email/weekly_subject.txt", context).split())
        text = render_to_string("monitoring/email/weekly.txt", context)
        html = render_to_string("monitoring/email/weekly.html", context)
    return subject, text, html


def email_digest_on_commit(user: User, content: DigestContent) -> None:
    subject, text, html = render_digest(user, content)

    def send():
        message = EmailMultiAlternatives(subject, text, None, [user.email])
        message.attach_alternative(html, "text/html")
        message.send()

    transaction.on_commit(send, robust=True)
