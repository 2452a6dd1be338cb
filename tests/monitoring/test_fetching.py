"""Fetching real feed files from a local HTTP server: good, duplicated, unchanged, bad, huge, slow."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cms.monitoring import fetching, services
from cms.monitoring.models import ExternalFeed, FeedItem
from community.models import Field, Stage

pytestmark = pytest.mark.django_db

EPAR = "https://www.ema.europa.eu/en/medicines/human/EPAR/"


def feed(server, path: str, name: str | None = None, **extra) -> ExternalFeed:
    return ExternalFeed.objects.create(name=name or path, url=server.url + path, **extra)


def slugs(item: FeedItem, attr: str = "fields") -> set[str]:
    return set(getattr(item, attr).values_list("slug", flat=True))


class TestGoodFeeds:
    def test_rss_items_are_stored_tagged_and_dated(self, feed_server, default_rules):
        rss = feed(feed_server, "/feeds/ema_rss.xml", "EMA (test)")
        report = services.feed_fetch(feed=rss)
        assert report.ok and report.created == 5 and report.duplicates == 0
        rss.refresh_from_db()
        assert rss.last_status == "ok" and rss.last_http_status == 200 and rss.last_error == ""
        assert rss.consecutive_failures == 0 and rss.item_count == 5
        assert rss.etag.startswith('"') and rss.last_modified == "Thu, 06 Mar 2025 12:00:00 GMT"

        hympavzi = FeedItem.objects.get(link=EPAR + "hympavzi")
        assert hympavzi.kind == "external" and hympavzi.feed == rss
        assert hympavzi.published_at == datetime(2024, 11, 18, 11, 0, tzinfo=UTC)
        # HTML in the description is gone, entities decoded.
        assert (
            hympavzi.summary.startswith("The European Commission granted")
            and "<" not in hympavzi.summary
        )
        assert "Holder: Pfizer Europe MA EEIG" in hympavzi.summary
        assert slugs(hympavzi) >= {"monoclonal-antibodies"}
        assert slugs(hympavzi, "stages") == {"post-commercialisation"}

        beqvez = FeedItem.objects.get(link=EPAR + "beqvez")
        assert slugs(beqvez) >= {"viral-vectors", "gene-therapy"}
        casgevy = FeedItem.objects.get(link=EPAR + "casgevy")
        assert slugs(casgevy) >= {"cell-therapy", "gene-therapy"}
        mresvia = FeedItem.objects.get(link=EPAR + "mresvia")
        assert slugs(mresvia) >= {"mrna", "vaccines"}
        yesintek = FeedItem.objects.get(link=EPAR + "yesintek")
        assert "biosimilars" in slugs(yesintek)

    def test_atom_dates_links_and_content(self, feed_server, default_rules):
        atom = feed(feed_server, "/feeds/ema_atom.xml")
        report = services.feed_fetch(feed=atom)
        assert report.ok and report.created == 5
        wainzua = FeedItem.objects.get(link=EPAR + "wainzua")
        assert wainzua.published_at == datetime(2025, 3, 6, 11, 0, tzinfo=UTC)
        assert "oligonucleotides" in slugs(wainzua)
        # <published> wins over <updated>; <content> stands in for a missing summary.
        nemluvio = FeedItem.objects.get(link=EPAR + "nemluvio")
        assert nemluvio.published_at == datetime(2025, 2, 12, 11, 0, tzinfo=UTC)
        assert nemluvio.summary.startswith("A monoclonal antibody for atopic dermatitis")
        # A relative link is resolved against the feed's address.
        assert FeedItem.objects.filter(
            link=feed_server.url + "/en/medicines/human/EPAR/flucelvax"
        ).exists()

    def test_a_feed_about_one_field_tags_every_item(self, feed_server, default_rules):
        rss = feed(feed_server, "/feeds/ema_rss.xml")
        rss.fields.add(Field.objects.get(slug="gmp-quality"))
        rss.stages.add(Stage.objects.get(slug="production"))
        services.feed_fetch(feed=rss)
        for item in FeedItem.objects.all():
            assert "gmp-quality" in slugs(item)
            assert "production" in slugs(item, "stages")

    def test_gzip_is_read(self, feed_server, default_rules):
        report = services.feed_fetch(feed=feed(feed_server, "/gzip.xml"))
        assert report.ok and report.created == 5


class TestDuplicates:
    def test_same_link_and_same_title_within_a_feed(self, feed_server, default_rules):
        dup = feed(feed_server, "/feeds/duplicates.xml")
        report = services.feed_fetch(feed=dup)
        assert (report.created, report.duplicates) == (2, 2)
        assert sorted(FeedItem.objects.values_list("title", flat=True)) == [
            "Kavigale (sipavibart) authorised in the EU",
            "Obodence (denosumab) authorised in the EU",
        ]

    def test_across_feeds_by_link_and_by_title_in_another_case_and_accents(
        self, feed_server, default_rules
    ):
        services.feed_fetch(feed=feed(feed_server, "/feeds/ema_rss.xml"))
        report = services.feed_fetch(feed=feed(feed_server, "/feeds/ema_atom.xml"))
        # CASGEVY (Exagamglogène ...) is Casgevy again; the Hympavzi link is already there.
        assert (report.created, report.duplicates) == (3, 2)
        assert FeedItem.objects.filter(normalised_title__startswith="casgevy").count() == 1
        assert (
            FeedItem.objects.filter(link=EPAR + "hympavzi").get().title
            == "Hympavzi (marstacimab) authorised in the EU"
        )

    def test_fetching_again_adds_nothing(self, feed_server, default_rules):
        rss = feed(feed_server, "/feeds/ema_rss.xml")
        services.feed_fetch(feed=rss)
        rss.refresh_from_db()
        rss.etag = rss.last_modified = ""  # as if the server had no validators
        rss.save()
        report = services.feed_fetch(feed=rss)
        assert (report.created, report.duplicates) == (0, 5)
        assert FeedItem.objects.count() == 5

    def test_same_title_months_apart_is_another_story(self, feed_server, default_rules):
        services.feed_fetch(feed=feed(feed_server, "/feeds/duplicates.xml"))
        FeedItem.objects.filter(title__startswith="Obodence").update(
            published_at=timezone.now() - timedelta(days=400),
            link="https://example.org/old-obodence",
        )
        FeedItem.objects.filter(title__startswith="Kavigale").delete()
        other = feed(feed_server, "/feeds/duplicates.xml?again", "again")
        report = services.feed_fetch(feed=other)
        assert (
            report.created == 2
        )  # Kavigale is new again; the old Obodence is too far away to be the same news


class TestConditionalGet:
    def test_unchanged_feed_is_not_read_again(self, feed_server, default_rules):
        rss = feed(feed_server, "/feeds/ema_rss.xml")
        services.feed_fetch(feed=rss)
        rss.refresh_from_db()
        (first,) = feed_server.headers_for("/feeds/ema_rss.xml")
        assert "if-none-match" not in first and "if-modified-since" not in first

        report = services.feed_fetch(feed=rss)
        assert report.status == "not-modified" and report.created == 0
        second = feed_server.headers_for("/feeds/ema_rss.xml")[1]
        assert second["if-none-match"] == rss.etag
        assert second["if-modified-since"] == "Thu, 06 Mar 2025 12:00:00 GMT"
        rss.refresh_from_db()
        assert (
            rss.last_status == "not-modified"
            and rss.last_http_status == 304
            and rss.consecutive_failures == 0
        )
        assert rss.etag and rss.item_count == 5  # validators kept for the next time


class TestBadFeeds:
    @pytest.mark.parametrize(
        ("path", "status", "message"),
        [
            ("/feeds/malformed.xml", "malformed", "not well-formed"),
            ("/feeds/not_a_feed.html", "malformed", "does not serve an RSS or Atom feed"),
            ("/error.xml", "http-error", "HTTP 500"),
            ("/feeds/missing.xml", "http-error", "HTTP 404"),
            ("/huge.xml", "too-large", "larger than 200,000 bytes"),
            ("/huge-stream.xml", "too-large", "larger than 200,000 bytes"),
            ("/slow.xml", "timeout", "No answer within 0.5 seconds"),
            ("/to-file", "http-error", "Redirection"),
        ],
    )
    def test_recorded_on_the_feed_and_never_raised(
        self, feed_server, fast_limits, default_rules, path, status, message
    ):
        bad = feed(feed_server, path)
        started = datetime.now(UTC)
        report = services.feed_fetch(feed=bad)
        assert not report.ok and report.status == status and message in report.error
        assert datetime.now(UTC) - started < timedelta(seconds=5)
        bad.refresh_from_db()
        assert bad.last_status == status and message in bad.last_error
        assert (
            bad.consecutive_failures == 1
            and bad.last_success_at is None
            and bad.fetch_started_at is None
        )
        assert FeedItem.objects.count() == 0
        services.feed_fetch(feed=bad)
        bad.refresh_from_db()
        assert bad.consecutive_failures == 2

    def test_unreachable_server(self, fast_limits, default_rules):
        import socket

        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        dead = ExternalFeed.objects.create(name="dead", url=f"http://127.0.0.1:{port}/feed.xml")
        report = services.feed_fetch(feed=dead)
        assert report.status == "network-error" and "Could not reach" in report.error

    def test_only_http(self):
        with pytest.raises(fetching.FetchError) as caught:
            fetching.download("file:///etc/passwd")
        assert caught.value.status == "network-error"

    def test_a_success_clears_the_failures(self, feed_server, default_rules):
        bad = feed(feed_server, "/error.xml")
        services.feed_fetch(feed=bad)
        bad.url = feed_server.url + "/feeds/ema_rss.xml"
        bad.save()
        bad.refresh_from_db()
        assert services.feed_fetch(feed=bad).ok
        bad.refresh_from_db()
        assert bad.consecutive_failures == 0 and bad.last_error == "" and bad.last_success_at

    def test_one_bad_feed_never_stops_the_others(self, feed_server, fast_limits, default_rules):
        from cms.monitoring.tasks import fetch_due_feeds

        for path in (
            "/feeds/malformed.xml",
            "/slow.xml",
            "/huge.xml",
            "/feeds/ema_rss.xml",
            "/feeds/ema_atom.xml",
        ):
            feed(feed_server, path)
        ExternalFeed.objects.create(
            name="off", url=feed_server.url + "/feeds/duplicates.xml", active=False
        )
        # The immediate backend runs each enqueued fetch at once, as a worker would.
        assert fetch_due_feeds.call() == 5
        assert FeedItem.objects.count() == 8
        assert feed_server.hits("/feeds/duplicates.xml") == 0
        statuses = dict(ExternalFeed.objects.values_list("url", "last_status"))
        assert statuses[feed_server.url + "/feeds/ema_atom.xml"] == "ok"
        assert statuses[feed_server.url + "/slow.xml"] == "timeout"

    def test_a_parser_crash_is_recorded_too(self, feed_server, default_rules, monkeypatch):
        def explode(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(fetching, "parse", explode)
        report = services.feed_fetch(feed=feed(feed_server, "/feeds/ema_rss.xml"))
        assert report.status == "malformed" and "boom" in report.error


class TestSchedule:
    def test_failing_feeds_wait_longer(self, settings):
        settings.MONITORING_FETCH_INTERVAL_MINUTES = 60
        now = timezone.now()
        ExternalFeed.objects.create(name="new", url="https://example.org/a.xml")
        ExternalFeed.objects.create(
            name="ok", url="https://example.org/b.xml", last_fetched_at=now - timedelta(minutes=61)
        )
        ExternalFeed.objects.create(
            name="recent",
            url="https://example.org/c.xml",
            last_fetched_at=now - timedelta(minutes=10),
        )
        ExternalFeed.objects.create(
            name="failing",
            url="https://example.org/d.xml",
            last_fetched_at=now - timedelta(hours=3),
            consecutive_failures=3,
        )
        ExternalFeed.objects.create(
            name="dead",
            url="https://example.org/e.xml",
            last_fetched_at=now - timedelta(hours=25),
            consecutive_failures=30,
        )
        ExternalFeed.objects.create(name="off", url="https://example.org/f.xml", active=False)
        due = {f.name for f in services.feeds_due(now=now)}
        # 3 failures: wait 4 hours; 30 failures: at most a day.
        assert due == {"new", "ok", "dead"}

    def test_claimed_feed_is_skipped(self, feed_server):
        rss = feed(feed_server, "/feeds/ema_rss.xml", fetch_started_at=timezone.now())
        assert services.feed_fetch(feed=rss).skipped
        assert feed_server.hits("/feeds/ema_rss.xml") == 0

    def test_command(self, feed_server, fast_limits, default_rules, capsys):
        feed(feed_server, "/feeds/ema_rss.xml", "Good one")
        feed(feed_server, "/error.xml", "Bad one")
        call_command("fetch_feeds")
        out, err = capsys.readouterr()
        assert "Good one: ok, 5 new, 0 duplicates." in out
        assert "Bad one: http-error: HTTP 500" in err

    @pytest.mark.django_db(transaction=True)
    def test_fetching_reschedules_itself_on_the_database_backend(self, settings):
        from django_tasks_db.models import DBTaskResult

        from cms.monitoring.tasks import fetch_due_feeds, schedule_next_fetch

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        assert schedule_next_fetch(soon=True) is True
        assert schedule_next_fetch() is False  # one waiting run is enough
        DBTaskResult.objects.all().delete()
        fetch_due_feeds.call()
        waiting = DBTaskResult.objects.get(status="READY")
        assert waiting.task_path.endswith("fetch_due_feeds")
        assert waiting.run_after > timezone.now() + timedelta(minutes=50)
