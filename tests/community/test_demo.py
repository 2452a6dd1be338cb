"""The quick start's demo data: loads through the import, twice without changes."""

import io
import json

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from guardian.models import UserObjectPermission

from community import permissions
from community.importing import demo
from community.models import Organisation, OrganisationMembership, User
from partnerships.models import Call, Response

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "verified": EmailAddress.objects.filter(verified=True).count(),
        "memberships": OrganisationMembership.objects.count(),
        "permissions": UserObjectPermission.objects.count(),
        "stage links": Organisation.stages.through.objects.count(),
        "field links": Organisation.fields.through.objects.count(),
        "calls": Call.objects.count(),
        "responses": Response.objects.count(),
    }


def load() -> str:
    out = io.StringIO()
    # pytest-django runs with DEBUG off, where the command wants --force.
    call_command("load_demo", "--force", stdout=out)
    return out.getvalue()


def test_loading_twice_changes_nothing():
    first_output = load()
    first = counts()
    snapshot = list(Organisation.objects.order_by("pk").values())
    second_output = load()
    assert counts() == first
    assert list(Organisation.objects.order_by("pk").values()) == snapshot
    assert "350 organisations imported" in first_output
    assert "0 organisations imported (350 already there), 0 people" in second_output
    assert "4 partnership calls" in first_output and "0 partnership calls" in second_output


def test_demo_calls_match_the_demo_user():
    from partnerships import selectors

    load()
    assert Call.objects.filter(status="published").count() == 4
    alex = User.objects.get(email=demo.DEMO_EMAIL)
    matches, total = selectors.calls_for_you(alex)
    assert total >= 1
    anonymous = next(m for m in matches if m.call.anonymous)
    assert "Viral vectors" in anonymous.reasons
    assert selectors.shown_organisation(anonymous.call, alex) is None


def test_real_organisations_and_demo_people():
    load()
    imported = Organisation.objects.filter(source="demo")
    assert imported.count() >= 100
    assert not imported.filter(claimed=True).exists()
    assert set(imported.values_list("kind", flat=True)) == {"company", "hospital", "research"}
    assert (
        imported.filter(kind="hospital", latitude__isnull=False).count()
        == imported.filter(kind="hospital").count()
    )
    assert imported.filter(kind="company", fields__slug="monoclonal-antibodies").exists()
    for person in demo.PEOPLE:
        user = User.objects.get(email=person.email)
        assert user.check_password(demo.PASSWORD)
        assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
        assert user.display_name == person.display_name and user.job_title == person.job_title
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert User.objects.get(email=demo.DEMO_EMAIL).interests.filter(slug="viral-vectors").exists()


def test_demo_admins_hold_their_organisations_permissions():
    load()
    alex = User.objects.get(email=demo.DEMO_EMAIL)
    jan = User.objects.get(email="jan.novak@demo.example")
    vectors = Organisation.objects.get(name="Danube Vector Works")
    antibodies = Organisation.objects.get(name="Nordic Antibody Manufacturing")
    assert vectors.claimed and vectors.source == "member"
    assert permissions.has(alex, "community.change_organisation", vectors)
    assert permissions.has(alex, "community.manage_organisation_members", vectors)
    assert not permissions.has(
        jan, "community.change_organisation", vectors
    )  # a member, not an admin
    assert not permissions.has(alex, "community.change_organisation", antibodies)
    assert OrganisationMembership.objects.get(user=alex, organisation=antibodies).role == "member"


def test_the_fixture_is_small_and_complete():
    data = json.loads(demo.FIXTURE.read_text(encoding="utf-8"))
    assert demo.FIXTURE.stat().st_size < 1024 * 1024
    kinds = [o["kind"] for o in data]
    assert (
        kinds.count("company") >= 100
        and kinds.count("hospital") >= 50
        and kinds.count("research") >= 100
    )
    assert all(o["name"] and o["country"] and o["stages"] for o in data)


def test_refused_in_production_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Debug is off"):
        call_command("load_demo", stdout=io.StringIO())
    assert Organisation.objects.count() == 0


def test_banner(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_banner", "--url", "http://127.0.0.1:8000", stdout=out)
    assert "http://127.0.0.1:8000/" in out.getvalue() and "load_demo" in out.getvalue()
    load()
    out = io.StringIO()
    call_command("demo_banner", "--url", "http://127.0.0.1:8000", stdout=out)
    text = out.getvalue()
    assert f"{demo.DEMO_EMAIL}   password: {demo.PASSWORD}" in text
    assert demo.ADMIN_EMAIL in text and "http://127.0.0.1:8000/admin/" in text
    settings.DEBUG = False
    out = io.StringIO()
    call_command("demo_banner", stdout=out)
    assert demo.PASSWORD not in out.getvalue()
