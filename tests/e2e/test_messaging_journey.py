"""Two people, two browsers: a message appears live on the other side, the badge moves, reading clears it."""

import re

import pytest
from playwright.sync_api import expect

from messaging import services
from tests.e2e.conftest import screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery staple"


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".user-menu .who")).to_be_visible()


def test_live_message_badge_and_read(daphne_browser):
    # Data first, Playwright after (stack note 9).
    alice = UserFactory(email="alice@cdmo.example", display_name="Alice Martin")
    bob = UserFactory(email="bob@uni.example", display_name="Bob Novak")
    conversation, _ = services.conversation_direct_get_or_create(actor=alice, other=bob)
    conversation_url = f"/messages/{conversation.pk}/"

    alice_page = daphne_browser()
    bob_page = daphne_browser()
    sign_in(alice_page, alice.email)
    sign_in(bob_page, bob.email)

    bob_page.goto("/directory/")
    bob_badge = bob_page.locator('[data-badge="messages"]')
    expect(bob_badge).to_be_hidden()

    alice_page.goto(conversation_url)
    expect(alice_page.locator("body")).to_have_attribute("data-connected", "1")
    composer = alice_page.get_by_label(re.compile(r"^Your message"))
    composer.fill("Hello Bob, do you have **fill-finish** capacity for viral vectors in Q3?")
    composer.press("Enter")
    mine = alice_page.locator("#messages li.message.mine").last
    expect(mine.locator(".delivery")).to_have_text("Sent")
    expect(mine.locator("strong", has_text="fill-finish")).to_be_visible()

    # Live on Bob's side, without a reload: the badge moves.
    expect(bob_badge).to_be_visible()
    expect(bob_badge.locator("[data-count]")).to_have_text("1")

    # Bob reads: the badge clears, and his reply reaches Alice live.
    bob_page.get_by_role("link", name=re.compile("Messages")).click()
    expect(bob_page.locator("[data-inbox] .conversation-row.unread")).to_have_count(1)
    screenshot(bob_page, "inbox")
    bob_page.locator("[data-inbox] a").first.click()
    expect(bob_page.locator("#messages")).to_contain_text("do you have fill-finish capacity")
    expect(bob_page.locator("body")).to_have_attribute("data-connected", "1")
    expect(bob_badge).to_be_hidden()
    bob_composer = bob_page.get_by_label(re.compile(r"^Your message"))
    bob_composer.fill("Yes: two lines free from July.")
    expect(alice_page.locator("[data-typing]")).to_contain_text("Bob Novak is typing")
    bob_composer.press("Enter")
    expect(alice_page.locator("#messages")).to_contain_text("two lines free from July")
    expect(alice_page.locator("[data-typing]")).to_be_empty()
    screenshot(alice_page, "conversation")
