"""An editor publishes news tagged "Viral vectors"; a member interested in viral vectors sees it.

Also photographs the CMS pages (home signed in and out, an article, a story, an
event, the panorama, the editor's tag choosers, the home page on a 390px phone)
into CMS_SHOTS (default /tmp/cms-shots) for a person to look at.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.models import Field
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
SHOTS = Path(os.environ.get("CMS_SHOTS", "/tmp/cms-shots"))
TITLE = "Lyon opens a public AAV vector platform"


def shot(page, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page, email: str, next_url: str = "/") -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


@pytest.fixture
def cms_site(live_server):
    """The demo's organisations and content, an editor and a member; made before the browser starts."""
    from cms import demo
    from cms.models import NewsIndexPage
    from community.importing.demo import load_demo

    load_demo()
    demo.load()
    UserFactory(
        email="editor@platform.example",
        display_name="Erin Editor",
        is_staff=True,
        is_superuser=True,
    )
    member = UserFactory(email="member@vectors.example", display_name="Vera Vector")
    member.interests.set(Field.objects.filter(slug="viral-vectors"))
    return {"news_index": NewsIndexPage.objects.get().pk}


def test_editor_publishes_tagged_news_that_a_member_sees(cms_site, new_page, live_server):
    # Anyone reads the public pages; photographs of each kind.
    reader = new_page()
    reader.goto("/")
    expect(reader.get_by_role("heading", level=1)).to_be_visible()
    expect(reader.get_by_role("heading", name="Latest news")).to_be_visible()
    shot(reader, "home-anonymous")
    reader.get_by_role(
        "link", name="AAV gene therapies in the EU: seven marketing authorisations since 2012"
    ).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(re.compile("AAV gene therapies"))
    shot(reader, "article")
    reader.goto("/stories/")
    reader.get_by_role("link", name=re.compile("From plasmid to filled vials")).click()
    expect(reader.get_by_role("heading", name="In this story")).to_be_visible()
    shot(reader, "story")
    reader.goto("/events/")
    reader.get_by_role("link", name=re.compile("Viral vector manufacturing workshop")).click()
    expect(reader.get_by_role("link", name="Add to my calendar (.ics)")).to_be_visible()
    shot(reader, "event")
    reader.goto("/panorama/viral-vectors-in-europe/")
    expect(reader.get_by_role("heading", name="Where they are")).to_be_visible()
    shot(reader, "panorama")

    # The editor signs in to the CMS and writes a news article tagged "Viral vectors".
    editor = new_page()
    sign_in(editor, "editor@platform.example", "/cms/")
    expect(editor).to_have_url(re.compile(r"/cms/$"))
    editor.goto(f"/cms/pages/add/cms/newsarticlepage/{cms_site['news_index']}/")
    editor.get_by_placeholder("Page title*").fill(TITLE)
    editor.get_by_label(re.compile(r"^Summary")).fill(
        "A public platform for AAV vector process development opens to academic and industrial users."
    )
    fields = editor.locator("#id_fields")
    fields.get_by_label("Viral vectors").check()
    fields.get_by_label("Gene therapy").check()
    editor.locator("#id_stages").get_by_label("Process development and industrialisation").check()
    editor.get_by_role("heading", name="Fields and value-chain stages").scroll_into_view_if_needed()
    shot(editor, "editor-tag-choosers", full_page=False)
    editor.get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Publish").click()
    expect(editor.get_by_text(f"Page '{TITLE}' created and published.")).to_be_visible()

    # The member interested in viral vectors sees it on the home page, marked for them.
    member = new_page()
    sign_in(member, "member@vectors.example")
    expect(member.locator(".user-menu .who")).to_be_visible()
    member.goto("/")
    card = member.locator(".cms-card", has=member.get_by_role("link", name=TITLE))
    expect(card).to_be_visible()
    expect(card.locator(".cms-why")).to_contain_text("In your fields: Viral vectors")
    expect(member.get_by_role("heading", name="Calls for you")).to_be_visible()
    shot(member, "home-signed-in")
    card.get_by_role("link", name=TITLE).click()
    expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)

    # ... and in the monitoring feed.
    member.goto("/feed/")
    expect(member.get_by_role("link", name=TITLE).first).to_be_visible()
    shot(member, "feed-with-article")

    # The home page on a phone.
    phone = new_page(width=390, height=844)
    sign_in(phone, "member@vectors.example")
    phone.goto("/")
    expect(phone.get_by_role("link", name=TITLE)).to_be_visible()
    shot(phone, "home-phone-390")
    shot(phone, "home-phone-390-top", full_page=False)
