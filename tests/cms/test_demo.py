"""The quick start's demo content: loaded once, marked as demo, every page renders."""

import pytest

from cms import demo
from cms.models import EventPage, HomePage, NewsArticlePage, PanoramaPage, StoryPage
from community.importing.demo import load_demo

pytestmark = pytest.mark.django_db


def test_demo_content_loads_once_and_renders(client, settings, tmp_path):
    load_demo()
    created = demo.load()
    assert created >= 14
    assert demo.load() == 0  # idempotent
    assert NewsArticlePage.objects.live().count() == 4
    assert StoryPage.objects.live().count() == 2
    assert EventPage.objects.live().count() == 3
    panorama = PanoramaPage.objects.get(slug="viral-vectors-in-europe")
    assert panorama.field.slug == "viral-vectors"
    home = HomePage.objects.get()
    assert home.featured_stories.count() == 2
    for page in [
        home,
        panorama,
        *NewsArticlePage.objects.all(),
        *StoryPage.objects.all(),
        *EventPage.objects.all(),
    ]:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
    for page in [*StoryPage.objects.all(), *EventPage.objects.all()]:
        assert "demo" in page.title.lower()
    assert all(e.starts_at > e.first_published_at for e in EventPage.objects.all())
    aav = NewsArticlePage.objects.get(slug="aav-gene-therapies-in-the-eu")
    assert "European Medicines Agency" in client.get(aav.url).content.decode()
