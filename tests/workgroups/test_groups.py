import pytest
from django.core import mail
from django.http import Http404
from guardian.models import UserObjectPermission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.errors import Conflict, NotAllowed, ServiceError
from messaging import selectors as messaging_selectors
from messaging.models import Notification
from tests.factories import UserFactory
from tests.querycount import queries_for
from tests.workgroups.helpers import group_with_cast
from workgroups import selectors, services
from workgroups.models import EmailInvitation, Membership, Workgroup

pytestmark = pytest.mark.django_db


def perms_of(user, workgroup) -> set[str]:
    return set(
        UserObjectPermission.objects.filter(user=user, object_pk=str(workgroup.pk)).values_list("permission__codename", flat=True)
    )


def chat_ids(workgroup) -> set[int]:
    return set(messaging_selectors.active_participant_ids(workgroup.conversation_id))


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


OWNER = {"view_workgroup_content", "participate_workgroup", "moderate_workgroup", "manage_workgroup"}
MODERATOR = OWNER - {"manage_workgroup"}
MEMBER = {"view_workgroup_content", "participate_workgroup"}


class TestMembershipServices:
    def test_permission_rows_and_chat_follow_every_change(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        assert perms_of(cast.owner, g) == OWNER
        assert perms_of(cast.moderator, g) == MODERATOR
        assert perms_of(cast.member, g) == MEMBER
        for role in ("pending", "invited", "removed", "outsider"):
            assert perms_of(cast[role], g) == set(), role
        assert chat_ids(g) == {cast.owner.pk, cast.moderator.pk, cast.member.pk}
        assert g.member_count == 3
        services.membership_set_role(actor=cast.owner, workgroup=g, user_id=cast.moderator.pk, role="member")
        assert perms_of(cast.moderator, g) == MEMBER
        services.workgroup_leave(actor=cast.member, workgroup=g)
        assert perms_of(cast.member, g) == set()
        assert cast.member.pk not in chat_ids(g)
        g.refresh_from_db()
        assert g.member_count == 2

    def test_join_policies(self):
        owner, person = UserFactory(), UserFactory()
        open_group = services.workgroup_create(creator=owner, name="Open group", visibility="public", join_policy="open")
        request_group = services.workgroup_create(creator=owner, name="Request group", join_policy="request")
        invite_group = services.workgroup_create(creator=owner, name="Invite group", join_policy="invite")
        secret_group = services.workgroup_create(creator=owner, name="Secret group", visibility="secret", join_policy="open")
        assert secret_group.join_policy == "invite"
        assert services.workgroup_join(actor=person, workgroup=open_group).status == "active"
        assert services.workgroup_join(actor=person, workgroup=request_group, message="hi").status == "pending"
        with pytest.raises(NotAllowed):
            services.workgroup_join(actor=person, workgroup=invite_group)
        with pytest.raises(Http404):
            services.workgroup_join(actor=person, workgroup=secret_group)
        services.invite_user(actor=owner, workgroup=secret_group, user=person)
        assert services.workgroup_join(actor=person, workgroup=secret_group).status == "active"
        assert perms_of(person, secret_group) == MEMBER

    def test_only_moderators_decide_and_owners_manage(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        for actor in (cast.member, cast.outsider, cast.pending, cast.removed, cast.invited):
            with pytest.raises(NotAllowed):
                services.membership_approve(actor=actor, workgroup=g, user_id=cast.pending.pk)
            with pytest.raises(NotAllowed):
                services.membership_remove(actor=actor, workgroup=g, user_id=cast.member.pk if actor != cast.member else cast.moderator.pk)
            with pytest.raises(NotAllowed):
                services.invite_user(actor=actor, workgroup=g, user=UserFactory())
        with pytest.raises(NotAllowed):
            services.membership_set_role(actor=cast.moderator, workgroup=g, user_id=cast.member.pk, role="moderator")
        with pytest.raises(NotAllowed):
            services.membership_remove(actor=cast.moderator, workgroup=g, user_id=cast.owner.pk)
        services.membership_approve(actor=cast.moderator, workgroup=g, user_id=cast.pending.pk)
        assert perms_of(cast.pending, g) == MEMBER
        with pytest.raises(Conflict):
            services.membership_approve(actor=cast.moderator, workgroup=g, user_id=cast.pending.pk)

    def test_a_group_keeps_an_owner(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        with pytest.raises(Conflict):
            services.workgroup_leave(actor=cast.owner, workgroup=g)
        with pytest.raises(Conflict):
            services.membership_set_role(actor=cast.owner, workgroup=g, user_id=cast.owner.pk, role="member")
        services.membership_set_role(actor=cast.owner, workgroup=g, user_id=cast.moderator.pk, role="owner")
        services.workgroup_leave(actor=cast.owner, workgroup=g)
        assert perms_of(cast.owner, g) == set()

    def test_email_invitation_is_completed_by_sign_up(self, client, django_capture_on_commit_callbacks):
        cast = group_with_cast("secret")
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invite_email(actor=cast.owner, workgroup=cast.workgroup, email="New.Person@Lab.example")
        assert isinstance(invitation, EmailInvitation)
        assert mail.outbox[-1].to == ["new.person@lab.example"]
        assert invitation.token in mail.outbox[-1].body
        with pytest.raises(Conflict):
            services.invite_email(actor=cast.owner, workgroup=cast.workgroup, email="new.person@lab.example")
        with pytest.raises(ServiceError):
            services.invite_email(actor=cast.owner, workgroup=cast.workgroup, email="not an email")
        # Sign up with that address and confirm it: the group is waiting, as an invitation.
        client.post(
            "/accounts/signup/",
            {"email": "new.person@lab.example", "display_name": "New Person", "password1": "a long passphrase 42!", "password2": "a long passphrase 42!"},
        )
        link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/confirm-email/" in line).strip()
        client.post(link[link.index("/accounts/"):])
        membership = Membership.objects.get(workgroup=cast.workgroup, user__email="new.person@lab.example")
        assert membership.status == "invited"
        assert cast.workgroup in selectors.workgroup_list_visible(user=membership.user)

    def test_secret_turns_pending_requests_away(self):
        cast = group_with_cast("secret")
        assert not Membership.objects.filter(workgroup=cast.workgroup, status="pending").exists()
        assert cast.workgroup not in selectors.workgroup_list_visible(user=cast.pending)

    def test_notifications_reach_the_right_people(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        newcomer = UserFactory()
        services.workgroup_join(actor=newcomer, workgroup=g, message="hello")
        request_notes = Notification.objects.filter(kind="workgroup.join_request", actor=newcomer)
        assert set(request_notes.values_list("recipient_id", flat=True)) == {cast.owner.pk, cast.moderator.pk}
        assert Notification.objects.filter(kind="workgroup.approved", recipient=cast.member).exists()
        assert Notification.objects.filter(kind="workgroup.invitation", recipient=cast.invited).exists()
        sent = services.announcement_send(actor=cast.moderator, workgroup=g, title="Plenary", body="Next week")
        assert sent == 2
        announced = set(Notification.objects.filter(kind="workgroup.announcement").values_list("recipient_id", flat=True))
        assert announced == {cast.owner.pk, cast.member.pk}
        with pytest.raises(NotAllowed):
            services.announcement_send(actor=cast.member, workgroup=g, title="Spam", body="")


class TestVisibility:
    @pytest.mark.parametrize("visibility", ["public", "members", "secret"])
    def test_who_sees_the_group_and_its_content(self, visibility):
        cast = group_with_cast(visibility)
        g = cast.workgroup
        for role in ("owner", "moderator", "member", "invited", "pending", "removed", "outsider"):
            user = cast[role]
            listed = g in selectors.workgroup_list_visible(user=user)
            reads = selectors.can_read_content(user, g)
            member = role in ("owner", "moderator", "member")
            expected_listed = visibility != "secret" or member or role == "invited"
            assert listed == expected_listed, (visibility, role)
            assert reads == (member or visibility == "public"), (visibility, role)


class TestPages:
    def test_group_list_has_no_n_plus_one(self, client):
        viewer = UserFactory()
        client.force_login(viewer)
        counts = []
        for n in (2, 18):
            for _ in range(n):
                services.workgroup_create(creator=UserFactory(), name=f"Group {Workgroup.objects.count()}", visibility="public")
            count, response = queries_for(lambda: client.get("/groups/"))
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts

    def test_group_page_query_count_does_not_grow_with_members(self, client):
        cast = group_with_cast("members")
        client.force_login(cast.owner)
        counts = []
        for n in (2, 20):
            for _ in range(n):
                user = UserFactory()
                services.invite_user(actor=cast.owner, workgroup=cast.workgroup, user=user)
                services.workgroup_join(actor=user, workgroup=cast.workgroup)
            count, response = queries_for(lambda: client.get(f"/groups/{cast.workgroup.slug}/"))
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts

    @pytest.mark.parametrize("visibility", ["public", "members", "secret"])
    def test_pages_over_html(self, client, visibility):
        cast = group_with_cast(visibility)
        base = f"/groups/{cast.workgroup.slug}/"
        client.logout()
        assert client.get(base).status_code == 302
        for role in ("owner", "moderator", "member", "invited", "pending", "removed", "outsider"):
            client.force_login(cast[role])
            member = role in ("owner", "moderator", "member")
            listed = visibility != "secret" or member or role == "invited"
            assert client.get(base).status_code == (200 if listed else 404), (role, "detail")
            reads = member or visibility == "public"
            assert client.get(base + "members/").status_code == (200 if reads else 404), (role, "members")
            moderates = role in ("owner", "moderator")
            response = client.post(base + "announce/", {"title": "x"})
            assert response.status_code in ((302,) if moderates else (403, 404)), (role, "announce")
            if not reads:
                assert response.status_code == 404, (role, "announce must look missing")
            chat = client.get(base + "chat/")
            assert chat.status_code == (302 if member else 404), (role, "chat")

    def test_join_request_and_approval_over_html(self, client):
        owner, person = UserFactory(), UserFactory()
        g = services.workgroup_create(creator=owner, name="Fill-finish club", join_policy="request")
        client.force_login(person)
        client.post(f"/groups/{g.slug}/join/", {"message": "QC lead at a CDMO"})
        assert Membership.objects.get(user=person).status == "pending"
        client.force_login(owner)
        page = client.get(f"/groups/{g.slug}/members/").content.decode()
        assert "QC lead at a CDMO" in page
        client.post(f"/groups/{g.slug}/members/{person.pk}/approve/")
        assert Membership.objects.get(user=person).status == "active"
        client.post(f"/groups/{g.slug}/members/{person.pk}/remove/")
        assert not Membership.objects.filter(user=person).exists()

    def test_create_and_edit(self, client):
        user = UserFactory()
        client.force_login(user)
        response = client.post("/groups/new/", {"name": "mRNA scale-up", "description": "LNP **formulation**", "visibility": "public", "join_policy": "open"})
        g = Workgroup.objects.get(name="mRNA scale-up")
        assert response["Location"] == g.get_absolute_url()
        assert "<strong>formulation</strong>" in g.description_html
        other = UserFactory()
        client.force_login(other)
        assert client.get(f"/groups/{g.slug}/edit/").status_code == 403


class TestApi:
    def test_contract(self):
        owner, person, outsider = UserFactory(), UserFactory(), UserFactory()
        response = as_user(owner).post(
            "/api/v1/workgroups/", {"name": "Plasmid DNA supply", "visibility": "members", "join_policy": "request", "fields": ["plasmid-dna"]}, format="json"
        )
        assert response.status_code == 201
        slug = response.json()["slug"]
        assert response.json()["conversation"]
        base = f"/api/v1/workgroups/{slug}/"
        assert as_user(person).get(base).json()["conversation"] is None
        assert as_user(person).post(base + "join/", {"message": "hello"}, format="json").json() == {"status": "pending"}
        # An outsider sees the name and count of a members-only group, not its members.
        assert as_user(outsider).get(base).status_code == 200
        assert as_user(outsider).get(base + "members/").status_code == 404
        # A pending person may not see the members: approving oneself is 404, not 403.
        assert as_user(person).post(base + f"members/{person.pk}/approve/").status_code == 404
        approved = as_user(owner).post(base + f"members/{person.pk}/approve/")
        assert approved.json()["status"] == "active"
        members = as_user(person).get(base + "members/").json()["results"]
        assert {(m["user"], m["role"], m["status"]) for m in members} == {(owner.pk, "owner", "active"), (person.pk, "member", "active")}
        assert as_user(person).post(base + "leave/").json() == {"status": "left"}
        assert APIClient().get("/api/v1/workgroups/").status_code == 401

    def test_secret_group_is_404_for_outsiders_everywhere(self):
        cast = group_with_cast("secret")
        base = f"/api/v1/workgroups/{cast.workgroup.slug}/"
        for role in ("outsider", "removed", "pending"):
            client = as_user(cast[role])
            assert client.get(base).status_code == 404
            assert client.post(base + "join/").status_code == 404
            assert client.get(base + "members/").status_code == 404
            assert client.post(base + "invitations/", {"user": cast.outsider.pk}, format="json").status_code == 404
            assert cast.workgroup.slug not in [g["slug"] for g in client.get("/api/v1/workgroups/?page_size=100").json()["results"]]
        invited = as_user(cast.invited)
        assert invited.get(base).status_code == 200
        assert invited.post(base + "join/").json() == {"status": "active"}

    def test_invitations_and_removal_over_the_api(self):
        cast = group_with_cast("members")
        base = f"/api/v1/workgroups/{cast.workgroup.slug}/"
        newcomer = UserFactory()
        assert as_user(cast.member).post(base + "invitations/", {"user": newcomer.pk}, format="json").status_code == 403
        assert as_user(cast.moderator).post(base + "invitations/", {"user": newcomer.pk}, format="json").json()["status"] == "invited"
        assert as_user(cast.moderator).post(base + "invitations/", {"email": "guest@uni.example"}, format="json").json()["status"] == "emailed"
        assert as_user(cast.moderator).post(base + "invitations/", {}, format="json").status_code == 400
        assert as_user(cast.member).delete(base + f"members/{cast.owner.pk}/").status_code == 403
        assert as_user(cast.moderator).delete(base + f"members/{cast.member.pk}/").status_code == 204
        assert as_user(cast.member).get(base + "members/").status_code == 404


@pytest.mark.parametrize("visibility", ["public", "members", "secret"])
def test_search_shows_a_group_only_to_who_may_see_it(client, visibility):
    cast = group_with_cast(visibility, name="Lentiviral vector bottleneck")
    for role in ("owner", "member", "invited", "pending", "removed", "outsider"):
        client.force_login(cast[role])
        html = client.get("/groups/?q=lentiviral").content.decode()
        api = as_user(cast[role]).get("/api/v1/workgroups/?search=lentiviral").json()["results"]
        expected = visibility != "secret" or role in ("owner", "member", "invited")
        assert ("Lentiviral vector bottleneck" in html) == expected, (visibility, role)
        assert bool(api) == expected, (visibility, role)
