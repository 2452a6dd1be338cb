"""The CMS's test tree: a home page with every index, pages published through Wagtail, images on disk."""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.rich_text import RichText

from community.models import Field, Stage
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def add(parent, page, *, fields=(), stages=(), live=True):
    """Adds `page` under `parent` as a draft, tagged, then publishes it unless live=False."""
    if fields and hasattr(page, "fields"):
        page.fields = list(Field.objects.filter(slug__in=fields))
    if stages and hasattr(page, "stages"):
        page.stages = list(Stage.objects.filter(slug__in=stages))
    page.live = False
    parent.add_child(instance=page)
    if live:
        publish(page)
    else:
        page.save_revision()
    return page


def body(*paragraphs: str):
    return [("paragraph", RichText("".join(f"<p>{p}</p>" for p in paragraphs)))]


def news(
    parent,
    title="Vector capacity doubles",
    *,
    fields=("viral-vectors",),
    stages=("production",),
    live=True,
    **kwargs,
):
    from cms.models import NewsArticlePage

    kwargs.setdefault("intro", f"{title}: the summary.")
    kwargs.setdefault("body", body(f"The body of {title}."))
    return add(
        parent, NewsArticlePage(title=title, **kwargs), fields=fields, stages=stages, live=live
    )


def event(
    parent,
    title="Vector workshop",
    *,
    days=10,
    zone="Europe/Vienna",
    fields=("viral-vectors",),
    **kwargs,
):
    from zoneinfo import ZoneInfo

    from cms.models import EventPage

    local = (
        (timezone.now() + timedelta(days=days))
        .astimezone(ZoneInfo(zone))
        .replace(hour=9, minute=30, second=0, microsecond=0)
    )
    kwargs.setdefault("starts_at", local)
    kwargs.setdefault("ends_at", local.replace(hour=17, minute=0))
    kwargs.setdefault("intro", f"{title}: the summary.")
    kwargs.setdefault("city", "Vienna")
    kwargs.setdefault("country", "AT")
    kwargs.setdefault("venue", "Vector Hall")
    return add(parent, EventPage(title=title, time_zone=zone, **kwargs), fields=fields)


def story(parent, title="A vector partnership", *, organisations=(), workgroups=(), **kwargs):
    from cms.models import StoryOrganisation, StoryPage, StoryWorkgroup

    kwargs.setdefault("intro", f"{title}: the summary.")
    page = StoryPage(title=title, **kwargs)
    page.featured_organisations = [StoryOrganisation(organisation=o) for o in organisations]
    page.featured_workgroups = [StoryWorkgroup(workgroup=g) for g in workgroups]
    return add(parent, page, fields=("viral-vectors",))


def png_bytes(width=1600, height=900, colour=(11, 90, 115)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(
    title="Bioreactor hall", alt="Three single-use bioreactors in a clean room", **kwargs
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model

    return get_image_model().objects.create(
        title=title,
        description=alt,
        file=SimpleUploadedFile(f"{title}.png", png_bytes(), content_type="image/png"),
        **kwargs,
    )


@dataclass
class Tree:
    home: object
    news: object
    stories: object
    events: object
    panoramas: object


@pytest.fixture
def tree(db):
    from cms.models import (
        EventIndexPage,
        HomePage,
        NewsIndexPage,
        PanoramaIndexPage,
        StoryIndexPage,
    )

    home = HomePage.objects.get()
    indexes = {}
    for model, slug, title in (
        (NewsIndexPage, "news", "News"),
        (StoryIndexPage, "stories", "Success stories"),
        (EventIndexPage, "events", "Events"),
        (PanoramaIndexPage, "panorama", "Panoramas"),
    ):
        indexes[slug] = add(home, model(title=title, slug=slug, intro=f"{title} of the sector."))
    home.refresh_from_db()
    return Tree(
        home=home.specific,
        news=indexes["news"],
        stories=indexes["stories"],
        events=indexes["events"],
        panoramas=indexes["panorama"],
    )


@pytest.fixture
def editor(db):
    """A platform admin: Wagtail's superuser, the one who edits and publishes."""
    user = UserFactory(
        email="editor@platform.example",
        display_name="Erin Editor",
        is_staff=True,
        is_superuser=True,
    )
    return user


@pytest.fixture
def moderation_workflow(db):
    """Wagtail's default workflow on the whole tree, as its migrations create it.

    A transactional test elsewhere in the suite may have flushed it (stack note 10).
    """
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import (
        GroupApprovalTask,
        GroupPagePermission,
        Page,
        Workflow,
        WorkflowPage,
        WorkflowTask,
    )

    root = Page.get_first_root_node()
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    editors, _ = Group.objects.get_or_create(name="Editors")
    admin_access = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for group in (moderators, editors):
        group.permissions.add(admin_access)
    for codename in ("add_page", "change_page", "publish_page"):
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        GroupPagePermission.objects.get_or_create(
            group=moderators, page=root, permission=permission
        )
        if codename != "publish_page":
            GroupPagePermission.objects.get_or_create(
                group=editors, page=root, permission=permission
            )
    workflow = Workflow.objects.filter(name="Moderators approval").first()
    if workflow is None:
        workflow = Workflow.objects.create(name="Moderators approval")
        task = GroupApprovalTask.objects.create(name="Moderators approval")
        task.groups.set([moderators])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.get_or_create(page=root, defaults={"workflow": workflow})
    return workflow
