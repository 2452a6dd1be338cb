"""The first journey: join, verify, add one's organisation, find it by a facet and on the map."""

import re

from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

PASSWORD = "a long and unusual passphrase 42"


def verification_link() -> str:
    # The live server runs in this process, so its outbox is ours (stack note 4).
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+/accounts/confirm-email/\S+", body).group(0)


def test_join_add_organisation_and_find_it(new_page, live_server):
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "home")

    # Sign up and verify the email from the outbox.
    page.get_by_role("link", name="Join", exact=True).click()
    page.get_by_label("Email:").fill("marta.nowak@polbiotech.example")
    page.get_by_label("Your name:").fill("Marta Nowak")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("Verify Your Email Address")).to_be_visible()
    page.goto(verification_link().replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".user-menu .who")).to_be_visible()

    # Add the organisation.
    page.goto("/organisations/new/")
    page.get_by_label("Name:", exact=True).fill("PolBiotech Vectors")
    page.get_by_label("Kind:").select_option("cdmo")
    page.get_by_label("Country:").select_option("PL")
    page.get_by_label("City:").fill("Gdańsk")
    page.get_by_label("Description:").fill("Viral vector manufacturing for gene therapies, from process development to GMP lots.")
    page.get_by_label("Process development and industrialisation").check()
    page.get_by_label("Viral vectors").check()
    page.get_by_role("button", name="Add to the directory").click()
    expect(page.get_by_role("heading", level=1, name="PolBiotech Vectors")).to_be_visible()
    expect(page.get_by_role("link", name="Edit profile")).to_be_visible()
    screenshot(page, "organisation")

    # Find it in the directory through a facet: htmx swaps the results without a reload.
    page.goto("/directory/")
    page.get_by_label(re.compile(r"^Poland")).check()
    expect(page).to_have_url(re.compile(r"country=PL"))
    results = page.locator("ol.results")
    expect(results.get_by_role("link", name="PolBiotech Vectors")).to_be_visible()
    page.locator("summary", has_text="Field").click()
    page.get_by_label(re.compile(r"^Viral vectors")).check()
    expect(page).to_have_url(re.compile(r"field=viral-vectors"))
    expect(results.get_by_role("link", name="PolBiotech Vectors")).to_be_visible()
    screenshot(page, "directory")

    # And on the map: Poland links to the directory filtered on it.
    page.goto("/map/")
    poland = page.locator('a[href*="country=PL"]').first
    expect(poland).to_have_attribute("aria-label", re.compile(r"Poland: 1 "))
    screenshot(page, "map")
    poland.click()
    expect(page).to_have_url(re.compile(r"/directory/\?.*country=PL"))
    expect(page.locator("ol.results").get_by_role("link", name="PolBiotech Vectors")).to_be_visible()


def test_directory_on_a_phone(new_page):
    page = new_page(390, 844)
    page.goto("/directory/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="Map", exact=True)).to_be_hidden()
    menu.click()
    expect(page.get_by_role("link", name="Map", exact=True)).to_be_visible()
    screenshot(page, "directory-phone")
