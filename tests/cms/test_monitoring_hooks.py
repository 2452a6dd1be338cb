"""The monitoring feed hears of every news article and event published or withdrawn."""

import sys
import types

import pytest

from cms import signals
from cms.models import StandardPage
from tests.cms.conftest import add, event, news

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitoring(monkeypatch):
    """Stands in for cms.monitoring.services, recording what it is told."""
    calls = []
    fake = types.ModuleType(signals.MONITORING_SERVICES)
    fake.item_from_page = lambda page: calls.append(
        ("published", page.specific_class.__name__, page.pk)
    )
    fake.item_withdrawn = lambda page: calls.append(
        ("withdrawn", page.specific_class.__name__, page.pk)
    )
    monkeypatch.setitem(sys.modules, signals.MONITORING_SERVICES, fake)
    return calls


def test_publishing_and_unpublishing_news_and_events_tell_the_monitoring_feed(tree, monitoring):
    article = news(tree.news)
    item = event(tree.events)
    assert monitoring == [
        ("published", "NewsArticlePage", article.pk),
        ("published", "EventPage", item.pk),
    ]
    monitoring.clear()
    article.unpublish()
    assert monitoring == [("withdrawn", "NewsArticlePage", article.pk)]


def test_other_pages_are_not_sent(tree, monitoring):
    add(tree.home, StandardPage(title="About", intro="About us."))
    assert monitoring == []


def test_the_page_handed_over_carries_what_the_feed_reads(tree, monkeypatch):
    seen = []
    fake = types.ModuleType(signals.MONITORING_SERVICES)
    fake.item_from_page = seen.append
    monkeypatch.setitem(sys.modules, signals.MONITORING_SERVICES, fake)
    article = news(tree.news, fields=("viral-vectors",), stages=("production",))
    [page] = seen
    assert page.pk == article.pk and page.first_published_at is not None
    assert [f.slug for f in page.fields.all()] == ["viral-vectors"]
    assert [s.slug for s in page.stages.all()] == ["production"]
    assert page.summary_text() == "Vector capacity doubles: the summary."


def test_publishing_works_without_the_monitoring_functions(tree, monkeypatch):
    monkeypatch.setitem(
        sys.modules, signals.MONITORING_SERVICES, types.ModuleType(signals.MONITORING_SERVICES)
    )
    assert news(tree.news).live


def test_a_failing_monitoring_hook_does_not_stop_publishing(tree, monkeypatch, caplog):
    def broken(page):
        raise RuntimeError("feed down")

    fake = types.ModuleType(signals.MONITORING_SERVICES)
    fake.item_from_page = broken
    monkeypatch.setitem(sys.modules, signals.MONITORING_SERVICES, fake)
    article = news(tree.news)
    article.refresh_from_db()
    assert article.live
    assert "monitoring item_from_page failed" in caplog.text
