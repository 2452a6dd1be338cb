"""Editors' workflow: drafts, review by moderators, scheduled publishing, revisions."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import NewsArticlePage
from tests.cms.conftest import news
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_draft_is_not_public_until_published_and_each_save_is_a_revision(client, tree):
    article = news(tree.news, "Draft news", live=False)
    assert client.get(f"/news/{article.slug}/").status_code == 404
    article.intro = "Second version."
    article.save_revision()
    assert article.revisions.count() == 2
    article.get_latest_revision().publish()
    assert client.get(f"/news/{article.slug}/").status_code == 200
    assert "Second version." in client.get(f"/news/{article.slug}/").content.decode()


def test_the_moderation_workflow_covers_every_page(tree, moderation_workflow):
    assert tree.home.get_workflow() == moderation_workflow
    assert news(tree.news).get_workflow() == moderation_workflow


def test_an_editor_submits_for_review_and_a_moderator_approves(client, tree, moderation_workflow):
    from django.contrib.auth.models import Group

    writer = UserFactory(is_staff=True)
    writer.groups.add(Group.objects.get(name="Editors"))
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(writer)
    data = nested_form_data(
        {
            "title": "Reviewed news",
            "slug": "reviewed-news",
            "intro": "Checked twice.",
            "body": streamfield([]),
            "action-submit": "1",
        }
    )
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["cms", "newsarticlepage", tree.news.pk]), data
    )
    assert response.status_code == 302
    article = NewsArticlePage.objects.get(slug="reviewed-news")
    assert not article.live
    state = article.current_workflow_state
    assert state is not None and state.status == "in_progress"
    assert client.get("/news/reviewed-news/").status_code == 404

    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, moderator, "approve")
    article.refresh_from_db()
    assert article.live
    client.logout()
    assert client.get("/news/reviewed-news/").status_code == 200


def _scheduled_article(tree, go_live_at):
    article = news(tree.news, "Embargoed", live=False)
    article.go_live_at = go_live_at
    article.save_revision().publish()
    article.refresh_from_db()
    return article


def test_a_page_scheduled_for_later_is_not_public_until_its_time(client, tree):
    article = _scheduled_article(tree, timezone.now() + timedelta(hours=2))
    assert not article.live
    assert client.get(f"/news/{article.slug}/").status_code == 404
    assert "Embargoed" not in client.get("/news/").content.decode()
    assert "Embargoed" not in client.get("/news/feed/rss/").content.decode()

    call_command("publish_scheduled", verbosity=0)  # too early: nothing happens
    article.refresh_from_db()
    assert not article.live

    # Time passes: the approved revision's go-live time is now behind us.
    past = timezone.now() - timedelta(minutes=1)
    revision = article.revisions.get(approved_go_live_at__isnull=False)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save()
    call_command("publish_scheduled", verbosity=0)
    article.refresh_from_db()
    assert article.live
    assert client.get(article.url).status_code == 200


def test_scheduling_enqueues_the_publisher_at_the_go_live_time(
    settings, tree, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    go_live = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        _scheduled_article(tree, go_live)
    [queued] = DBTaskResult.objects.filter(task_path="cms.tasks.publish_scheduled_pages")
    assert queued.run_after == go_live


def test_the_publisher_task_publishes_what_is_due(tree):
    from cms.tasks import publish_scheduled_pages

    article = _scheduled_article(tree, timezone.now() + timedelta(hours=1))
    past = timezone.now() - timedelta(minutes=1)
    Revision.objects.filter(pk=article.latest_revision_id).update(approved_go_live_at=past)
    revision = Revision.objects.get(pk=article.latest_revision_id)
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["content"])
    publish_scheduled_pages.enqueue()  # the immediate backend in tests
    article.refresh_from_db()
    assert article.live
