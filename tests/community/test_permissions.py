"""The permission module: guardian's rows read the fast way, and a checker per request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community import permissions as perms
from tests.factories import UserFactory
from tests.workgroups.helpers import group_with_cast
from workgroups import permissions, selectors, services
from workgroups.models import Workgroup

pytestmark = pytest.mark.django_db


def guardian_reads(captured) -> int:
    """Lookups of one object's permissions (a checker's), not subqueries of lists."""
    return sum('"guardian_userobjectpermission"."object_pk" = ' in q["sql"] for q in captured.captured_queries)


def test_visible_matches_the_rows_held():
    cast = group_with_cast("secret")
    other = group_with_cast("members")
    everything = Workgroup.objects.all()
    assert set(perms.visible(cast.member, permissions.VIEW, everything)) == {cast.workgroup}
    assert set(perms.visible(cast.owner, permissions.MANAGE, everything)) == {cast.workgroup}
    assert not perms.visible(cast.member, permissions.MANAGE, everything).exists()
    for role in ("invited", "pending", "removed", "outsider"):
        assert not perms.visible(cast[role], permissions.VIEW, everything).filter(pk=cast.workgroup.pk).exists(), role
    assert set(perms.visible(other.member, permissions.VIEW, everything)) == {other.workgroup}


def test_inactive_and_anonymous_users_see_nothing_superusers_everything():
    from django.contrib.auth.models import AnonymousUser

    cast = group_with_cast("secret")
    everything = Workgroup.objects.all()
    assert not perms.visible(AnonymousUser(), permissions.VIEW, everything).exists()
    cast.member.is_active = False
    cast.member.save()
    assert not perms.visible(cast.member, permissions.VIEW, everything).exists()
    assert not perms.has(cast.member, permissions.VIEW, cast.workgroup)
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert set(perms.visible(admin, permissions.VIEW, everything)) == {cast.workgroup}


def test_one_guardian_read_per_object_within_a_request():
    cast = group_with_cast("members")
    with perms.request_cache(), CaptureQueriesContext(connection) as captured:
        for perm in (permissions.VIEW, permissions.PARTICIPATE, permissions.MODERATE, permissions.MANAGE) * 3:
            perms.has(cast.moderator, perm, cast.workgroup)
    assert guardian_reads(captured) == 1


def test_a_change_within_the_request_is_seen_at_once():
    cast = group_with_cast("members")
    with perms.request_cache():
        assert perms.has(cast.member, permissions.VIEW, cast.workgroup)
        services.membership_remove(actor=cast.owner, workgroup=cast.workgroup, user_id=cast.member.pk)
        assert not perms.has(cast.member, permissions.VIEW, cast.workgroup)
        assert not selectors.can_read_content(cast.member, cast.workgroup)


def test_outside_a_request_every_check_reads_the_database():
    """Sockets and tasks hold a user for long: they must never answer from an old checker."""
    cast = group_with_cast("members")
    assert perms.has(cast.member, permissions.VIEW, cast.workgroup)
    # Another process removes the member: only the database knows.
    perms.revoke(cast.member, permissions.ROLE_PERMS["member"], cast.workgroup)
    assert not perms.has(cast.member, permissions.VIEW, cast.workgroup)


def test_the_group_page_asks_guardian_once(client):
    cast = group_with_cast("members")
    client.force_login(cast.moderator)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/groups/{cast.workgroup.slug}/").status_code == 200
    assert guardian_reads(captured) == 1
