"""Feed items from the CMS's pages: one per published page, in step with it, hidden when withdrawn."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Page

from cms.monitoring import services
from cms.monitoring.models import ExternalFeed, FeedItem
from community.models import Field, Stage

pytestmark = pytest.mark.django_db


def tags(item: FeedItem) -> tuple[set[str], set[str]]:
    return set(item.fields.values_list("slug", flat=True)), set(
        item.stages.values_list("slug", flat=True)
    )


@pytest.fixture
def news_index():
    from cms.models import HomePage, NewsIndexPage

    home = HomePage.objects.first()
    index = NewsIndexPage(title="News", slug="news-test")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def publish_news(index, title: str, *, fields=(), stages=(), intro="A summary."):
    from cms.models import NewsArticlePage

    page = NewsArticlePage(title=title, intro=intro, live=False)
    page.fields = list(Field.objects.filter(slug__in=fields))
    page.stages = list(Stage.objects.filter(slug__in=stages))
    index.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


class TestNewsArticles:
    def test_publishing_makes_one_item_with_the_page_tags(self, news_index):
        page = publish_news(
            news_index,
            "Danube Vector Works doubles its AAV capacity",
            fields=("viral-vectors", "fill-finish"),
            stages=("production",),
        )
        item = services.item_from_page(page)  # what the CMS's publish signal calls
        assert FeedItem.objects.filter(page=page).count() == 1
        assert item.kind == "news" and item.feed is None and not item.hidden
        assert item.link == page.url and item.link.endswith(
            "/danube-vector-works-doubles-its-aav-capacity/"
        )
        assert item.summary == "A summary." and item.published_at == page.first_published_at
        assert tags(item) == ({"viral-vectors", "fill-finish"}, {"production"})

    def test_the_publish_signal_calls_it(self, news_index):
        page = publish_news(news_index, "Signal test article", fields=("mrna",))
        item = FeedItem.objects.get(page=page)
        assert tags(item)[0] == {"mrna"}

    def test_republishing_keeps_it_in_step(self, news_index):
        page = publish_news(news_index, "First title of the article", fields=("mrna",))
        first = services.item_from_page(page)
        page.title = "Second title of the article"
        page.intro = "A new summary."
        page.fields = list(Field.objects.filter(slug__in=["vaccines"]))
        page.save_revision().publish()
        page.refresh_from_db()
        item = services.item_from_page(page)
        assert item.pk == first.pk and FeedItem.objects.count() == 1
        assert item.title == "Second title of the article" and item.summary == "A new summary."
        assert tags(item)[0] == {"vaccines"}
        assert item.published_at == first.published_at  # first publication: the news's date

    def test_unpublishing_hides_and_republishing_shows(self, news_index):
        page = publish_news(news_index, "An article soon withdrawn", fields=("mrna",))
        services.item_from_page(page)
        page.unpublish()
        services.item_withdrawn(page)
        assert FeedItem.objects.get(page=page).hidden
        page.save_revision().publish()
        page.refresh_from_db()
        services.item_from_page(page)
        assert not FeedItem.objects.get(page=page).hidden

    def test_deleting_the_page_deletes_the_item(self, news_index):
        page = publish_news(news_index, "An article soon deleted", fields=("mrna",))
        services.item_from_page(page)
        page.delete()
        assert not FeedItem.objects.exists()

    def test_the_page_takes_over_an_external_entry_of_the_same_news(self, news_index):
        feed = ExternalFeed.objects.create(name="Elsewhere", url="https://example.org/feed.xml")
        FeedItem.objects.create(
            feed=feed,
            link="https://example.org/aav",
            title="DANUBE VECTOR WORKS doubles its AAV capacity!",
            normalised_title=services.normalise_title(
                "DANUBE VECTOR WORKS doubles its AAV capacity!"
            ),
            published_at=timezone.now() - timedelta(days=1),
        )
        page = publish_news(
            news_index, "Danube Vector Works doubles its AAV capacity", fields=("viral-vectors",)
        )
        item = services.item_from_page(page)
        assert FeedItem.objects.count() == 1
        assert item.page_id == page.pk and item.feed is None and item.kind == "news"
        feed.refresh_from_db()
        assert feed.item_count == 0


class TestPageLikeObjects:
    def test_any_page_with_fields_stages_and_a_summary(self):
        from cms.models import HomePage

        home = HomePage.objects.first()
        page = home.add_child(instance=Page(title="Cell therapy week in Vienna", slug="ct-week"))

        class Tags:
            def __init__(self, *objects):
                self.objects = objects

            def all(self):
                return self.objects

        page.fields = Tags(Field.objects.get(slug="cell-therapy"))
        page.stages = Tags(Stage.objects.get(slug="training"))
        page.summary_text = lambda: "<p>Three days of <b>hands-on</b> training.</p>"
        page.first_published_at = timezone.now()
        item = services.item_from_page(page)
        assert item.kind == "page" and item.summary == "Three days of hands-on training."
        assert tags(item) == ({"cell-therapy"}, {"training"})
        page.live = False
        services.item_from_page(page)  # an unpublished page is withdrawn
        assert FeedItem.objects.get(pk=item.pk).hidden
