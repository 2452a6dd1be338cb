"""Background work of the monitoring feed, run by the task worker (`manage.py db_worker`).

Two self-rescheduling tasks, started by `manage.py schedule_monitoring` (run
at start-up by scripts/serve) like the daily digest:

- `fetch_due_feeds` every MONITORING_FETCH_INTERVAL_MINUTES (default 60):
  enqueues `fetch_feed` for each feed whose turn has come, so one slow or
  broken feed never holds up the others;
- `send_weekly_digests` every week, on MONITORING_WEEKLY_DIGEST_WEEKDAY
  (0 = Monday, the default) at DIGEST_HOUR_UTC.
"""

import logging
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)


def fetch_interval() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "MONITORING_FETCH_INTERVAL_MINUTES", 60)))


def _path(t) -> str:
    return f"{t.func.__module__}.{t.func.__qualname__}"


def _schedule(t, run_after) -> bool:
    """Enqueues `t` to run at `run_after` unless a run is already waiting. Only the database
    backend can defer; elsewhere the task is run by calling it (tests, the command)."""
    backend = t.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=_path(t), status="READY").exists():
        return False
    t.using(run_after=run_after).enqueue()
    return True


# Feeds


@task()
def fetch_feed(*, feed_id: int) -> dict:
    """Reads one external feed (see services.feed_fetch); never raises for a bad feed."""
    from cms.monitoring import services
    from cms.monitoring.models import ExternalFeed

    feed = ExternalFeed.objects.filter(pk=feed_id, active=True).first()
    if feed is None:
        return {"feed": feed_id, "status": "inactive"}
    report = services.feed_fetch(feed=feed)
    return {
        "feed": feed_id,
        "status": report.status,
        "created": report.created,
        "duplicates": report.duplicates,
        "error": report.error,
    }


@task()
def fetch_due_feeds() -> int:
    """Enqueues a fetch of every feed whose turn has come, then the next run. Returns how many."""
    from cms.monitoring import services

    enqueued = 0
    try:
        for feed in services.feeds_due():
            try:
                fetch_feed.enqueue(feed_id=feed.pk)
                enqueued += 1
            except Exception:  # one feed's trouble never stops the others
                logger.exception("Could not fetch feed %s", feed.pk)
    finally:
        schedule_next_fetch()
    return enqueued


def schedule_next_fetch(*, soon: bool = False) -> bool:
    """The next run after one interval; `soon` (at start-up): in a minute."""
    return _schedule(
        fetch_due_feeds, timezone.now() + (timedelta(minutes=1) if soon else fetch_interval())
    )


@task()
def retag_items() -> int:
    """Applies the tagging rules again to the items no editor corrected (after a rule changed)."""
    from cms.monitoring import services

    return services.items_retag()


# Weekly digest


def week_of(moment: datetime):
    """The Monday (UTC) of the week `moment` falls in: the digest's once-a-week key."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def next_weekly_digest_time(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    weekday = int(getattr(settings, "MONITORING_WEEKLY_DIGEST_WEEKDAY", 0))
    hour = int(getattr(settings, "DIGEST_HOUR_UTC", 6))
    at = datetime.combine(now.astimezone(UTC).date(), time(hour), tzinfo=UTC)
    at += timedelta(days=(weekday - at.weekday()) % 7)
    return at if at > now else at + timedelta(days=7)


def schedule_next_weekly_digest() -> bool:
    return _schedule(send_weekly_digests, next_weekly_digest_time())


@task()
def send_weekly_digests() -> int:
    """One email a week to each person who wants it and has something new in it. Returns how
    many left. Nobody gets an empty one, nor two for the same week. Re-enqueues itself."""
    from cms.monitoring import digest

    sent = 0
    try:
        now = timezone.now()
        for user in digest.recipients().iterator(chunk_size=200):
            try:
                if send_weekly_digest(user=user, now=now):
                    sent += 1
            except Exception:  # one person's trouble never stops the others' emails
                logger.exception("Weekly digest for user %s failed", user.pk)
    finally:
        schedule_next_weekly_digest()
    return sent


def send_weekly_digest(*, user, now: datetime | None = None) -> bool:
    """Sends `user` this week's digest if they want it, it has content, and it has not left yet."""
    from cms.monitoring import digest
    from cms.monitoring.models import WeeklyDigest

    now = now or timezone.now()
    if not digest.wants_digest(user):
        return False
    week = week_of(now)
    last = (
        WeeklyDigest.objects.filter(user=user)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    since = max(now - timedelta(days=7), last) if last else now - timedelta(days=7)
    content = digest.digest_for(user, since=since, now=now)
    if content.empty:
        return False
    try:
        with transaction.atomic():
            WeeklyDigest.objects.create(
                user=user,
                week=week,
                sent_at=now,
                items=len(content.items),
                calls=len(content.calls),
                activities=sum(len(g.entries) for g in content.groups),
            )
            digest.email_digest_on_commit(user, content)
    except IntegrityError:  # already sent this week (a second run)
        return False
    return True
