"""A member's monitoring feed: news of the platform and EMA's authorisations in their fields, why
each is there, following a field without a reload, filtering, and the tendencies page; on a
desktop and on a 390px phone. Screenshots go to MONITORING_SHOTS (default /tmp/monitoring-shots)."""

import importlib
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.postgres

SHOTS = Path(os.environ.get("MONITORING_SHOTS", "/tmp/monitoring-shots"))  # noqa: S108
PASSWORD = "correct horse battery staple"

ARTICLES = (
    # (title, summary, fields, stages, days ago): written for the demo, marked as such.
    (
        "Danube Vector Works opens a second AAV fill-finish line (demo)",
        "A demo article: the line fills adeno-associated virus vectors into vials for phase I and II trials.",
        ("viral-vectors", "fill-finish"),
        ("production",),
        0,
    ),
    (
        "Working group on empty-capsid analytics starts (demo)",
        "A demo article: vector developers compare full/empty capsid assays and share reference material.",
        ("viral-vectors", "analytics-qc"),
        ("process-development",),
        1,
    ),
    (
        "Training days on lentiviral vector manufacturing (demo)",
        "A demo article: two days of hands-on lentiviral vector production for technicians.",
        ("viral-vectors", "cell-therapy"),
        ("training",),
        2,
    ),
)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def monitoring_data(transactional_db):
    """Everything the pages show, made before the browser starts (stack note 9)."""
    from django.apps import apps
    from django.utils import timezone

    from cms.models import HomePage, NewsArticlePage, NewsIndexPage
    from cms.monitoring import demo
    from cms.monitoring.models import TaggingRule
    from cms.monitoring.services import item_from_page
    from community.models import Field, Stage
    from partnerships import services as partnerships
    from tests.factories import OrganisationFactory, UserFactory, organisation_with_admin

    if not TaggingRule.objects.exists():
        importlib.import_module("cms.monitoring.migrations.0002_default_tagging_rules").seed(
            apps, None
        )
    demo.load()  # EMA's authorisations, 2015 to 2025
    fields = {f.slug: f for f in Field.objects.all()}
    vera = UserFactory(email="vera@danube.example", display_name="Vera Vector", password=PASSWORD)
    vera.interests.add(fields["viral-vectors"], fields["gene-therapy"])
    organisation_with_admin(
        vera,
        name="Danube Vector Works",
        country="AT",
        fields=[fields["fill-finish"], fields["viral-vectors"]],
    )
    UserFactory(email="newcomer@example.org", display_name="Nina Newcomer", password=PASSWORD)
    for i, slug in enumerate(
        ("viral-vectors", "viral-vectors", "monoclonal-antibodies", "mrna", "fill-finish")
    ):
        OrganisationFactory(name=f"Directory actor {i}").fields.add(fields[slug])
    caller = UserFactory()
    org = organisation_with_admin(caller, name="Rhine Gene Therapies", country="DE")
    partnerships.call_create(
        actor=caller,
        organisation=org,
        kind="capacity-request",
        title="GMP AAV batches for a phase I gene therapy (demo call)",
        summary="We seek a viral-vector CDMO for two 200 L batches.",
        deadline=timezone.now() + timedelta(days=30),
        fields=[fields["viral-vectors"], fields["gene-therapy"]],
        publish=True,
    )
    home = HomePage.objects.first()
    index = NewsIndexPage(title="News", slug="news")
    home.add_child(instance=index)
    index.save_revision().publish()
    for title, summary, field_slugs, stage_slugs, days in ARTICLES:
        page = NewsArticlePage(title=title, intro=summary, live=False)
        page.fields = [fields[s] for s in field_slugs]
        page.stages = list(Stage.objects.filter(slug__in=stage_slugs))
        index.add_child(instance=page)
        page.save_revision().publish()  # the CMS's signal makes the feed item
        NewsArticlePage.objects.filter(pk=page.pk).update(
            first_published_at=timezone.now() - timedelta(days=days)
        )
        page.refresh_from_db()
        item_from_page(page)  # again, with the back-dated first publication
    return vera


def sign_in(page, email: str):
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_feed_follow_filter_and_tendencies(monitoring_data, new_page):
    page = new_page()
    sign_in(page, "vera@danube.example")
    page.get_by_role("link", name="Feed", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your feed")).to_be_visible()
    items = page.locator(".feed-item")
    expect(items.first).to_contain_text("Danube Vector Works opens a second AAV fill-finish line")
    expect(items.first.locator(".feed-why")).to_contain_text(
        "You follow Viral vectors; Danube Vector Works works on Viral vectors and Fill-finish."
    )
    expect(
        page.get_by_text(
            "Beqvez (previously Durveqtix) (fidanacogene elaparvovec) authorised in the EU"
        )
    ).to_be_visible()
    shot(page, "feed-desktop")

    # Follow a field from the feed: htmx swaps the feed's body, no reload.
    page.locator("summary", has_text="Follow more fields").click()
    page.get_by_role("button", name="Follow Monoclonal antibodies").click()
    expect(page.get_by_role("status")).to_contain_text("You now follow Monoclonal antibodies")
    expect(page.get_by_role("button", name="Unfollow Monoclonal antibodies")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/feed/$"))

    # Filter: the external source's items in monoclonal antibodies.
    page.get_by_label("Field", exact=True).select_option("monoclonal-antibodies")
    expect(page).to_have_url(re.compile(r"field=monoclonal-antibodies"))
    expect(page.locator(".feed-item").first).to_contain_text("authorised in the EU")
    expect(page.locator(".feed-item .feed-why").first).to_contain_text(
        "You follow Monoclonal antibodies"
    )
    shot(page, "feed-filtered-desktop")

    page.goto("/feed/tendencies/?months=24")
    expect(page.get_by_role("heading", level=1, name="Tendencies")).to_be_visible()
    expect(page.locator("#rising .rising").first).to_contain_text("Viral vectors")
    expect(page.locator("svg.line-chart").first).to_be_visible()
    row = page.locator(
        ".tendency-table tr", has=page.get_by_role("link", name="Viral vectors", exact=True)
    )
    expect(row).to_contain_text("you follow it")
    shot(page, "tendencies-desktop")


def test_feed_on_a_phone(monitoring_data, new_page):
    page = new_page(390, 844)
    sign_in(page, "vera@danube.example")
    page.goto("/feed/")
    expect(page.get_by_role("heading", level=1, name="Your feed")).to_be_visible()
    shot(page, "feed-phone")
    page.goto("/feed/tendencies/?months=24")
    expect(page.locator(".chart-compact svg.line-chart")).to_be_visible()
    expect(page.locator(".chart-wide svg.line-chart")).to_be_hidden()
    shot(page, "tendencies-phone")


def test_a_newcomer_is_offered_fields_to_follow(monitoring_data, new_page):
    page = new_page(390, 844)
    sign_in(page, "newcomer@example.org")
    page.goto("/feed/")
    expect(page.get_by_text("Your feed is empty until you follow a field.")).to_be_visible()
    shot(page, "feed-empty-phone")
    page.locator(".follow-suggestions").get_by_role("button").first.click()
    expect(page.get_by_role("status")).to_contain_text("You now follow")
    expect(page.locator(".feed-item").first).to_be_visible()
    shot(page, "feed-first-follow-phone")
