"""What readers see: public pages without signing in, the home page's sections, tags, meta and Open Graph."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from cms.models import PanoramaPage, StandardPage
from community.models import Field, Stage
from tests.cms.conftest import add, event, make_image, news, story
from tests.factories import UserFactory, organisation_with_admin
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def meta(response, prop: str) -> list[str]:
    html = response.content.decode()
    return [
        unescape(v)
        for v in re.findall(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    ]


def test_public_pages_are_readable_without_signing_in(client, tree):
    article = news(tree.news)
    item = event(tree.events)
    tale = story(tree.stories)
    for page in (
        tree.home,
        tree.news,
        tree.stories,
        tree.events,
        tree.panoramas,
        article,
        item,
        tale,
    ):
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        assert b'id="main"' in response.content


def test_a_draft_and_a_private_page_are_not_public(client, tree):
    from wagtail.models import PageViewRestriction

    draft = news(tree.news, "Not yet", live=False)
    private = news(tree.news, "Members only")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(f"/news/{draft.slug}/").status_code == 404
    assert client.get(private.url).status_code == 302  # to the sign-in page
    listing = text(client.get(tree.news.url))
    assert "Not yet" not in listing and "Members only" not in listing
    assert "Not yet" not in text(client.get("/"))


def test_an_article_shows_its_summary_tags_and_body(client, tree):
    article = news(
        tree.news,
        "Vector capacity doubles",
        fields=("viral-vectors", "fill-finish"),
        stages=("production",),
    )
    page = text(client.get(article.url))
    assert "<h1>Vector capacity doubles</h1>" in page
    assert "Vector capacity doubles: the summary." in page
    assert "The body of Vector capacity doubles." in page
    for tag in ("Viral vectors", "Fill-finish", "Production"):
        assert 'class="tag' in page and f">{tag}</li>" in page
    assert 'aria-label="Breadcrumb"' in page


def test_meta_description_canonical_and_open_graph(client, tree):
    image = make_image()
    article = news(
        tree.news,
        "Vector capacity doubles",
        listing_image=image,
        search_description="Twice the AAV capacity in Vienna.",
    )
    response = client.get(article.url)
    html = response.content.decode()
    assert meta(response, "description") == ["Twice the AAV capacity in Vienna."]
    assert meta(response, "og:title") == ["Vector capacity doubles"]
    assert meta(response, "og:type") == ["article"]
    assert meta(response, "og:url") == [f"http://testserver{article.url}"]
    assert meta(response, "og:description") == ["Twice the AAV capacity in Vienna."]
    assert meta(response, "og:site_name") == ["BioManufacturing Europe"]
    [og_image] = meta(response, "og:image")
    assert og_image.startswith(
        "http://testserver/media/images/"
    ) and "1200x630" in og_image.replace(".", "x")
    assert meta(response, "og:image:alt") == ["Three single-use bioreactors in a clean room"]
    assert meta(response, "twitter:card") == ["summary_large_image"]
    assert meta(response, "article:published_time") == [
        timezone.localtime(article.first_published_at).isoformat()
    ]
    assert meta(response, "article:tag") == ["Viral vectors"]
    assert f'<link rel="canonical" href="http://testserver{article.url}">' in html


def test_summary_text_is_plain_and_short(tree):
    article = news(tree.news, intro="<b>Bold</b> " + "word " * 200, search_description="")
    summary = article.summary_text()
    assert len(summary) <= 300 and "<" not in summary and summary.startswith("Bold word")
    bare = StandardPage(title="x", intro="", body=[("paragraph", "<p>From the <i>body</i>.</p>")])
    assert bare.summary_text() == "From the body."


def test_images_render_as_srcset_renditions_with_their_alt_text(client, tree):
    image = make_image()
    article = news(
        tree.news,
        listing_image=image,
        body=[("image", {"image": image, "caption": "The hall", "wide": False})],
    )
    html = client.get(article.url).content.decode()
    figures = re.findall(r"<img [^>]*>", html)
    assert len(figures) >= 2
    for tag in figures:
        if "srcset" in tag:
            assert 'alt="Three single-use bioreactors in a clean room"' in tag
            assert re.search(r"srcset=\"[^\"]+ 400w, [^\"]+ 720w", tag) or re.search(r"480w", tag)
    assert "<figcaption>The hall" in html


def test_home_page_shows_featured_stories_latest_news_and_upcoming_events(client, tree):
    from cms.models import HomeFeaturedStory

    tale = story(tree.stories, "Plasmids for everyone")
    home = tree.home
    home.featured_stories = [HomeFeaturedStory(story=tale)]
    home.save_revision().publish()
    for n in range(5):
        news(tree.news, f"News number {n}")
    event(tree.events, "Soon", days=3)
    event(tree.events, "Over", days=-3)
    page = text(client.get("/"))
    assert "Plasmids for everyone" in page
    assert (
        "News number 4" in page and "News number 1" in page and "News number 0" not in page
    )  # the latest four
    assert "Soon" in page and "Over" not in page
    assert "Calls for you" not in page  # signed-out readers have no calls


def test_home_marks_news_in_the_members_fields_and_shows_calls_for_them(client, tree):
    from partnerships.models import Call
    from partnerships.services import call_create

    member = UserFactory()
    member.interests.set(Field.objects.filter(slug="viral-vectors"))
    news(tree.news, "AAV in Vienna", fields=("viral-vectors",))
    news(tree.news, "Antibodies in Copenhagen", fields=("monoclonal-antibodies",))
    publisher = organisation_with_admin(name="Vector Buyers", country="FR")
    admin = publisher.memberships.get().user
    call_create(
        actor=admin,
        organisation=publisher,
        kind=Call.Kind.CAPACITY_REQUEST,
        title="We seek AAV fill-finish capacity",
        summary="Two batches.",
        description="Details.",
        stages=list(Stage.objects.filter(slug="production")),
        fields=list(Field.objects.filter(slug="viral-vectors")),
        deadline=timezone.now() + timedelta(days=30),
        publish=True,
    )
    client.force_login(member)
    page = text(client.get("/"))
    assert "Calls for you" in page
    assert "We seek AAV fill-finish capacity" in page
    assert re.search(r"Why you see this:</span> Viral vectors", page)
    assert re.search(r"AAV in Vienna.*?In your fields:</span> Viral vectors", page)
    antibodies = page.split("Antibodies in Copenhagen", 1)[1].split("</li>", 1)[0]
    assert "In your fields" not in antibodies


@pytest.mark.parametrize("signed_in", [False, True])
def test_home_page_costs_the_same_for_2_and_10_articles(client, tree, signed_in):
    if signed_in:
        member = UserFactory()
        member.interests.set(Field.objects.filter(slug__in=["viral-vectors", "gene-therapy"]))
        client.force_login(member)
    image = make_image()
    counts = []
    for total in (2, 10):
        while len(tree.news.get_children()) < total:
            n = len(tree.news.get_children())
            news(
                tree.news,
                f"Article {n}",
                listing_image=image,
                fields=("viral-vectors", "gene-therapy"),
                stages=("production", "research"),
            )
            event(tree.events, f"Event {n}", days=n + 1)
        client.get("/")  # renditions are made on the first view
        count, response = queries_for(lambda: client.get("/"))
        assert response.status_code == 200
        counts.append(count)
    assert counts[0] == counts[1], counts


def test_panorama_shows_live_figures_map_calls_and_tagged_news(client, tree):
    from tests.factories import OrganisationFactory

    viral = Field.objects.get(slug="viral-vectors")
    for country in ("AT", "AT", "DE"):
        OrganisationFactory(country=country).fields.add(viral)
    OrganisationFactory(country="FR")  # not in the field
    news(tree.news, "AAV in Vienna", fields=("viral-vectors",))
    news(tree.news, "Antibodies", fields=("monoclonal-antibodies",))
    event(tree.events, "Vector workshop", fields=("viral-vectors",))
    panorama = add(
        tree.panoramas,
        PanoramaPage(title="Viral vectors in Europe", intro="The sector.", field=viral),
    )
    response = client.get(panorama.url)
    page = text(response)
    assert re.search(r"<strong>3</strong> actors in the directory", page)
    assert re.search(r"<strong>2</strong> countries", page)
    assert 'class="choropleth"' in page and "Austria: 2 actors" in page
    assert "AAV in Vienna" in page and "Antibodies" not in page
    assert "Vector workshop" in page
    assert "Partnership calls are for members of the platform." in page  # anonymous readers
    assert "/directory/?field=viral-vectors" in page


def test_panorama_needs_exactly_one_subject(tree):
    from django.core.exceptions import ValidationError

    page = PanoramaPage(title="Nothing", intro="x", slug="nothing")
    with pytest.raises(ValidationError):
        page.full_clean()
    page.field = Field.objects.get(slug="viral-vectors")
    page.stage = Stage.objects.get(slug="production")
    with pytest.raises(ValidationError):
        page.full_clean()


def test_index_filters_by_field_and_stage(client, tree):
    news(tree.news, "AAV in Vienna", fields=("viral-vectors",), stages=("production",))
    news(tree.news, "Antibodies", fields=("monoclonal-antibodies",), stages=("research",))
    page = text(client.get(tree.news.url, {"field": "viral-vectors"}))
    assert "AAV in Vienna" in page and "Antibodies</a>" not in page
    page = text(client.get(tree.news.url, {"stage": "research"}))
    assert "AAV in Vienna" not in page and "Antibodies</a>" in page
