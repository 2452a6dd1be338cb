"""A call from publication to partnership: publish through the form, found through "calls for you",
respond, shortlist, discuss in a private conversation, accept; the partnership shows on /partnerships/."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from partnerships.models import Call
from tests.factories import UserFactory, organisation_with_admin
from tests.partnerships.helpers import cast, field, in_days, published_call, stage

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery staple"
SHOTS = Path(os.environ.get("PARTNERSHIPS_SHOTS", "/tmp/partnerships-journey"))
TITLE = "Fill-finish slots for AAV clinical batches"


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".user-menu .who")).to_be_attached()  # on a phone the menu is folded


def other_calls(c) -> None:
    """A few calls of other organisations, so that the lists look like the platform's."""
    admin = UserFactory(display_name="Hanna Holm")
    nordic = organisation_with_admin(admin, name="Nordic mAb Manufacturing AB", country="SE")
    for kwargs in (
        {"kind": Call.Kind.RND_PARTNERSHIP, "title": "Academic partner for continuous downstream processing",
         "summary": "We seek a university group to co-develop a continuous capture step for monoclonal antibodies.",
         "fields": [field("downstream-processing"), field("continuous-processing"), field("monoclonal-antibodies")],
         "stages": [stage("research"), stage("process-development")], "countries": ["SE", "DK", "FI", "NO"], "deadline": in_days(2.5)},
        {"kind": Call.Kind.TRAINING, "title": "GMP training for aseptic operators",
         "summary": "Two-week hands-on course for aseptic filling operators, in English, on our training line.",
         "fields": [field("fill-finish"), field("gmp-quality")], "stages": [stage("training")], "deadline": in_days(60)},
        {"kind": Call.Kind.CONSORTIUM, "title": "Consortium for a Horizon Europe call on mRNA manufacturing",
         "summary": "We build a consortium of CDMOs and universities for a call on distributed mRNA manufacturing.",
         "fields": [field("mrna")], "stages": [stage("production")], "topic_reference": "HORIZON-HLTH-2027-IND-13-01", "anonymous": True,
         "deadline": in_days(20)},
    ):
        published_call(c, actor=admin, organisation=nordic, **kwargs)


def test_publish_find_respond_discuss_accept(daphne_browser):
    # Data first, Playwright after (stack note 9): no ORM once the browser runs.
    c = cast()
    c.responder.fields.add(field("viral-vectors"), field("fill-finish"))
    c.responder.stages.add(stage("production"))
    other_calls(c)
    publisher_email, responder_email = c.publisher_admin.email, c.responder_member.email
    deadline = (dt.date.today() + dt.timedelta(days=45)).isoformat()

    # The publisher's admin publishes a call through the form.
    publisher = daphne_browser()
    sign_in(publisher, publisher_email)
    publisher.get_by_role("link", name="Calls", exact=True).click()
    publisher.get_by_role("link", name="Publish a call").click()
    publisher.get_by_label("Kind of call").select_option("capacity-offer")
    publisher.get_by_label("Title:", exact=True).fill(TITLE)
    publisher.get_by_label("Summary").fill("Two aseptic lines free from March for clinical batches of AAV vectors, 500 to 5,000 vials.")
    publisher.get_by_label("Description").fill("We offer **fill-finish** slots:\n\n- isolator lines\n- lyophilisation on request")
    publisher.get_by_label("Production", exact=True).check()
    publisher.get_by_label("Viral vectors", exact=True).check()
    publisher.get_by_label("Fill-finish", exact=True).check()
    publisher.get_by_text("All of Europe: choose countries").click()
    publisher.get_by_label("Germany", exact=True).check()
    publisher.get_by_label("Austria", exact=True).check()
    publisher.get_by_label("Deadline").fill(deadline)
    publisher.get_by_label("Time:", exact=True).fill("17:00")
    publisher.get_by_label("Question 1").fill("What batch sizes and timelines do you need?")
    shot(publisher, "call-form")
    publisher.get_by_role("button", name="Publish", exact=True).click()
    expect(publisher.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(publisher.get_by_text("Your call is published.")).to_be_visible()
    call_url = publisher.url
    shot(publisher, "call-page-publisher")

    # A member of a matching organisation finds it among the calls for them, with the reasons.
    responder = daphne_browser()
    sign_in(responder, responder_email)
    responder.goto("/calls/")
    expect(responder.get_by_role("heading", name="4 open calls")).to_be_visible()
    shot(responder, "list")
    responder.get_by_label("Search calls").fill("vectors")
    expect(responder.get_by_role("heading", name="1 open call")).to_be_visible()
    expect(responder.locator("#results")).to_contain_text(TITLE)
    assert "name=" not in responder.url  # the "save this search" box is not part of the search
    responder.get_by_role("link", name="For you").click()
    card = responder.locator(".call-card", has_text=TITLE)
    expect(card.locator(".why")).to_contain_text("Viral vectors + Fill-finish + Production + DE")
    shot(responder, "for-you")
    card.get_by_role("link", name=TITLE).click()

    # ... and responds on behalf of the organisation, answering the call's question.
    responder.get_by_label("Your message").fill("We have two AAV programmes entering phase I and need fill-finish from Q2.")
    responder.get_by_label("What batch sizes and timelines do you need?").fill("About 2,000 vials per batch, two batches in Q2.")
    responder.get_by_role("button", name="Send our response").click()
    expect(responder.get_by_text("Your response is sent.")).to_be_visible()
    expect(responder.locator("#my-responses .badge-response-submitted")).to_have_text("Submitted")
    shot(responder, "call-page-responder")

    # The publisher shortlists it on the board, then starts a discussion: a conversation opens.
    publisher.goto(call_url)
    publisher.get_by_role("link", name=re.compile("^Board: 1 response")).click()
    expect(publisher.locator(".board-column-submitted")).to_contain_text("Vector Labs GmbH")
    shot(publisher, "board-submitted")
    publisher.get_by_role("button", name="Shortlist: Vector Labs GmbH").click()
    expect(publisher.locator(".board-column-shortlisted")).to_contain_text("Vector Labs GmbH")
    publisher.get_by_role("button", name="Start a discussion: Vector Labs GmbH").click()
    expect(publisher.get_by_text("A private conversation with Vector Labs GmbH is open.")).to_be_visible()
    board_url = publisher.url.split("#")[0]
    shot(publisher, "board-in-discussion")
    publisher.locator(".board-column-in-discussion").get_by_role("link", name="Open the conversation").click()
    expect(publisher.locator("body")).to_have_attribute("data-connected", "1")
    composer = publisher.get_by_label(re.compile(r"^Your message"))
    composer.fill("Hello from Lyon: our March slots fit two batches. Could you share your formulation?")
    composer.press("Enter")
    expect(publisher.locator("#messages")).to_contain_text("Hello from Lyon")

    # Both sides talk in it.
    responder.goto(call_url)
    expect(responder.locator("#my-responses")).to_contain_text("In discussion")
    responder.get_by_role("link", name="Open the conversation").click()
    expect(responder.locator("#messages")).to_contain_text("Hello from Lyon")
    expect(responder.locator("body")).to_have_attribute("data-connected", "1")
    reply = responder.get_by_label(re.compile(r"^Your message"))
    reply.fill("Thank you! The formulation sheet follows by email today.")
    reply.press("Enter")
    expect(publisher.locator("#messages")).to_contain_text("The formulation sheet follows")
    shot(publisher, "conversation")

    # The publisher accepts: a partnership is recorded.
    publisher.goto(board_url)
    publisher.locator(".board-column-in-discussion").get_by_text("Accept…").click()
    publisher.get_by_role("button", name="Accept Vector Labs GmbH").click()
    expect(publisher.get_by_text("You accepted Vector Labs GmbH: the partnership is recorded.")).to_be_visible()
    expect(publisher.locator(".board-column-accepted")).to_contain_text("Vector Labs GmbH")
    shot(publisher, "board-accepted")

    # The partnership is on both sides' partnerships page; the admin agrees to show it.
    responder.goto("/partnerships/")
    expect(responder.locator(".partnership-row")).to_contain_text("Lyon Fill Finish SAS")
    publisher.goto("/partnerships/")
    toggle = publisher.get_by_role("button", name="Show on the profile of Lyon Fill Finish SAS")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(publisher.get_by_role("button", name="Show on the profile of Lyon Fill Finish SAS")).to_have_attribute("aria-pressed", "true")
    shot(publisher, "partnerships")

    # On a phone: the board's columns stack, the list stays readable.
    phone = daphne_browser(390, 844)
    sign_in(phone, publisher_email)
    phone.goto(board_url)
    expect(phone.locator(".board-column-accepted")).to_contain_text("Vector Labs GmbH")
    columns = phone.locator(".board-column")
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert second["y"] > first["y"] + first["height"] - 1  # stacked, not side by side
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "phone-board")
    phone.goto("/calls/")
    expect(phone.get_by_role("heading", name=re.compile("open call"))).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "phone-list")
