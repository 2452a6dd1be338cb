"""Accounts through the real allauth views: sign-up, verification, sign-in, sign-out,
password reset, the shared sign-in throttle (site and API), and the admins' sign-in.

"Signed in" is always checked the way a client sees it: GET /api/v1/me/.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from rest_framework.authtoken.models import Token

from community.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.py
LOCKED = "Too many failed sign-in attempts"
WRONG = "The email address and/or password you specified are not correct."
HERE, THERE = "192.0.2.10", "198.51.100.20"


def signed_in_as(client: Client) -> str | None:
    response = client.get("/api/v1/me/")
    assert response.status_code in (200, 401), response.content
    return response.json()["email"] if response.status_code == 200 else None


def sign_in(
    client: Client, email: str, password: str, address: str = HERE, path: str = "/accounts/login/"
):
    return client.post(path, {"login": email, "password": password}, REMOTE_ADDR=address)


def form_errors(response) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.headers.get("location"))
    return list(response.context["form"].non_field_errors())


def link_in(message, pattern: str) -> str:
    found = re.search(r"https?://testserver(" + re.escape(pattern) + r"\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def token_for(client: Client, email: str, password: str, address: str = HERE):
    return client.post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


# Sign-up and verification


def test_sign_up_then_verify_by_email_then_sign_in(client, mailoutbox):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "Your name" in page.content.decode()

    response = client.post(
        "/accounts/signup/",
        {
            "email": "Marie.Curie@Example.org",
            "display_name": "  Marie Curie ",
            "password1": "polonium and radium 1898",
            "password2": "polonium and radium 1898",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"

    user = User.objects.get(email__iexact="marie.curie@example.org")
    assert user.display_name == "Marie Curie"
    assert EmailAddress.objects.get(user=user).verified is False
    assert signed_in_as(client) is None

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    confirm = link_in(mailoutbox[0], "/accounts/confirm-email/")

    # Signing in before verifying does not sign in (another browser, right password).
    early = Client()
    response = sign_in(early, "marie.curie@example.org", "polonium and radium 1898")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_as(early) is None
    assert Token.objects.count() == 0

    # Following the link shows a page to confirm; a GET alone verifies nothing.
    page = client.get(confirm)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert EmailAddress.objects.get(user=user).verified is False
    assert signed_in_as(client) is None

    response = client.post(confirm)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True
    assert signed_in_as(client) == user.email

    # Now the password signs in anywhere.
    later = Client()
    assert sign_in(later, "marie.curie@example.org", "polonium and radium 1898").status_code == 302
    assert signed_in_as(later) == user.email


def test_account_emails_name_our_site(client, mailoutbox, settings):
    user = UserFactory()
    client.post("/accounts/password/reset/", {"email": user.email})
    (message,) = mailoutbox
    assert message.subject.startswith(f"[{settings.SITE_NAME}]")
    # The body names the site from the Sites framework: not Django's placeholder.
    assert "example.com" not in message.body


def test_sign_up_refuses_mismatched_passwords_and_creates_nothing(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "a@example.org",
            "display_name": "A",
            "password1": "one long password 1",
            "password2": "another 2",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="a@example.org").exists()
    assert mailoutbox == []


def test_a_bad_confirmation_key_verifies_nothing(client):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.post("/accounts/confirm-email/not-a-real-key/")
    assert EmailAddress.objects.get(user=user).verified is False
    assert signed_in_as(client) is None


# Sign-out


def test_sign_out_needs_a_post(client):
    user = UserFactory()
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert signed_in_as(client) == user.email

    # A GET (an <img> on another site, a prefetch) only shows the confirmation page.
    assert client.get("/accounts/logout/").status_code == 200
    assert signed_in_as(client) == user.email

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) is None


# Password reset


def test_password_reset_by_email(client, mailoutbox):
    user = UserFactory()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")

    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key into the session
    set_password = response["Location"]
    assert client.get(set_password).status_code == 200
    response = client.post(
        set_password,
        {"password1": "a brand new passphrase 42", "password2": "a brand new passphrase 42"},
    )
    assert response.status_code == 302

    assert form_errors(sign_in(Client(), user.email, PASSWORD)) == [WRONG]
    fresh = Client()
    assert sign_in(fresh, user.email, "a brand new passphrase 42").status_code == 302
    assert signed_in_as(fresh) == user.email

    # The link is spent: following it again offers no form, and the session's step refuses too.
    for used in (link, set_password):
        response = Client().get(used)
        assert response.status_code == 200
        assert response.context["token_fail"] is True
    client.post(
        set_password, {"password1": "attacker passphrase 77", "password2": "attacker passphrase 77"}
    )
    assert form_errors(sign_in(Client(), user.email, "attacker passphrase 77")) == [WRONG]


def test_password_reset_ends_a_lock(client, mailoutbox):
    user = UserFactory()
    for n in range(20):
        assert form_errors(sign_in(Client(), user.email, f"wrong {n}", address=attacker(n))) == [
            WRONG
        ]
    assert form_errors(sign_in(Client(), user.email, PASSWORD))[0].startswith(LOCKED)

    client.post("/accounts/password/reset/", {"email": user.email})
    set_password = client.get(link_in(mailoutbox[-1], "/accounts/password/reset/key/"))["Location"]
    new = {"password1": "locked out no more 2024", "password2": "locked out no more 2024"}
    assert client.post(set_password, new).status_code == 302

    fresh = Client()
    assert sign_in(fresh, user.email, "locked out no more 2024").status_code == 302
    assert signed_in_as(fresh) == user.email


def test_password_reset_for_an_unknown_email_looks_the_same(client, mailoutbox):
    known = UserFactory()
    to_known = client.post("/accounts/password/reset/", {"email": known.email})
    to_unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert (to_unknown.status_code, to_unknown["Location"]) == (
        to_known.status_code,
        to_known["Location"],
    )
    assert not any(
        "/accounts/password/reset/key/" in m.body
        for m in mailoutbox
        if m.to == ["nobody@example.org"]
    )


# The sign-in throttle


def attacker(n: int) -> str:
    """A different address for each guess: the account lock must not depend on the address."""
    return f"203.0.113.{n + 1}"


def test_twenty_wrong_passwords_in_a_row_lock_the_account():
    alice, bob = UserFactory(), UserFactory()

    # 19 wrong, then right: signs in, and the run starts again.
    for n in range(19):
        # The case of the email changes nothing.
        email = alice.email.upper() if n % 2 else alice.email
        assert form_errors(sign_in(Client(), email, f"wrong {n}", address=attacker(n))) == [WRONG]
    client = Client()
    assert sign_in(client, alice.email, PASSWORD).status_code == 302
    assert signed_in_as(client) == alice.email

    # 20 wrong in a row: each answered as a wrong password, then the account is locked.
    for n in range(20):
        email = alice.email.upper() if n % 2 else alice.email
        assert form_errors(sign_in(Client(), email, f"wrong {n}", address=attacker(n))) == [WRONG]
    for address in (HERE, THERE, attacker(0)):
        locked = Client()
        errors = form_errors(sign_in(locked, alice.email, PASSWORD, address=address))
        assert len(errors) == 1
        assert errors[0].startswith(LOCKED)
        assert signed_in_as(locked) is None

    # Another account still signs in, from another address and from an attacker's.
    for address in (THERE, attacker(0)):
        other = Client()
        assert sign_in(other, bob.email, PASSWORD, address=address).status_code == 302
        assert signed_in_as(other) == bob.email


def _normalised(response, email: str) -> str:
    """The page with what differs by design blanked out: the email typed, the CSRF token, the nonce."""
    html = response.content.decode().replace(email, "EMAIL")
    # Masked CSRF tokens, in forms and in htmx's headers.
    html = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", html)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    return html.replace(nonce, "NONCE")


def test_unknown_email_gets_the_same_answer_as_a_wrong_password():
    known = UserFactory(email="known@example.org")
    wrong_password = sign_in(Client(), known.email, "not the password")
    unknown_email = sign_in(Client(), "unknown@example.org", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert form_errors(wrong_password) == form_errors(unknown_email) == [WRONG]
    assert _normalised(wrong_password, "known@example.org") == _normalised(
        unknown_email, "unknown@example.org"
    )


def test_unknown_email_is_locked_like_a_known_one():
    for n in range(20):
        assert form_errors(
            sign_in(Client(), "ghost@example.org", f"guess {n}", address=attacker(n))
        ) == [WRONG]
    assert form_errors(sign_in(Client(), "ghost@example.org", "guess 21"))[0].startswith(LOCKED)


def test_an_address_that_fails_too_often_is_refused(settings):
    user = UserFactory()
    api = Client()
    for n in range(settings.SIGNIN_ADDRESS_FAILURES_PER_WINDOW):
        # Different accounts each time: no account is locked, only the address.
        assert token_for(api, f"guess{n}@example.org", "guess").status_code == 400
    here = Client()
    assert form_errors(sign_in(here, user.email, PASSWORD, address=HERE))[0].startswith(LOCKED)
    assert signed_in_as(here) is None
    there = Client()
    assert sign_in(there, user.email, PASSWORD, address=THERE).status_code == 302
    assert signed_in_as(there) == user.email


# The API's token exchange shares the counters


def test_api_token_for_a_verified_account(client):
    user = UserFactory()
    response = token_for(client, user.email.upper(), PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=user).key == key
    assert token_for(client, user.email, PASSWORD).json() == {"token": key}
    me = Client().get("/api/v1/me/", headers={"authorization": f"Token {key}"})
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_api_refuses_an_unverified_account(client):
    user = UserFactory(verified=False)
    response = token_for(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert "Verify your email" in response.json()["detail"]
    assert not Token.objects.filter(user=user).exists()


def test_api_wrong_password_and_unknown_email_get_the_same_answer(client):
    user = UserFactory()
    wrong = token_for(client, user.email, "not the password")
    unknown = token_for(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"]
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@example.org"}]
)
def test_api_token_with_a_malformed_request_is_a_400(client, body):
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_site_failures_lock_the_api():
    user = UserFactory()
    for n in range(20):
        assert form_errors(sign_in(Client(), user.email, f"wrong {n}", address=attacker(n))) == [
            WRONG
        ]
    response = token_for(Client(), user.email, PASSWORD, address=THERE)
    assert response.status_code == 429
    assert response.json()["detail"].startswith(LOCKED)
    assert not Token.objects.filter(user=user).exists()


def test_api_failures_lock_the_site():
    user = UserFactory()
    api = Client()
    for n in range(19):
        assert token_for(api, user.email, f"wrong {n}").status_code == 400
    # The 20th failure is still answered as a wrong password; the lock starts after it.
    assert token_for(api, user.email, "wrong 19").status_code == 400
    assert token_for(api, user.email, PASSWORD).status_code == 429
    site = Client()
    assert form_errors(sign_in(site, user.email, PASSWORD, address=THERE))[0].startswith(LOCKED)
    assert signed_in_as(site) is None


# The admins sign in through allauth too


@pytest.mark.parametrize(
    ("login", "admin"), [("/cms/login/", "/cms/"), ("/admin/login/", "/admin/")]
)
def test_admin_sign_in_pages_are_allauths(client, login, admin):
    response = client.get(login)
    assert response.status_code == 200
    assert "account/login.html" in [t.name for t in response.templates]
    anonymous = client.get(admin)
    assert anonymous.status_code == 302
    assert anonymous["Location"].split("?")[0] in ("/accounts/login/", "/admin/login/")


@pytest.mark.parametrize(
    ("login", "admin"), [("/cms/login/", "/cms/"), ("/admin/login/", "/admin/")]
)
def test_unverified_staff_cannot_get_into_the_admin(client, login, admin):
    staff = UserFactory(verified=False, is_staff=True, is_superuser=True)
    response = sign_in(client, staff.email, PASSWORD, path=f"{login}?next={admin}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_as(client) is None
    refused = client.get(admin)
    assert refused.status_code == 302
    assert "login" in refused["Location"]


@pytest.mark.parametrize(
    ("login", "admin"), [("/cms/login/", "/cms/"), ("/admin/login/", "/admin/")]
)
def test_verified_staff_gets_into_the_admin(client, login, admin):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = sign_in(client, staff.email, PASSWORD, path=f"{login}?next={admin}")
    assert response.status_code == 302
    assert response["Location"] == admin
    assert client.get(admin).status_code == 200


def test_admin_sign_in_is_throttled_like_the_site(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for n in range(20):
        assert form_errors(
            sign_in(Client(), staff.email, f"wrong {n}", address=attacker(n), path="/cms/login/")
        ) == [WRONG]
    errors = form_errors(sign_in(client, staff.email, PASSWORD, path="/cms/login/?next=/cms/"))
    assert errors[0].startswith(LOCKED)
    assert client.get("/cms/").status_code == 302
