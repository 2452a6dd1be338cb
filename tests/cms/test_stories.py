"""Stories link the organisations and working groups they feature; a secret group stays secret."""

import pytest
from django.urls import reverse

from cms.choosers import workgroup_chooser_viewset
from tests.cms.conftest import story
from tests.factories import OrganisationFactory, UserFactory
from workgroups import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(db):
    owner = UserFactory(display_name="Olga Owner")
    made = {
        visibility: services.workgroup_create(
            creator=owner, name=f"Vector {visibility} circle", visibility=visibility
        )
        for visibility in ("public", "members", "secret")
    }
    made["owner"] = owner
    return made


def names_on(client, page) -> str:
    return client.get(page.url).content.decode()


def test_story_links_its_organisations(client, tree):
    org = OrganisationFactory(name="Plasmid Partners", country="PT", city="Porto")
    page = names_on(client, story(tree.stories, organisations=[org]))
    assert f'<a href="{org.get_absolute_url()}">Plasmid Partners</a>' in page
    assert "Porto, Portugal" in page


def groups_story(tree, groups):
    return story(tree.stories, workgroups=[groups["secret"], groups["members"], groups["public"]])


def test_anonymous_readers_see_public_groups_only(client, tree, groups):
    page = names_on(client, groups_story(tree, groups))
    assert "Vector public circle" in page
    assert "Vector members circle" not in page
    assert "Vector secret circle" not in page


def test_signed_in_outsiders_see_public_and_members_groups_never_the_secret_one(
    client, tree, groups
):
    client.force_login(UserFactory())
    page = names_on(client, groups_story(tree, groups))
    assert "Vector public circle" in page and "Vector members circle" in page
    assert "Vector secret circle" not in page
    assert groups["secret"].slug not in page


def test_members_of_the_secret_group_see_it(client, tree, groups):
    client.force_login(groups["owner"])
    page = names_on(client, groups_story(tree, groups))
    assert f'<a href="{groups["secret"].get_absolute_url()}">Vector secret circle</a>' in page


def test_the_body_block_of_organisations_and_groups_follows_the_same_rule(client, tree, groups):
    org = OrganisationFactory(name="Vector Works")
    body = [
        (
            "linked_actors",
            {
                "title": "Who took part",
                "organisations": [org],
                "workgroups": [groups["secret"], groups["public"]],
            },
        )
    ]
    page = story(tree.stories, "Block story", body=body)
    html = names_on(client, page)
    assert "Who took part" in html and "Vector Works" in html and "Vector public circle" in html
    assert "Vector secret circle" not in html
    client.force_login(UserFactory())
    assert "Vector secret circle" not in names_on(client, page)
    client.force_login(groups["owner"])
    assert "Vector secret circle" in names_on(client, page)


def test_the_editors_group_chooser_offers_only_groups_the_editor_may_see(
    client, groups, moderation_workflow
):
    from django.contrib.auth.models import Group

    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    html = client.get(reverse(workgroup_chooser_viewset.get_url_name("choose"))).content.decode()
    assert "Vector public circle" in html and "Vector members circle" in html
    assert "Vector secret circle" not in html
    chosen = client.get(
        reverse(workgroup_chooser_viewset.get_url_name("chosen"), args=[groups["secret"].pk])
    )
    assert chosen.status_code == 404
    searched = client.get(
        reverse(workgroup_chooser_viewset.get_url_name("choose_results")), {"q": "secret"}
    ).content.decode()
    assert "Vector secret circle" not in searched


def test_the_organisation_chooser_searches_the_directory_by_name(client, editor):
    from cms.choosers import organisation_chooser_viewset

    OrganisationFactory(name="Plasmid Partners", country="PT")
    OrganisationFactory(name="Antibody House")
    client.force_login(editor)
    html = client.get(
        reverse(organisation_chooser_viewset.get_url_name("choose_results")), {"q": "plasmid"}
    ).content.decode()
    assert "Plasmid Partners" in html and "Portugal" in html
    assert "Antibody House" not in html
