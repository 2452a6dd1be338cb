"""Every write of the monitoring feed: fetching feeds, items from pages, tags, interests.

De-duplication: an item is one link (unique), and one story told by several
sources is one item: an entry whose normalised title matches an item
published within DUPLICATE_WINDOW is the same news and is not stored again.
A page of the platform wins over an external entry telling the same news.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.monitoring import fetching
from cms.monitoring.models import ExternalFeed, FeedItem
from cms.monitoring.tagging import Ruleset, Tags, normalise_text
from community.errors import NotAllowed, ServiceError
from community.models import Field, User

logger = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(days=30)
# Titles shorter than this many words ("Newsletter", "Weekly update") say too little to merge items on.
TITLE_MIN_WORDS = 3
# A worker that died mid-fetch leaves its claim; another may take the feed after this.
STALE_CLAIM = timedelta(minutes=15)


def normalise_title(title: str) -> str:
    return normalise_text(title)[:500]


def _title_is_a_key(normalised: str) -> bool:
    return len(normalised.split()) >= TITLE_MIN_WORDS


def _duplicate_of(
    *, link: str, normalised: str, published_at, exclude_pk: int | None = None
) -> FeedItem | None:
    """The stored item telling this news already: same link, or same title near the same date."""
    qs = FeedItem.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    match = qs.filter(link=link).first()
    if match is None and _title_is_a_key(normalised):
        match = (
            qs.filter(
                normalised_title=normalised,
                published_at__range=(
                    published_at - DUPLICATE_WINDOW,
                    published_at + DUPLICATE_WINDOW,
                ),
            )
            .order_by("published_at", "pk")
            .first()
        )
    return match


# Fetching external feeds


@dataclass
class FetchReport:
    feed_id: int
    status: str
    created: int = 0
    duplicates: int = 0
    error: str = ""
    skipped: bool = False  # another worker held the feed

    @property
    def ok(self) -> bool:
        return self.status in (ExternalFeed.Status.OK, ExternalFeed.Status.NOT_MODIFIED)


def _claim(feed_id: int) -> bool:
    now = timezone.now()
    return bool(
        ExternalFeed.objects.filter(pk=feed_id)
        .filter(Q(fetch_started_at__isnull=True) | Q(fetch_started_at__lt=now - STALE_CLAIM))
        .update(fetch_started_at=now)
    )


def feed_fetch(*, feed: ExternalFeed, ruleset: Ruleset | None = None) -> FetchReport:
    """Reads one feed and stores its new entries, tagged; records the outcome on the feed.

    Never raises for what the feed or the network does: a bad feed is a report
    with an error, written on the feed (last_error, consecutive_failures).
    """
    if not _claim(feed.pk):
        return FetchReport(feed.pk, feed.last_status, skipped=True)
    try:
        try:
            download = fetching.download(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            if download.status == 304:
                report = FetchReport(feed.pk, ExternalFeed.Status.NOT_MODIFIED)
                _record(feed, report, http_status=304)
                return report
            entries = fetching.parse(download.body, base_url=download.url)
        except fetching.FetchError as exc:
            report = FetchReport(feed.pk, exc.status, error=exc.message)
            _record(feed, report, http_status=exc.http_status)
            return report
        except Exception as exc:  # a bug or a parser crash must not stop the other feeds
            logger.exception("Reading feed %s failed", feed.pk)
            report = FetchReport(
                feed.pk, ExternalFeed.Status.MALFORMED, error=f"Unexpected error: {exc!r}"[:1000]
            )
            _record(feed, report, http_status=None)
            return report
        report = FetchReport(feed.pk, ExternalFeed.Status.OK)
        _store_entries(feed, entries, ruleset or Ruleset.active(), report)
        _record(
            feed,
            report,
            http_status=download.status,
            etag=download.etag,
            last_modified=download.last_modified,
        )
        return report
    finally:
        ExternalFeed.objects.filter(pk=feed.pk).update(fetch_started_at=None)


def _record(
    feed: ExternalFeed, report: FetchReport, *, http_status, etag=None, last_modified=None
) -> None:
    now = timezone.now()
    feed.last_fetched_at = now
    feed.last_status = report.status
    feed.last_http_status = http_status
    feed.last_error = report.error
    if report.ok:
        feed.last_success_at = now
        feed.consecutive_failures = 0
    else:
        feed.consecutive_failures += 1
    if etag is not None:
        feed.etag, feed.last_modified = etag, last_modified or ""
    feed.item_count = FeedItem.objects.filter(feed=feed).count()
    ExternalFeed.objects.filter(pk=feed.pk).update(
        last_fetched_at=feed.last_fetched_at,
        last_success_at=feed.last_success_at,
        last_status=feed.last_status,
        last_http_status=feed.last_http_status,
        last_error=feed.last_error,
        consecutive_failures=feed.consecutive_failures,
        etag=feed.etag,
        last_modified=feed.last_modified,
        item_count=feed.item_count,
    )


def _store_entries(
    feed: ExternalFeed, entries: list[fetching.Entry], ruleset: Ruleset, report: FetchReport
) -> None:
    feed_fields = set(feed.fields.values_list("pk", flat=True))
    feed_stages = set(feed.stages.values_list("pk", flat=True))
    seen_links, seen_titles = set(), set()
    for entry in entries:
        normalised = normalise_title(entry.title)
        # Within the feed first (a feed listing one story twice), then against what is stored.
        if entry.link in seen_links or (_title_is_a_key(normalised) and normalised in seen_titles):
            report.duplicates += 1
            continue
        seen_links.add(entry.link)
        seen_titles.add(normalised)
        if _duplicate_of(link=entry.link, normalised=normalised, published_at=entry.published_at):
            report.duplicates += 1
            continue
        tags = ruleset.tags_for(entry.title, entry.summary)
        try:
            with transaction.atomic():
                item = FeedItem.objects.create(
                    kind=FeedItem.Kind.EXTERNAL,
                    feed=feed,
                    link=entry.link,
                    guid=entry.guid,
                    title=entry.title,
                    normalised_title=normalised,
                    summary=entry.summary,
                    published_at=entry.published_at,
                )
                tags_set(item, Tags(tags.fields | feed_fields, tags.stages | feed_stages))
        except IntegrityError:  # stored meanwhile by another source
            report.duplicates += 1
            continue
        report.created += 1


def tags_set(item: FeedItem, tags: Tags) -> None:
    """Sets an item's fields and stages (callers decide whether rules or an editor speak)."""
    item.fields.set(sorted(tags.fields))
    item.stages.set(sorted(tags.stages))


def feeds_due(*, now=None) -> list[ExternalFeed]:
    """Active feeds whose turn has come: every interval, less often while they keep failing.

    A failing feed waits interval x 2^(failures - 1), at most a day, so a dead
    server is not hammered and a recovered one is read again soon.
    """
    from cms.monitoring.tasks import fetch_interval

    now = now or timezone.now()
    interval = fetch_interval()
    due = []
    for feed in ExternalFeed.objects.filter(active=True).order_by("last_fetched_at", "pk"):
        if feed.last_fetched_at is None:
            due.append(feed)
            continue
        wait = (
            interval * (2 ** max(0, feed.consecutive_failures - 1))
            if feed.consecutive_failures
            else interval
        )
        wait = min(wait, max(interval, timedelta(days=1)))
        # A little slack, so a run a few seconds early still takes the feed.
        if feed.last_fetched_at + wait - timedelta(minutes=1) <= now:
            due.append(feed)
    return due


# Items from the CMS's pages


def _page_kind(page) -> str:
    name = type(page).__name__.lower()
    for needle, kind in (
        ("event", FeedItem.Kind.EVENT),
        ("stor", FeedItem.Kind.STORY),
        ("news", FeedItem.Kind.NEWS),
    ):
        if needle in name:
            return kind
    return FeedItem.Kind.PAGE


def _page_link(page) -> str:
    url = getattr(page, "url", None) or ""
    if not url and hasattr(page, "get_url"):
        url = page.get_url() or ""
    return url[:1000] or f"/page/{page.pk}/"


def _page_summary(page) -> str:
    summary = (
        page.summary_text()
        if hasattr(page, "summary_text")
        else getattr(page, "search_description", "")
    )
    return fetching.plain_text(summary or "", limit=fetching.SUMMARY_CHARS)


def _ids(manager) -> set[int]:
    return {obj.pk for obj in manager.all()} if manager is not None else set()


def item_from_page(page) -> FeedItem | None:
    """Makes the feed item of a published page agree with the page (called on every publish).

    Fields and stages are the page's own (its editors chose them); a later
    publish updates title, summary, link and tags. An external entry telling
    the same news (same link or title) becomes the page's item.
    """
    page = getattr(page, "specific", page)
    if not getattr(page, "live", True):
        return item_withdrawn(page)
    title = (page.title or "")[:500]
    normalised = normalise_title(title)
    link = _page_link(page)
    published_at = (
        getattr(page, "first_published_at", None)
        or getattr(page, "last_published_at", None)
        or timezone.now()
    )
    tags = Tags(_ids(getattr(page, "fields", None)), _ids(getattr(page, "stages", None)))
    values = {
        "kind": _page_kind(page),
        "feed": None,
        "link": link,
        "guid": "",
        "title": title,
        "normalised_title": normalised,
        "summary": _page_summary(page),
        "published_at": published_at,
        "hidden": False,
    }
    with transaction.atomic():
        item = FeedItem.objects.select_for_update().filter(page_id=page.pk).first()
        if item is None:
            item = _duplicate_of(link=link, normalised=normalised, published_at=published_at)
            if item is not None and item.page_id:
                item = None  # another page with that title: both stay
        # Another stored item with this link (a page moved onto an old address) gives way.
        clash = FeedItem.objects.filter(link=link).exclude(pk=item.pk if item else None).first()
        if clash is not None:
            clash.delete()
        if item is None:
            item = FeedItem(page_id=page.pk, **values)
            item.save()
        else:
            previous_feed = item.feed_id
            for name, value in values.items():
                setattr(item, name, value)
            item.page_id = page.pk
            item.tags_locked = False
            item.save()
            if previous_feed:
                _recount(previous_feed)
        tags_set(item, tags)
    return item


def item_withdrawn(page) -> None:
    """Hides the item of an unpublished page; a later publish shows it again."""
    FeedItem.objects.filter(page_id=page.pk).update(hidden=True, updated_at=timezone.now())


def _recount(feed_id: int) -> None:
    ExternalFeed.objects.filter(pk=feed_id).update(
        item_count=FeedItem.objects.filter(feed_id=feed_id).count()
    )


# Tags: the rules, and editors' corrections


def items_retag(*, items=None, ruleset: Ruleset | None = None) -> int:
    """Applies the active rules again to external items whose tags no editor corrected.

    Returns how many items changed. Run after the rules change.
    """
    ruleset = ruleset or Ruleset.active()
    qs = FeedItem.objects.filter(kind=FeedItem.Kind.EXTERNAL, tags_locked=False)
    if items is not None:
        qs = qs.filter(pk__in=[i.pk if hasattr(i, "pk") else i for i in items])
    qs = qs.select_related("feed").prefetch_related(
        "fields", "stages", "feed__fields", "feed__stages"
    )
    changed = 0
    for item in qs.iterator(chunk_size=500):
        tags = ruleset.tags_for(item.title, item.summary)
        if item.feed_id:
            tags.fields |= _ids(item.feed.fields)
            tags.stages |= _ids(item.feed.stages)
        if tags.fields != _ids(item.fields) or tags.stages != _ids(item.stages):
            with transaction.atomic():
                tags_set(item, tags)
            changed += 1
    return changed


def can_correct_tags(user: User) -> bool:
    return bool(user and user.is_active and user.has_perm("monitoring.change_feeditem"))


def item_tags_correct(*, actor: User, item: FeedItem, fields, stages) -> FeedItem:
    """An editor sets an item's fields and stages; the rules leave them alone from then on."""
    if not can_correct_tags(actor):
        raise NotAllowed(_("Only editors can correct the tags of feed items."))
    with transaction.atomic():
        item = FeedItem.objects.select_for_update().get(pk=item.pk)
        tags_set(item, Tags({f.pk for f in fields}, {s.pk for s in stages}))
        item.tags_locked = True
        item.save(update_fields=["tags_locked", "updated_at"])
    return item


def item_tags_unlock(*, actor: User, item: FeedItem, ruleset: Ruleset | None = None) -> FeedItem:
    """Gives an item back to the rules: its tags are computed again now."""
    if not can_correct_tags(actor):
        raise NotAllowed(_("Only editors can correct the tags of feed items."))
    FeedItem.objects.filter(pk=item.pk).update(tags_locked=False)
    if item.kind == FeedItem.Kind.EXTERNAL:
        items_retag(items=[item.pk], ruleset=ruleset)
    item.refresh_from_db()
    return item


# Following fields from the feed


@dataclass
class InterestChange:
    field: Field
    following: bool
    changed: bool


def interest_follow(*, actor: User, user: User, field: Field) -> InterestChange:
    """Adds `field` to the user's fields of interest (their own only)."""
    if actor.pk != user.pk:
        raise NotAllowed(_("You can only change your own fields of interest."))
    if not isinstance(field, Field):
        raise ServiceError(_("Unknown field."))
    changed = not user.interests.filter(pk=field.pk).exists()
    if changed:
        user.interests.add(field)
    return InterestChange(field=field, following=True, changed=changed)


def interest_unfollow(*, actor: User, user: User, field: Field) -> InterestChange:
    """Removes `field` from the user's fields of interest."""
    if actor.pk != user.pk:
        raise NotAllowed(_("You can only change your own fields of interest."))
    changed = user.interests.filter(pk=field.pk).exists()
    if changed:
        user.interests.remove(field)
    return InterestChange(field=field, following=False, changed=changed)
