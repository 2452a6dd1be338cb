"""Editors manage feeds and rules and correct items' tags, in Wagtail (/cms/) and the platform admin."""

import importlib
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from cms.monitoring import demo
from cms.monitoring.models import ExternalFeed, FeedItem, TaggingRule
from tests.factories import UserFactory
from tests.monitoring.helpers import field, item

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    """A member of Wagtail's Editors group, as content editors are: not staff, not superuser.

    Transactional tests flush the group Wagtail's migrations make; it is made again
    here, and given this app's permissions by the migration that does it for real.
    """
    from django.apps import apps

    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    importlib.import_module("cms.monitoring.migrations.0003_editor_permissions").grant(apps, None)
    user = UserFactory(display_name="Eda Editor")
    user.groups.add(group)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestWagtail:
    def test_editors_get_the_three_lists(self, editor):
        ExternalFeed.objects.create(name="EMA news", url="https://example.org/ema.xml")
        item("AAV capsid plant opens", fields=["viral-vectors"])
        client = client_for(editor)
        for name, text in (
            ("externalfeed", "EMA news"),
            ("feeditem", "AAV capsid plant opens"),
            ("taggingrule", "Viral vectors"),
        ):
            response = client.get(reverse(f"{name}:index"))
            assert response.status_code == 200, name
            assert text in response.content.decode(), name
        menu = client.get("/cms/").content.decode()
        assert "Monitoring feed" in menu

    def test_an_editor_corrects_an_items_tags(self, editor):
        entry = item("AAV capsid plant opens", fields=["viral-vectors"])
        client = client_for(editor)
        url = reverse("feeditem:edit", args=[entry.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url, {"fields": [field("gene-therapy").pk], "stages": [], "hidden": ""}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        entry.refresh_from_db()
        assert entry.tags_locked
        assert set(entry.fields.values_list("slug", flat=True)) == {"gene-therapy"}

    def test_nobody_adds_items_by_hand(self, editor, admin_user):
        for user in (editor, admin_user):
            assert client_for(user).get(reverse("feeditem:add")).status_code in (302, 403)

    def test_an_editor_adds_a_feed_and_a_rule(self, editor, django_capture_on_commit_callbacks):
        client = client_for(editor)
        response = client.post(
            reverse("externalfeed:add"),
            {"name": "EC health news", "url": "https://example.org/ec.xml", "active": "on"},
        )
        assert response.status_code == 302
        assert ExternalFeed.objects.filter(name="EC health news").exists()
        response = client.post(
            reverse("externalfeed:add"),
            {"name": "Local file", "url": "file:///etc/passwd", "active": "on"},
        )
        assert (
            response.status_code == 200
            and not ExternalFeed.objects.filter(name="Local file").exists()
        )
        entry = item("A plasmid supply deal")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("taggingrule:add"),
                {
                    "keywords": "plasmid*",
                    "field": field("plasmid-dna").pk,
                    "stage": "",
                    "active": "on",
                    "note": "",
                },
            )
        assert response.status_code == 302
        assert set(entry.fields.values_list("slug", flat=True)) == {
            "plasmid-dna"
        }  # the worker re-tagged

    def test_a_bad_rule_is_refused(self, editor):
        response = client_for(editor).post(
            reverse("taggingrule:add"),
            {"keywords": "*", "field": field("mrna").pk, "stage": "", "active": "on"},
        )
        assert response.status_code == 200
        assert "has no letters or digits" in response.content.decode()
        assert not TaggingRule.objects.filter(keywords="*").exists()

    def test_members_without_the_permission_are_kept_out(self):
        member = UserFactory()
        assert client_for(member).get(reverse("externalfeed:index")).status_code in (302, 403)


class TestPlatformAdmin:
    def test_lists_and_no_add_for_items(self, admin_client):
        item("AAV capsid plant opens", fields=["viral-vectors"])
        for model in ("externalfeed", "feeditem", "taggingrule"):
            assert admin_client.get(f"/admin/monitoring/{model}/").status_code == 200
        assert admin_client.get("/admin/monitoring/feeditem/add/").status_code == 403

    def test_changing_tags_locks_them(self, admin_client):
        entry = item("AAV capsid plant opens", fields=["viral-vectors"])
        response = admin_client.post(
            f"/admin/monitoring/feeditem/{entry.pk}/change/",
            {"fields": [field("mrna").pk], "stages": [], "tags_locked": "", "hidden": ""},
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.tags_locked and set(entry.fields.values_list("slug", flat=True)) == {"mrna"}


class TestDemo:
    def test_loads_real_authorisations_tagged_once(self, default_rules):
        created = demo.load()
        assert created == len(json.loads(demo.FIXTURE.read_text())) > 50
        assert demo.load() == 0
        ema = ExternalFeed.objects.get(name__startswith="European Medicines Agency")
        assert not ema.active and ema.item_count == created
        beqvez = FeedItem.objects.get(
            link="https://www.ema.europa.eu/en/medicines/human/EPAR/beqvez"
        )
        assert (
            beqvez.title
            == "Beqvez (previously Durveqtix) (fidanacogene elaparvovec) authorised in the EU"
        )
        assert beqvez.published_at.date().isoformat() == "2024-07-24"
        assert "Source: European Medicines Agency." in beqvez.summary
        assert {"gene-therapy", "viral-vectors"} <= set(
            beqvez.fields.values_list("slug", flat=True)
        )
        assert (
            list(FeedItem.objects.filter(fields__isnull=True).values_list("title", "summary")) == []
        )
