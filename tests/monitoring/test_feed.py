"""The personal feed: what it selects and why, its filters, following fields, its cost; tendencies."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cms.monitoring import selectors
from partnerships import services as partnerships
from tests.factories import OrganisationFactory, UserFactory, organisation_with_admin
from tests.monitoring.helpers import field, item
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    """Follows viral vectors; works at Danube Vector Works (fill-finish)."""
    user = UserFactory(display_name="Vera Vector")
    user.interests.add(field("viral-vectors"))
    organisation_with_admin(
        user, name="Danube Vector Works", country="AT", fields=[field("fill-finish")]
    )
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def titles(response) -> list[str]:
    return [i.title for i in response.context["page"].object_list]


class TestSelection:
    def test_interests_and_organisation_fields_newest_first(self, member):
        vectors = item("AAV capsid plant opens in Vienna", fields=["viral-vectors"], days_ago=3)
        fill = item("Fill-finish line qualified in Krems", fields=["fill-finish"], days_ago=1)
        both = item(
            "Vector fill-finish partnership signed",
            fields=["viral-vectors", "fill-finish"],
            days_ago=2,
        )
        item("mRNA plant expands", fields=["mrna"], days_ago=0.5)
        item("A withdrawn vector story", fields=["viral-vectors"], hidden=True)
        item("Untagged news", days_ago=0.1)
        response = signed_in(member).get("/feed/")
        assert response.status_code == 200
        assert titles(response) == [fill.title, both.title, vectors.title]
        html = response.content.decode()
        assert "Why you see this:" in html
        reasons = {i.title: i.reasons for i in response.context["page"].object_list}
        assert reasons[vectors.title] == ["You follow Viral vectors"]
        assert reasons[fill.title] == ["Danube Vector Works works on Fill-finish"]
        assert reasons[both.title] == [
            "You follow Viral vectors",
            "Danube Vector Works works on Fill-finish",
        ]
        assert "You follow Viral vectors; Danube Vector Works works on Fill-finish." in html

    def test_anonymous_people_are_asked_to_sign_in(self):
        for url in ("/feed/", "/feed/tendencies/"):
            response = Client().get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_no_interest_shows_suggestions(self):
        loner = UserFactory()
        item("AAV news", fields=["viral-vectors"])
        response = signed_in(loner).get("/feed/")
        html = response.content.decode()
        assert "Your feed is empty until you follow a field." in html
        suggested = [f.slug for f in response.context["suggestions"]]
        assert suggested[0] == "viral-vectors" and len(suggested) == 8
        assert 'action="/feed/fields/viral-vectors/follow/"' in html

    def test_no_item_yet(self, member):
        html = signed_in(member).get("/feed/").content.decode()
        assert "No news in your fields yet." in html

    def test_filters(self, member):
        old = item(
            "Vector plant from last year",
            fields=["viral-vectors"],
            stages=["production"],
            days_ago=200,
        )
        news = item(
            "Vector article of the platform", fields=["viral-vectors"], kind="news", days_ago=2
        )
        event = item(
            "Vector workshop",
            fields=["viral-vectors"],
            stages=["training"],
            kind="event",
            days_ago=3,
        )
        fill = item("Fill-finish news", fields=["fill-finish"], stages=["production"], days_ago=4)
        client = signed_in(member)
        assert titles(client.get("/feed/?field=fill-finish")) == [fill.title]
        assert titles(client.get("/feed/?stage=production")) == [fill.title, old.title]
        assert titles(client.get("/feed/?source=news")) == [news.title]
        assert titles(client.get("/feed/?source=event")) == [event.title]
        assert titles(client.get("/feed/?source=external&period=30")) == [fill.title]
        assert titles(client.get("/feed/?period=365&stage=training")) == [event.title]
        assert titles(client.get("/feed/?field=no-such-field")) == []
        # Unknown values of closed lists are ignored, not errors.
        assert client.get("/feed/?source=bogus&period=9999").status_code == 200

    def test_looking_at_a_field_one_does_not_follow(self, member):
        mrna = item("mRNA plant expands", fields=["mrna"])
        response = signed_in(member).get("/feed/?field=mrna")
        assert titles(response) == [mrna.title]
        assert response.context["browsing"]
        html = response.content.decode()
        assert "You do not follow mRNA" in html and 'action="/feed/fields/mrna/follow/"' in html
        assert "you are looking at mRNA." in html

    def test_htmx_filtering_gets_the_results_only(self, member):
        item("AAV news", fields=["viral-vectors"])
        response = signed_in(member).get(
            "/feed/?period=7", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="feed-results"
        )
        html = response.content.decode()
        assert "<html" not in html and "AAV news" in html
        assert "HX-Request" in response["Vary"]

    def test_pagination_keeps_the_filters(self, member):
        for i in range(25):
            item(f"Vector story number {i}", fields=["viral-vectors"], days_ago=i + 1)
        client = signed_in(member)
        html = client.get("/feed/?period=365").content.decode()
        assert "?period=365&amp;page=2" in html
        assert len(titles(client.get("/feed/?period=365&page=2"))) == 5

    def test_queries_do_not_grow_with_items(self, member):
        from tests.monitoring.helpers import feed

        sources = [feed(name) for name in ("EMA", "EC", "Fierce")]
        client = signed_in(member)
        client.get("/feed/")  # warm the session
        counts = []
        for n in (2, 20):
            while selectors.items_visible().count() < n:
                i = selectors.items_visible().count()
                item(
                    f"Vector story {i}",
                    fields=["viral-vectors", "fill-finish"],
                    stages=["production"],
                    source=sources[i % 3],
                )
            count, response = queries_for(lambda: client.get("/feed/"))
            assert len(response.context["page"].object_list) == n
            counts.append(count)
        assert counts[0] == counts[1] <= 12, counts


class TestFollowing:
    def test_follow_and_unfollow_with_a_plain_form(self, member):
        client = signed_in(member)
        response = client.post("/feed/fields/mrna/follow/", {"next": "/feed/?period=30"})
        assert response.status_code == 302 and response["Location"] == "/feed/?period=30"
        assert member.interests.filter(slug="mrna").exists()
        page = client.get(response["Location"]).content.decode()
        assert "You now follow mRNA" in page
        response = client.post(
            "/feed/fields/viral-vectors/unfollow/", {"next": "https://evil.example/"}
        )
        assert response["Location"] == "/feed/"
        assert set(member.interests.values_list("slug", flat=True)) == {"mrna"}

    def test_htmx_gets_the_feed_body_back_with_the_filters_of_the_page(self, member):
        mrna = item("mRNA plant expands", fields=["mrna"], days_ago=2)
        old = item("Old mRNA news", fields=["mrna"], days_ago=100)
        response = signed_in(member).post(
            "/feed/fields/mrna/follow/", {"next": "/feed/?period=30"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="feed-body"' in html and "You now follow mRNA: its news is in your feed." in html
        assert mrna.title in html and old.title not in html
        assert re.search(r'role="status"', html)

    def test_needs_a_post_with_a_csrf_token(self, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.get("/feed/fields/mrna/follow/").status_code == 405
        assert client.post("/feed/fields/mrna/follow/").status_code == 403
        assert not member.interests.filter(slug="mrna").exists()

    def test_unknown_field_or_action(self, member):
        client = signed_in(member)
        assert client.post("/feed/fields/no-such-field/follow/").status_code == 404
        assert client.post("/feed/fields/mrna/adore/").status_code == 404

    def test_anonymous_cannot(self):
        response = Client().post("/feed/fields/mrna/follow/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_only_ones_own_interests(self, member):
        from cms.monitoring import services
        from community.errors import NotAllowed

        with pytest.raises(NotAllowed):
            services.interest_follow(actor=UserFactory(), user=member, field=field("mrna"))


class TestTendencies:
    def test_counts_rising_fields_and_figures_beside_them(self, member):
        from datetime import datetime, time

        now = timezone.now()
        for _i in range(4):
            item("Vector news this month", fields=["viral-vectors"], days_ago=0)
        item("mRNA news this month", fields=["mrna"], days_ago=0)
        # The three months before: one vector item a month on average, three mRNA items a month.
        for start in selectors.month_starts(4, today=timezone.localdate())[:3]:
            when = timezone.make_aware(datetime.combine(start.replace(day=10), time(12)))
            days = (now - when).total_seconds() / 86400
            item("Older vector news", fields=["viral-vectors"], days_ago=days)
            for _j in range(3):
                item("Older mRNA news", fields=["mrna"], days_ago=days)
        OrganisationFactory(name="Vector Org A").fields.add(field("viral-vectors"))
        OrganisationFactory(name="Vector Org B").fields.add(field("viral-vectors"))
        admin = UserFactory()
        org = organisation_with_admin(admin, name="Caller Org")
        call = partnerships.call_create(
            actor=admin,
            organisation=org,
            kind="capacity-request",
            title="Seeking AAV capacity",
            summary="We seek AAV manufacturing capacity.",
            deadline=timezone.now() + timedelta(days=30),
            fields=[field("viral-vectors")],
            publish=True,
        )
        assert call.status == "published"
        response = signed_in(member).get("/feed/tendencies/")
        assert response.status_code == 200
        data = response.context["data"]
        trend = {t.field.slug: t for t in data.trends}
        vectors = trend["viral-vectors"]
        assert (
            vectors.this_month == 4
            and vectors.previous_average == 1.0
            and vectors.change_percent == 300
        )
        assert vectors.organisations == 2 and vectors.open_calls == 1 and vectors.followed
        assert trend["mrna"].this_month == 1 and trend["mrna"].previous_average == 3.0
        assert [t.field.slug for t in data.rising] == ["viral-vectors"]
        # Listed for its actor (the member's organisation), though nothing was published on it.
        assert trend["fill-finish"].organisations == 1 and trend["fill-finish"].total == 0
        html = response.content.decode()
        assert 'class="line-chart"' in html and "key-s1" in html
        assert "The numbers, month by month" in html and "<table" in html

    def test_empty(self, member):
        response = signed_in(member).get("/feed/tendencies/?months=6")
        assert response.status_code == 200
        html = response.content.decode()
        assert "No field has more items this month" in html and "No item in this period yet" in html
        assert response.context["months"] == 6
        assert signed_in(member).get("/feed/tendencies/?months=abc").context["months"] == 12

    def test_queries_do_not_grow(self, member):
        client = signed_in(member)
        client.get("/feed/tendencies/")
        counts = []
        for n in (2, 20):
            while selectors.items_visible().count() < n:
                i = selectors.items_visible().count()
                item(f"Story {i}", fields=["viral-vectors", "mrna"], days_ago=i * 9)
            count, _response = queries_for(lambda: client.get("/feed/tendencies/"))
            counts.append(count)
        assert counts[0] == counts[1] <= 16, counts


def test_preferences_read_in_a_fixed_number_of_queries(member, django_assert_num_queries):
    other = organisation_with_admin(UserFactory(), name="Second Org", fields=[field("mrna")])
    from community import services as community

    community.organisation_member_add(
        actor=other.memberships.get().user, organisation=other, user=member
    )
    with django_assert_num_queries(3):
        prefs = selectors.preferences_of(member)
    assert {o.name for o in prefs.organisations} == {"Danube Vector Works", "Second Org"}
    assert prefs.wanted == {field("viral-vectors").pk, field("fill-finish").pk, field("mrna").pk}
