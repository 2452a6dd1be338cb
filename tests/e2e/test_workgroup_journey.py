"""A moderator's private group: a request, an approval, a live chat, a shared document."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".user-menu .who")).to_be_visible()


def test_private_group_request_approval_chat_and_document(daphne_browser, tmp_path):
    UserFactory(email="mod@cdmo.example", display_name="Marta Moderator")
    UserFactory(email="nico@hospital.example", display_name="Nico Newcomer", job_title="QP, university hospital")
    report = tmp_path / "Qualität-report.pdf"
    report.write_bytes(PDF)

    moderator = daphne_browser()
    sign_in(moderator, "mod@cdmo.example")

    # The moderator creates a members-only group that people join on request.
    moderator.goto("/groups/new/")
    moderator.get_by_label("Name:").fill("Fill-finish for ATMPs")
    moderator.get_by_label("Description:").fill("Sharing **aseptic fill-finish** capacity and know-how for cell and gene therapies.")
    moderator.get_by_role("radio", name=re.compile("^Members only")).check()
    moderator.get_by_role("radio", name=re.compile("^On request")).check()
    moderator.get_by_label("Fill-finish").check()
    moderator.get_by_role("button", name="Create the group").click()
    expect(moderator.get_by_role("heading", level=1, name="Fill-finish for ATMPs")).to_be_visible()
    group_url = moderator.url

    # The moderator shares a document.
    moderator.get_by_role("link", name="Documents", exact=True).click()
    moderator.get_by_role("link", name="Share a document").click()
    moderator.get_by_label("File").set_input_files(str(report))
    moderator.get_by_label("Title").fill("Capacity survey 2026")
    moderator.get_by_role("button", name="Share").click()
    expect(moderator.get_by_text("Capacity survey 2026").first).to_be_visible()

    # Another person finds the group, sees only its door, and asks to join.
    newcomer = daphne_browser()
    sign_in(newcomer, "nico@hospital.example")
    newcomer.goto("/groups/")
    newcomer.get_by_role("link", name="Fill-finish for ATMPs").click()
    expect(newcomer.get_by_text("The content of this group is for its members.")).to_be_visible()
    screenshot(newcomer, "group-outsider")
    newcomer.get_by_role("link", name="Ask to join").click()
    newcomer.get_by_label(re.compile("^A word for the moderators")).fill("I am the QP of our hospital's ATMP unit.")
    newcomer.get_by_role("button", name="Send my request").click()
    expect(newcomer.get_by_text("Your request is waiting for a moderator")).to_be_visible()

    # The moderator is notified live and approves.
    expect(moderator.locator('[data-badge="notifications"]')).to_be_visible()
    moderator.goto(group_url + "members/")
    expect(moderator.get_by_text("I am the QP of our hospital's ATMP unit.")).to_be_visible()
    screenshot(moderator, "group-members")
    moderator.get_by_role("button", name="Approve").click()
    expect(moderator.get_by_role("heading", name="2 members")).to_be_visible()

    # Both open the chat and talk live.
    newcomer.goto(group_url)
    expect(newcomer.get_by_role("link", name="Chat", exact=True)).to_be_visible()
    screenshot(newcomer, "group-member")
    newcomer.get_by_role("link", name="Chat", exact=True).click()
    moderator.goto(group_url + "chat/")
    for page in (newcomer, moderator):
        expect(page.locator("body")).to_have_attribute("data-connected", "1")
    composer = moderator.get_by_label(re.compile(r"^Your message"))
    composer.fill("Welcome Nico! The capacity survey is in the documents.")
    composer.press("Enter")
    expect(newcomer.locator("#messages")).to_contain_text("Welcome Nico!")
    reply = newcomer.get_by_label(re.compile(r"^Your message"))
    reply.fill("Thanks, reading it now.")
    reply.press("Enter")
    expect(moderator.locator("#messages")).to_contain_text("Thanks, reading it now.")
    screenshot(moderator, "group-chat")

    # The new member downloads the document, as an attachment with its name.
    newcomer.goto(group_url + "documents/")
    screenshot(newcomer, "group-documents")
    with newcomer.expect_download() as download_info:
        newcomer.get_by_role("link", name=re.compile("^Download")).first.click()
    download = download_info.value
    assert download.suggested_filename == "Qualität-report.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
