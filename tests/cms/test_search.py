"""Wagtail search over the public pages: PostgreSQL's full-text search on PostgreSQL."""

import pytest
from django.conf import settings
from wagtail.models import PageViewRestriction
from wagtail.search.backends import get_search_backend

from tests.cms.conftest import event, news

pytestmark = pytest.mark.django_db


def result_titles(client, q: str) -> list[str]:
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return [page.title for page in response.context["results"]]


def test_search_finds_live_public_pages_of_every_kind(client, tree):
    news(tree.news, "Lentiviral vector capacity", intro="Two suites in Lyon.")
    event(tree.events, "Lentiviral workshop")
    news(tree.news, "Lentiviral draft", live=False)
    private = news(tree.news, "Lentiviral secret plans")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    news(tree.news, "Antibody news")
    titles = result_titles(client, "lentiviral")
    assert sorted(titles) == ["Lentiviral vector capacity", "Lentiviral workshop"]
    assert result_titles(client, "Lyon") == ["Lentiviral vector capacity"]


def test_search_reads_the_body_and_the_tags(client, tree):
    news(
        tree.news,
        "Plain title",
        body=[("paragraph", "<p>A chromatography skid for plasmids.</p>")],
        fields=("fill-finish",),
    )
    assert result_titles(client, "chromatography") == ["Plain title"]
    assert result_titles(client, "fill-finish") == ["Plain title"]


def test_search_page_without_query_and_with_nothing_found(client, tree):
    response = client.get("/search/")
    assert response.status_code == 200 and response.context["results"] is None
    assert "noindex" in response.content.decode()
    response = client.get("/search/", {"q": "zzzz-nothing"})
    assert "0 results for “zzzz-nothing”" in response.content.decode()


@pytest.mark.postgres
def test_the_database_backend_is_postgres_full_text_search_on_postgres():
    backend = get_search_backend()
    assert type(backend).__name__ == "PostgresSearchBackend"
    assert settings.WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"] == "english"


@pytest.mark.postgres
def test_english_stemming_finds_plurals(client, tree):
    news(tree.news, "Bioreactor", intro="One bioreactor in Ghent.")
    assert result_titles(client, "bioreactors") == ["Bioreactor"]
