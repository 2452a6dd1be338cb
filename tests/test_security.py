"""Security settings and the API's refusals.

Production mode is checked in subprocesses with the production environment
(DJANGO_DEBUG=0 and friends), because settings are read once at import: the
suite's own process runs with debug settings. The rest runs in-process.
"""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from community.models import Organisation
from tests.factories import UserFactory

BASE_DIR = str(settings.BASE_DIR)


def production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a production process: no quick-start defaults, nothing of the suite's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "PYTEST", "REQUIRE_SERVICES")
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="example.org",
        DJANGO_SECURE_HSTS_PRELOAD="1",
        # Production sends mail; the console backend fails `check --deploy` (mail.E001).
        EMAIL_HOST="smtp.example.org",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str], timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# Production mode, in subprocesses


def test_deploy_check_passes_with_no_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_without_a_mail_server():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(EMAIL_HOST=None),
    )
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_deploy_check_fails_with_a_weak_secret_key():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(DJANGO_SECRET_KEY="short"),
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run(["manage.py", "check"], production_env(DJANGO_SECRET_KEY=None))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0." in result.stderr


# Runs under the production environment: collects static files into a scratch
# STATIC_ROOT (production serves hashed names from the manifest), builds an
# in-memory database, and fetches pages with Django's test client over "HTTPS".
PROBE = r"""
import json, tempfile

import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

settings.STATIC_ROOT = tempfile.mkdtemp()
call_command("collectstatic", interactive=False, verbosity=0)
settings.DATABASES["default"]["TEST"] = {"NAME": None, "MIGRATE": False}
connection.creation.create_test_db(verbosity=0, serialize=False)

from allauth.account.models import EmailAddress
from community.models import User
user = User.objects.create_user("probe@example.org", "probe passphrase 123")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

def describe(response):
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
            for name, m in response.cookies.items()
        },
        "body": response.content.decode(errors="replace"),
    }

client = Client(SERVER_NAME="example.org")
out = {
    "directory": describe(client.get("/directory/", secure=True)),
    "directory_http": describe(client.get("/directory/")),
    "taxonomy_html": describe(client.get("/api/v1/taxonomy/", secure=True, headers={"accept": "text/html"})),
    "taxonomy_browser": describe(client.get("/api/v1/taxonomy/", secure=True, headers={"accept": BROWSER})),
    "schema_html": describe(client.get("/api/v1/organisations/", secure=True, headers={"accept": BROWSER})),
    "login_page": describe(client.get("/accounts/login/", secure=True)),
    "login": describe(client.post(
        "/accounts/login/?next=/directory/",
        {"login": "probe@example.org", "password": "probe passphrase 123"},
        secure=True,
    )),
    "missing_page": describe(client.get("/no-such-page/", secure=True)),
    "missing_api": describe(client.get("/api/v1/no-such-thing/", secure=True, headers={"accept": BROWSER})),
}
print("PROBE-RESULT " + json.dumps(out))
import shutil
shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)
"""


@pytest.fixture(scope="module")
def production():
    result = run(["-c", PROBE], production_env())
    lines = [line for line in result.stdout.splitlines() if line.startswith("PROBE-RESULT ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-5000:]
    return json.loads(lines[-1].removeprefix("PROBE-RESULT "))


@pytest.mark.parametrize("page", ["directory", "login_page", "taxonomy_browser", "missing_page"])
def test_production_security_headers(production, page):
    headers = production[page]["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    hsts = headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains; preload", hsts), hsts
    assert int(hsts.split("=")[1].split(";")[0]) >= 31_536_000
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in headers


@pytest.mark.parametrize("page", ["directory", "login_page"])
def test_production_pages_have_a_strict_csp_with_a_nonce(production, page):
    response = production[page]
    assert response["status"] == 200
    policy = csp(response["headers"]["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        nonces = [v for v in policy[directive] if v.startswith("'nonce-")]
        assert len(nonces) == 1
    # The nonce in the header is the one the page uses.
    nonce = policy["script-src"][-1].removeprefix("'nonce-").removesuffix("'")
    assert nonce in response["body"]
    # Each response gets its own.
    other_page = production["login_page" if page == "directory" else "directory"]
    other = csp(other_page["headers"]["Content-Security-Policy"])
    assert other["script-src"] != policy["script-src"]


def test_production_redirects_plain_http_to_https(production):
    response = production["directory_http"]
    assert response["status"] == 301
    assert response["headers"]["Location"] == "https://example.org/directory/"


def test_production_cookies_are_secure_and_http_only(production):
    csrf = production["login_page"]["cookies"][settings.CSRF_COOKIE_NAME]
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax"}

    login = production["login"]
    assert login["status"] == 302, login["body"]
    assert login["headers"]["Location"] == "/directory/"
    session = login["cookies"][settings.SESSION_COOKIE_NAME]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_production_api_answers_json_only(production):
    browser = production["taxonomy_browser"]
    assert browser["status"] == 200
    assert browser["headers"]["Content-Type"] == "application/json"
    assert "stages" in json.loads(browser["body"])

    # An HTML-only Accept gets a JSON refusal, not the browsable API.
    html_only = production["taxonomy_html"]
    assert html_only["status"] == 406
    assert html_only["headers"]["Content-Type"] == "application/json"
    assert json.loads(html_only["body"])["detail"]

    listing = production["schema_html"]
    assert listing["headers"]["Content-Type"] == "application/json"
    assert "<html" not in listing["body"].lower()


def test_production_missing_pages(production):
    api = production["missing_api"]
    assert api["status"] == 404
    assert api["headers"]["Content-Type"] == "application/json"
    assert json.loads(api["body"]) == {"detail": "Not found."}

    page = production["missing_page"]
    assert page["status"] == 404
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert "Traceback" not in page["body"]
    assert "URLconf" not in page["body"]  # not Django's debug page


# In-process: the API's refusals


ORGANISATION = {
    "name": "Vector Works Lyon",
    "country": "FR",
    "kind": "cdmo",
    "stages": ["production"],
    "fields": ["viral-vectors"],
}


@pytest.mark.django_db
def test_cookie_authenticated_post_needs_a_csrf_token():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/v1/organisations/", ORGANISATION, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "CSRF" in response.json()["detail"]
    assert not Organisation.objects.filter(name=ORGANISATION["name"]).exists()

    # With the token the site's pages carry, the same request goes through.
    assert client.get("/accounts/profile/").status_code == 200
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/api/v1/organisations/",
        ORGANISATION,
        content_type="application/json",
        headers={"x-csrftoken": csrf},
    )
    assert response.status_code == 201, response.content
    assert Organisation.objects.filter(
        slug=response.json()["slug"], name=ORGANISATION["name"]
    ).exists()


@pytest.mark.django_db
def test_token_authenticated_post_needs_no_csrf_token():
    user = UserFactory()
    key = Token.objects.create(user=user).key
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/organisations/",
        ORGANISATION,
        content_type="application/json",
        headers={"authorization": f"Token {key}"},
    )
    assert response.status_code == 201, response.content
    slug = response.json()["slug"]
    assert Organisation.objects.filter(slug=slug).exists()
    me = client.get("/api/v1/me/", headers={"authorization": f"Token {key}"}).json()
    assert {"slug": slug, "role": "admin"}.items() <= me["organisations"][0].items()


@pytest.mark.django_db
def test_a_bad_token_is_refused_even_with_a_session():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/organisations/",
        ORGANISATION,
        content_type="application/json",
        headers={"authorization": "Token nope"},
    )
    assert response.status_code == 401
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_anonymous_me_is_401_json(client):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["detail"]


@pytest.mark.django_db
def test_anonymous_post_is_401_and_creates_nothing(client):
    response = client.post("/api/v1/organisations/", ORGANISATION, content_type="application/json")
    assert response.status_code == 401
    assert not Organisation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/", "/api/v1/organisations/no-such-slug/"]
)
def test_missing_api_url_is_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.django_db
def test_missing_site_page_is_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["{", "[1, 2", '"just a string"'])
def test_malformed_json_is_a_400_not_a_500(client, body):
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


# Content security policy: strict on the site, relaxed only for the admins


@pytest.mark.django_db
def test_site_pages_carry_the_strict_csp(client):
    response = client.get("/directory/")
    assert response.status_code == 200
    policy = csp(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"]
    assert any(v.startswith("'nonce-") for v in policy["script-src"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/cms/", "/cms/pages/", "/admin/"])
def test_admin_pages_carry_the_relaxed_csp(client, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    policy = csp(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.django_db
def test_relaxed_csp_does_not_leak_to_lookalike_paths(client):
    response = client.get("/cmsx/")
    assert "'unsafe-inline'" not in csp(response["Content-Security-Policy"])["script-src"]
