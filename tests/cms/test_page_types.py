"""Where each page type may live, and that every one renders, edits, previews and is created through the admin."""

from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    querydict_from_html,
    rich_text,
    streamfield,
)

from cms.models import (
    EventIndexPage,
    EventPage,
    HomePage,
    NewsArticlePage,
    NewsIndexPage,
    PanoramaIndexPage,
    PanoramaPage,
    StandardPage,
    StoryIndexPage,
    StoryPage,
)
from community.models import Field, Stage
from tests.cms.conftest import add, event, make_image, news, story
from tests.factories import OrganisationFactory, UserFactory


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_holds_the_sections(self):
        self.assertAllowedSubpageTypes(
            HomePage,
            {NewsIndexPage, StoryIndexPage, EventIndexPage, PanoramaIndexPage, StandardPage},
        )
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_each_section_holds_its_own_kind(self):
        self.assertAllowedSubpageTypes(NewsIndexPage, {NewsArticlePage})
        self.assertAllowedSubpageTypes(StoryIndexPage, {StoryPage})
        self.assertAllowedSubpageTypes(EventIndexPage, {EventPage})
        self.assertAllowedSubpageTypes(PanoramaIndexPage, {PanoramaPage})
        self.assertCanCreateAt(StandardPage, StandardPage)
        self.assertCanNotCreateAt(HomePage, NewsArticlePage)
        self.assertCanNotCreateAt(NewsIndexPage, EventPage)
        self.assertCanNotCreateAt(NewsArticlePage, NewsArticlePage)
        self.assertCanNotCreateAt(StandardPage, NewsArticlePage)


class EveryPageTypeTests(WagtailPageTestCase):
    """assertPageIsRenderable, assertPageIsEditable and assertPageIsPreviewable on one page of each type."""

    @classmethod
    def setUpTestData(cls):
        cls.editor = UserFactory(email="editor@platform.example", is_staff=True, is_superuser=True)
        home = HomePage.objects.get()
        cls.home = home
        cls.news_index = add(home, NewsIndexPage(title="News", slug="news"))
        cls.story_index = add(home, StoryIndexPage(title="Stories", slug="stories"))
        cls.event_index = add(home, EventIndexPage(title="Events", slug="events"))
        cls.panorama_index = add(home, PanoramaIndexPage(title="Panoramas", slug="panorama"))
        cls.standard = add(
            home, StandardPage(title="About", slug="about", intro="What the platform is.")
        )
        image = make_image()
        cls.article = news(cls.news_index, listing_image=image)
        cls.story = story(cls.story_index, organisations=[OrganisationFactory(name="Vector Works")])
        cls.event = event(cls.event_index)
        cls.panorama = add(
            cls.panorama_index,
            PanoramaPage(
                title="Viral vectors in Europe",
                intro="The sector.",
                field=Field.objects.get(slug="viral-vectors"),
            ),
        )

    def pages(self):
        return [
            self.home,
            self.news_index,
            self.story_index,
            self.event_index,
            self.panorama_index,
            self.standard,
            self.article,
            self.story,
            self.event,
            self.panorama,
        ]

    def test_every_page_renders(self):
        for page in self.pages():
            with self.subTest(page=type(page).__name__):
                self.assertPageIsRenderable(page.specific)

    def edit_form_data(self, page):
        """The edit form as the browser posts it.

        The admin builds StreamField inputs in JavaScript, so the HTML holds
        none: an empty body stands in for them (assertPageIsEditable undoes the post).
        """
        self.client.force_login(self.editor)
        html = self.client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
        data = querydict_from_html(html, form_id="page-edit-form").copy()
        if hasattr(page, "body"):
            data.update(nested_form_data({"body": streamfield([])}))
        data["action-publish"] = "action-publish"
        return data

    def test_every_page_is_editable(self):
        for page in self.pages():
            with self.subTest(page=type(page).__name__):
                page = page.specific
                self.assertPageIsEditable(
                    page, post_data=self.edit_form_data(page), user=self.editor
                )

    def test_every_page_is_previewable(self):
        for page in self.pages():
            with self.subTest(page=type(page).__name__):
                page = page.specific
                self.assertPageIsPreviewable(
                    page, post_data=self.edit_form_data(page), user=self.editor
                )

    def test_routes_render(self):
        self.assertPageIsRoutable(self.home, "search/")
        self.assertPageIsRenderable(self.home, "search/", query_data={"q": "vector"})
        self.assertPageIsRoutable(self.news_index, "feed/rss/")
        self.assertPageIsRenderable(self.news_index, "feed/atom/")
        self.assertPageIsRenderable(self.event, "ics/")
        self.assertPageIsRenderable(self.event_index, "calendar/")

    def test_a_news_article_is_created_and_tagged_through_the_admin(self):
        self.client.force_login(self.editor)
        viral, production = (
            Field.objects.get(slug="viral-vectors"),
            Stage.objects.get(slug="production"),
        )
        data = nested_form_data(
            {
                "title": "Fill-finish line opens",
                "intro": "A new line for vectors.",
                "body": streamfield(
                    [
                        ("heading", {"text": "What changes", "level": "h2"}),
                        ("paragraph", rich_text("<p>Twice the capacity.</p>")),
                        (
                            "fact_box",
                            {
                                "title": "",
                                "facts": streamfield(
                                    [("item", {"figure": "2x", "label": "capacity"})]
                                ),
                                "source": "",
                            },
                        ),
                    ]
                ),
            }
        )
        # The checkboxes post one value per ticked box (nested_form_data would number them).
        data.update({"fields": [viral.pk], "stages": [production.pk]})
        self.assertCanCreate(self.news_index, NewsArticlePage, data)
        page = NewsArticlePage.objects.get(title="Fill-finish line opens")
        assert page.live
        assert list(page.fields.all()) == [viral]
        assert list(page.stages.all()) == [production]
        assert [block.block_type for block in page.body] == ["heading", "paragraph", "fact_box"]

    def test_a_story_is_created_with_its_organisations_through_the_admin(self):
        self.client.force_login(self.editor)
        org = OrganisationFactory(name="Plasmid Partners")
        self.assertCanCreate(
            self.story_index,
            StoryPage,
            nested_form_data(
                {
                    "title": "Plasmids for everyone",
                    "intro": "How it went.",
                    "body": streamfield([]),
                    "featured_organisations": inline_formset([{"organisation": org.pk}]),
                    "featured_workgroups": inline_formset([]),
                }
            ),
        )
        page = StoryPage.objects.get(title="Plasmids for everyone")
        assert [link.organisation for link in page.featured_organisations.all()] == [org]
