"""RSS and Atom feeds for news and events, and the sitemap."""

import xml.etree.ElementTree as ET

import pytest
from wagtail.models import PageViewRestriction

from tests.cms.conftest import event, news

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (the site's own output)


def test_news_rss_lists_live_public_articles_newest_first(client, tree):
    news(tree.news, "First", fields=("viral-vectors",), stages=("production",))
    news(tree.news, "Second")
    news(tree.news, "Draft", live=False)
    private = news(tree.news, "Private")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/news/feed/rss/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = xml(response.content).find("channel")
    assert channel.findtext("title") == "News · BioManufacturing Europe"
    assert channel.findtext("link") == "http://testserver/news/"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Second", "First"]
    first = items[1]
    assert first.findtext("link") == "http://testserver/news/first/"
    assert first.findtext("guid") == "http://testserver/news/first/"
    assert first.findtext("description") == "First: the summary."
    assert first.findtext("pubDate")
    assert [c.text for c in first.findall("category")] == ["Viral vectors", "Production"]


def test_news_atom_feed(client, tree):
    news(tree.news, "First")
    response = client.get("/news/feed/atom/")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = xml(response.content)
    assert feed.tag == f"{ATOM}feed"
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "First"
    assert entry.find(f"{ATOM}link").get("href") == "http://testserver/news/first/"
    assert entry.findtext(f"{ATOM}published") and entry.findtext(f"{ATOM}updated")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://testserver/news/feed/atom/"


def test_events_feeds_list_upcoming_events_with_when_and_where(client, tree):
    event(tree.events, "Workshop", days=5)
    event(tree.events, "Gone", days=-5)
    channel = xml(client.get("/events/feed/rss/").content).find("channel")
    [item] = channel.findall("item")
    assert item.findtext("title").endswith("· Workshop")
    assert "(Europe/Vienna)" in item.findtext(
        "description"
    ) and "Vector Hall, Vienna, Austria" in item.findtext("description")
    assert xml(client.get("/events/feed/atom/").content).tag == f"{ATOM}feed"


def test_feeds_are_announced_in_the_page_head(client, tree):
    html = client.get("/news/").content.decode()
    assert (
        '<link rel="alternate" type="application/rss+xml" title="News (RSS)" href="/news/feed/rss/">'
        in html
    )
    assert (
        '<link rel="alternate" type="application/atom+xml" title="News (Atom)" href="/news/feed/atom/">'
        in html
    )
    assert 'type="application/rss+xml"' in client.get("/").content.decode()


def test_sitemap_lists_live_public_pages_on_the_readers_host(client, tree):
    article = news(tree.news, "Listed")
    draft = news(tree.news, "Unlisted draft", live=False)
    private = news(tree.news, "Unlisted private")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = {
        u.findtext(f"{ns}loc"): u.findtext(f"{ns}lastmod")
        for u in xml(response.content).findall(f"{ns}url")
    }
    assert "http://testserver/" in urls
    assert f"http://testserver{article.url}" in urls and urls[f"http://testserver{article.url}"]
    assert "http://testserver/news/" in urls and "http://testserver/events/" in urls
    assert not any(draft.slug in u or private.slug in u for u in urls)
