"""Discussions: the permission grid over pages and API, locking, hiding, deleting,
sanitized Markdown, notifications to the right people, and flat query counts."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.errors import Conflict, NotAllowed, ServiceError
from messaging.models import Notification
from tests.factories import UserFactory
from tests.querycount import queries_for
from tests.workgroups.helpers import ROLES, group_with_cast
from workgroups import threads
from workgroups.models import Reply, Thread, ThreadFollow, Workgroup

pytestmark = pytest.mark.django_db

VISIBILITIES = ("public", "members", "secret")
EVERYONE = ("anonymous", *ROLES)
MEMBERS = {"owner", "moderator", "member"}
MODERATORS = {"owner", "moderator"}
ACTIONS = ("list", "detail", "replies", "create", "reply", "follow", "edit", "delete", "moderate")


def readers(visibility: str) -> set[str]:
    return set(ROLES) if visibility == "public" else MEMBERS


def expected(visibility: str, role: str, action: str):
    """What `role` gets for `action` on a thread started by the member: "ok", 403, 404 or "anonymous"."""
    if role == "anonymous":
        return "anonymous"
    if role not in readers(visibility):
        return 404
    allowed = {
        "list": True,
        "detail": True,
        "replies": True,
        "create": role in MEMBERS,
        "reply": role in MEMBERS,
        "follow": role in MEMBERS,
        "edit": role == "member",
        "delete": role == "member",
        "moderate": role in MODERATORS,
    }[action]
    return "ok" if allowed else 403


def as_user(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def start(
    workgroup: Workgroup,
    author,
    title="Fill-finish capacity in 2026",
    body="Who has **spare** capacity?",
) -> Thread:
    return threads.thread_create(actor=author, workgroup=workgroup, title=title, body=body)


def answer(thread: Thread, author, body="We do, in Q3.") -> Reply:
    return threads.reply_create(actor=author, thread=thread, body=body)


def base(workgroup: Workgroup) -> str:
    return f"/groups/{workgroup.slug}/discussions/"


def api_base(workgroup: Workgroup) -> str:
    return f"/api/v1/workgroups/{workgroup.slug}/threads/"


def state(thread: Thread) -> tuple:
    thread.refresh_from_db()
    return (
        thread.title,
        thread.body,
        thread.locked,
        thread.pinned,
        thread.hidden,
        thread.deleted_at,
        thread.reply_count,
    )


class TestGridOverPages:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("role", EVERYONE)
    def test_every_role_and_path(self, client, visibility, role):
        cast = group_with_cast(visibility)
        g = cast.workgroup
        user = None if role == "anonymous" else cast[role]
        if user is not None:
            client.force_login(user)
        thread = start(g, cast.member)
        answer(thread, cast.owner)

        def outcome(response, done: bool):
            if response.status_code == 302 and "/accounts/login/" in response["Location"]:
                return "anonymous"
            if response.status_code in (403, 404):
                assert not done, (role, "refused but changed")
                return response.status_code
            assert done, (role, response.status_code, "allowed but nothing changed")
            return "ok"

        for action in ACTIONS:
            target = start(g, cast.member, title=f"Target for {action}")
            before = state(target)
            threads_before, replies_before = Thread.objects.count(), Reply.objects.count()
            if action == "list":
                r = client.get(base(g))
                got = outcome(r, r.status_code == 200)
                if got == "ok":
                    assert target.title in r.content.decode()
            elif action == "detail":
                r = client.get(f"{base(g)}{thread.pk}/")
                got = outcome(r, r.status_code == 200)
                if got == "ok":
                    assert "We do, in Q3." in r.content.decode()
            elif action == "replies":
                # On the pages, the replies are part of the thread page: here, the form to start a thread.
                r = client.get(f"{base(g)}new/")
                got = outcome(r, r.status_code == 200)
            elif action == "create":
                r = client.post(f"{base(g)}new/", {"title": "A new topic", "body": "Text"})
                got = outcome(r, Thread.objects.count() == threads_before + 1)
            elif action == "reply":
                r = client.post(f"{base(g)}{target.pk}/reply/", {"body": "A reply"})
                got = outcome(r, Reply.objects.count() == replies_before + 1)
            elif action == "follow":
                ThreadFollow.objects.filter(thread=target).delete()
                r = client.post(f"{base(g)}{target.pk}/follow/")
                got = outcome(r, ThreadFollow.objects.filter(thread=target).exists())
            elif action == "edit":
                r = client.post(
                    f"{base(g)}{target.pk}/edit/", {"title": "Changed title", "body": "Changed"}
                )
                got = outcome(r, state(target) != before)
            elif action == "delete":
                r = client.post(f"{base(g)}{target.pk}/delete/")
                got = outcome(r, state(target) != before)
            elif action == "moderate":
                r = client.post(f"{base(g)}{target.pk}/lock/")
                got = outcome(r, state(target) != before)
            want = expected(visibility, role, "create" if action == "replies" else action)
            assert got == want, (visibility, role, action, got)
            if got in (403, 404):
                assert state(target) == before
                assert (Thread.objects.count(), Reply.objects.count()) == (
                    threads_before,
                    replies_before,
                )

    def test_a_thread_of_another_group_is_404(self, client):
        a, b = group_with_cast("public"), group_with_cast("public")
        other = start(b.workgroup, b.member)
        client.force_login(a.owner)
        assert client.get(f"{base(a.workgroup)}{other.pk}/").status_code == 404
        assert (
            client.post(f"{base(a.workgroup)}{other.pk}/reply/", {"body": "x"}).status_code == 404
        )
        assert client.post(f"{base(a.workgroup)}{other.pk}/lock/").status_code == 404
        assert client.get(f"{base(a.workgroup)}999999/").status_code == 404
        assert client.post(f"{base(a.workgroup)}{other.pk}/dance/").status_code == 404
        assert not Reply.objects.exists()


def api_call(client, action: str, g: Workgroup, thread: Thread, target: Thread):
    url = f"{api_base(g)}{target.pk}/"
    if action == "list":
        return client.get(api_base(g))
    if action == "detail":
        return client.get(f"{api_base(g)}{thread.pk}/")
    if action == "replies":
        return client.get(f"{api_base(g)}{thread.pk}/replies/")
    if action == "create":
        return client.post(api_base(g), {"title": "A new topic", "body": "Text"}, format="json")
    if action == "reply":
        return client.post(url + "replies/", {"body": "A reply"}, format="json")
    if action == "follow":
        return client.post(url + "follow/")
    if action == "edit":
        return client.patch(url, {"title": "Changed title"}, format="json")
    if action == "delete":
        return client.delete(url)
    return client.patch(url, {"locked": True}, format="json")


class TestGridOverApi:
    @pytest.mark.parametrize("visibility", VISIBILITIES)
    @pytest.mark.parametrize("role", EVERYONE)
    def test_every_role_and_path(self, visibility, role):
        cast = group_with_cast(visibility)
        g = cast.workgroup
        client = as_user(None if role == "anonymous" else cast[role])
        thread = start(g, cast.member)
        answer(thread, cast.owner)
        codes = {"anonymous": 401, 403: 403, 404: 404}
        ok = {
            "list": 200,
            "detail": 200,
            "replies": 200,
            "create": 201,
            "reply": 201,
            "follow": 200,
            "edit": 200,
            "delete": 204,
            "moderate": 200,
        }
        for action in ACTIONS:
            target = start(g, cast.member, title=f"Target for {action}")
            before = state(target)
            counts = (Thread.objects.count(), Reply.objects.count())
            r = api_call(client, action, g, thread, target)
            want = expected(visibility, role, action)
            assert r.status_code == (ok[action] if want == "ok" else codes[want]), (
                visibility,
                role,
                action,
                r.status_code,
            )
            if want != "ok":
                assert r.json()["detail"]
                assert state(target) == before
                assert (Thread.objects.count(), Reply.objects.count()) == counts
        if expected(visibility, role, "list") == "ok":
            listed = client.get(api_base(g)).json()
            assert set(listed) == {"count", "next", "previous", "results"}
            replies = client.get(f"{api_base(g)}{thread.pk}/replies/").json()
            assert [x["body"] for x in replies["results"]] == ["We do, in Q3."]

    def test_contract_of_a_thread_and_a_reply(self):
        cast = group_with_cast("members")
        client = as_user(cast.member)
        created = client.post(
            api_base(cast.workgroup),
            {"title": "  Viral   vector\nscale-up ", "body": "*Hi*"},
            format="json",
        )
        assert created.status_code == 201
        data = created.json()
        assert data["title"] == "Viral vector scale-up"
        assert data["body_html"] == "<p><em>Hi</em></p>"
        assert data["author"] == {"id": cast.member.pk, "name": str(cast.member)}
        assert data["workgroup"] == cast.workgroup.slug
        assert data["following"] is True
        assert (data["pinned"], data["locked"], data["hidden"], data["reply_count"]) == (
            False,
            False,
            False,
            0,
        )
        assert data["url"].endswith(f"{base(cast.workgroup)}{data['id']}/")
        reply = as_user(cast.owner).post(
            f"{api_base(cast.workgroup)}{data['id']}/replies/", {"body": "Yes"}, format="json"
        )
        assert reply.status_code == 201
        assert set(reply.json()) == {
            "id",
            "thread",
            "author",
            "body",
            "body_html",
            "created_at",
            "edited_at",
            "deleted",
            "hidden",
        }
        detail = client.get(f"{api_base(cast.workgroup)}{data['id']}/").json()
        assert detail["reply_count"] == 1
        assert detail["last_activity_at"] >= data["last_activity_at"]
        single = client.get(f"{api_base(cast.workgroup)}{data['id']}/replies/{reply.json()['id']}/")
        assert single.json()["body"] == "Yes"

    def test_patch_and_delete_of_replies(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.owner)
        reply = answer(thread, cast.member)
        url = f"{api_base(cast.workgroup)}{thread.pk}/replies/{reply.pk}/"
        assert (
            as_user(cast.owner).patch(url, {"body": "not mine"}, format="json").status_code == 403
        )
        assert as_user(cast.member).patch(url, {"hidden": True}, format="json").status_code == 403
        edited = as_user(cast.member).patch(url, {"body": "Edited **reply**"}, format="json")
        assert edited.status_code == 200
        assert (
            edited.json()["edited_at"]
            and edited.json()["body_html"] == "<p>Edited <strong>reply</strong></p>"
        )
        assert (
            as_user(cast.moderator).patch(url, {"hidden": True}, format="json").json()["hidden"]
            is True
        )
        assert as_user(cast.member).get(url).status_code == 404
        assert as_user(cast.member).delete(url).status_code == 404
        as_user(cast.moderator).patch(url, {"hidden": False}, format="json")
        assert as_user(cast.moderator).delete(url).status_code == 403
        assert as_user(cast.member).delete(url).status_code == 204
        gone = as_user(cast.owner).get(url).json()
        assert (gone["deleted"], gone["body"], gone["body_html"]) == (True, "", "")
        assert as_user(cast.member).patch(url, {"body": "back"}, format="json").status_code == 409

    def test_bad_input_is_400_and_changes_nothing(self):
        cast = group_with_cast("members")
        client = as_user(cast.member)
        thread = start(cast.workgroup, cast.member)
        before = state(thread)
        bad_creates = [
            {},
            {"title": "ab", "body": "x"},
            {"title": "x" * 201, "body": "x"},
            {"title": "A title", "body": ""},
            {"title": "A title", "body": "   "},
            {"title": "A title", "body": "x" * 20_001},
            {"title": "A\x00title", "body": "x"},
            {"title": "A title", "body": "x\x00y"},
            {"title": ["A title"], "body": {"x": 1}},
        ]
        for payload in bad_creates:
            r = client.post(api_base(cast.workgroup), payload, format="json")
            assert r.status_code == 400, payload
        assert (
            client.post(
                api_base(cast.workgroup), "not json", content_type="application/json"
            ).status_code
            == 400
        )
        url = f"{api_base(cast.workgroup)}{thread.pk}/"
        for payload in (
            {},
            {"title": "ab"},
            {"body": ""},
            {"locked": "perhaps"},
            {"title": "Fine title", "body": "\x00"},
        ):
            assert client.patch(url, payload, format="json").status_code == 400, payload
        assert client.post(url + "replies/", {"body": ""}, format="json").status_code == 400
        assert (
            client.post(url + "replies/", {"body": "x" * 20_001}, format="json").status_code == 400
        )
        assert Thread.objects.count() == 1 and not Reply.objects.exists()
        assert state(thread) == before

    def test_a_refused_moderation_undoes_the_edit_sent_with_it(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        before = state(thread)
        r = as_user(cast.member).patch(
            f"{api_base(cast.workgroup)}{thread.pk}/",
            {"title": "New title", "pinned": True},
            format="json",
        )
        assert r.status_code == 403
        assert state(thread) == before

    def test_follow_and_unfollow(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.owner)
        url = f"{api_base(cast.workgroup)}{thread.pk}/"
        client = as_user(cast.member)
        assert client.get(url).json()["following"] is False
        assert client.post(url + "follow/").json() == {"following": True}
        assert client.post(url + "follow/").json() == {"following": True}
        assert client.get(url).json()["following"] is True
        assert client.delete(url + "follow/").json() == {"following": False}
        assert not ThreadFollow.objects.filter(thread=thread, user=cast.member).exists()


class TestLockedHiddenDeleted:
    def test_locked_threads_take_replies_from_moderators_only(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        thread = start(g, cast.member)
        reply = answer(thread, cast.member)
        threads.thread_moderate(actor=cast.moderator, thread=thread, locked=True)
        with pytest.raises(Conflict):
            answer(thread, cast.member)
        r = as_user(cast.member).post(
            f"{api_base(g)}{thread.pk}/replies/", {"body": "still?"}, format="json"
        )
        assert r.status_code == 409 and r.json()["code"] == "locked"
        # Even with a body that would be refused: the lock is what the caller learns first.
        assert (
            as_user(cast.member)
            .post(f"{api_base(g)}{thread.pk}/replies/", {"body": ""}, format="json")
            .status_code
            == 409
        )
        assert (
            as_user(cast.member)
            .patch(f"{api_base(g)}{thread.pk}/", {"body": "rewrite"}, format="json")
            .status_code
            == 409
        )
        with pytest.raises(Conflict):
            threads.reply_edit(actor=cast.member, reply=reply, body="rewrite")
        client.force_login(cast.member)
        page = soup(client.get(f"{base(g)}{thread.pk}/"))
        assert page.select_one(".reply-box form") is None
        assert "locked" in page.select_one("#reply-refusal").get_text()
        assert page.select_one(f"#r{reply.pk} a[href$='/edit/']") is None
        refused = client.post(f"{base(g)}{thread.pk}/reply/", {"body": "my long text"})
        assert refused.status_code == 409
        assert "locked" in soup(refused).select_one("[role=alert]").get_text()
        assert soup(refused).select_one("#kept-text").get_text() == "my long text"
        assert client.get(f"{base(g)}{thread.pk}/edit/").status_code == 302
        assert answer(thread, cast.moderator, "Closing remark").pk
        threads.reply_delete(actor=cast.member, reply=reply)  # one's own words can still go
        client.force_login(cast.moderator)
        page = soup(client.get(f"{base(g)}{thread.pk}/"))
        assert page.select_one(".reply-box form textarea[name=body]") is not None
        assert page.select_one(".badge-locked")
        client.post(f"{base(g)}{thread.pk}/unlock/")
        assert answer(thread, cast.member, "Open again").pk
        assert Reply.objects.filter(thread=thread, deleted_at__isnull=True).count() == 2

    def test_hidden_threads_exist_for_moderators_only(self, client):
        cast = group_with_cast("public")
        g = cast.workgroup
        thread = start(g, cast.member, title="Off-topic advertising")
        threads.thread_moderate(actor=cast.moderator, thread=thread, hidden=True)
        for role in ("member", "outsider", "removed"):
            client.force_login(cast[role])
            assert client.get(f"{base(g)}{thread.pk}/").status_code == 404, role
            assert "Off-topic advertising" not in client.get(base(g)).content.decode()
            assert as_user(cast[role]).get(f"{api_base(g)}{thread.pk}/").status_code == 404
            assert as_user(cast[role]).get(api_base(g)).json()["count"] == 0
            assert client.post(f"{base(g)}{thread.pk}/reply/", {"body": "x"}).status_code == 404
        with pytest.raises(Http404):
            threads.thread_edit(
                actor=cast.member, thread=thread, title="Its author cannot see it either"
            )
        for role in ("owner", "moderator"):
            client.force_login(cast[role])
            listed = soup(client.get(base(g)))
            assert listed.select_one(".thread-row.is-hidden .badge-hidden"), role
            assert soup(client.get(f"{base(g)}{thread.pk}/")).select_one(".thread-notice-warn")
            assert as_user(cast[role]).get(f"{api_base(g)}{thread.pk}/").json()["hidden"] is True
        client.post(f"{base(g)}{thread.pk}/unhide/")
        thread.refresh_from_db()
        assert not thread.hidden

    def test_hidden_replies_exist_for_moderators_only(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        thread = start(g, cast.owner)
        keep, spam = (
            answer(thread, cast.member, "Useful"),
            answer(thread, cast.member, "Buy cheap vials"),
        )
        threads.reply_hide(actor=cast.moderator, reply=spam)
        thread.refresh_from_db()
        assert thread.reply_count == 1
        client.force_login(cast.member)
        page = client.get(f"{base(g)}{thread.pk}/").content.decode()
        assert "Useful" in page and "Buy cheap vials" not in page
        assert [
            r["id"]
            for r in as_user(cast.member)
            .get(f"{api_base(g)}{thread.pk}/replies/")
            .json()["results"]
        ] == [keep.pk]
        assert client.get(f"{base(g)}{thread.pk}/replies/{spam.pk}/").status_code == 404
        assert client.post(f"{base(g)}{thread.pk}/replies/{spam.pk}/hide/").status_code == 404
        client.force_login(cast.moderator)
        page = soup(client.get(f"{base(g)}{thread.pk}/"))
        assert page.select_one(f"#r{spam.pk}.is-hidden .badge-hidden")
        assert client.post(f"{base(g)}{thread.pk}/replies/{spam.pk}/unhide/").status_code == 302
        thread.refresh_from_db()
        assert thread.reply_count == 2
        with pytest.raises(NotAllowed):
            threads.reply_hide(actor=cast.member, reply=keep)

    def test_deleted_threads_are_404_for_everyone(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        thread = start(g, cast.member, title="A mistake")
        answer(thread, cast.member, "my own follow-up")
        client.force_login(cast.member)
        r = client.post(f"{base(g)}{thread.pk}/delete/")
        assert r.status_code == 302 and r["Location"] == base(g)
        thread.refresh_from_db()
        assert thread.deleted_at and thread.body == "" and thread.body_html == ""
        assert Thread.objects.filter(pk=thread.pk).exists()
        for role in ("member", "moderator", "owner"):
            client.force_login(cast[role])
            assert client.get(f"{base(g)}{thread.pk}/").status_code == 404
            assert "A mistake" not in client.get(base(g)).content.decode()
            assert as_user(cast[role]).get(f"{api_base(g)}{thread.pk}/").status_code == 404
            assert as_user(cast[role]).get(f"{api_base(g)}{thread.pk}/replies/").status_code == 404
        with pytest.raises(Http404):
            answer(thread, cast.owner)

    def test_a_thread_with_replies_of_others_is_hidden_not_deleted(self, client):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        answer(thread, cast.owner)
        r = as_user(cast.member).delete(f"{api_base(cast.workgroup)}{thread.pk}/")
        assert r.status_code == 409 and r.json()["code"] == "has_replies"
        client.force_login(cast.member)
        r = client.post(f"{base(cast.workgroup)}{thread.pk}/delete/", follow=True)
        assert "moderator can hide" in soup(r).select_one(".flash-error").get_text()
        thread.refresh_from_db()
        assert thread.deleted_at is None

    def test_deleted_replies_show_as_deleted(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        thread = start(g, cast.owner)
        first, second = (
            answer(thread, cast.member, "First words"),
            answer(thread, cast.moderator, "Second"),
        )
        client.force_login(cast.member)
        assert client.post(f"{base(g)}{thread.pk}/replies/{first.pk}/delete/").status_code == 302
        first.refresh_from_db()
        assert first.deleted_at and first.body == ""
        thread.refresh_from_db()
        assert thread.reply_count == 1
        page = soup(client.get(f"{base(g)}{thread.pk}/"))
        assert "deleted" in page.select_one(f"#r{first.pk}.deleted .post-body").get_text()
        assert "First words" not in str(page)
        assert page.select_one(f"#r{second.pk} .post-body").get_text().strip() == "Second"
        with pytest.raises(NotAllowed):
            threads.reply_delete(actor=cast.owner, reply=second)
        with pytest.raises(Conflict):
            threads.reply_edit(actor=cast.member, reply=first, body="resurrected")

    def test_a_removed_author_may_delete_but_not_edit(self, client):
        cast = group_with_cast("public")
        g = cast.workgroup
        # Written while a member (a plain row: the membership is already gone).
        old = Thread.objects.create(
            workgroup=g, author=cast.removed, title="Old post", body="old", body_html="<p>old</p>"
        )
        client.force_login(cast.removed)
        assert (
            client.post(f"{base(g)}{old.pk}/edit/", {"title": "New", "body": "new"}).status_code
            == 403
        )
        page = soup(client.get(f"{base(g)}{old.pk}/"))
        assert page.select_one("a[href$='/edit/']") is None
        assert client.post(f"{base(g)}{old.pk}/delete/").status_code == 302
        old.refresh_from_db()
        assert old.deleted_at is not None


class TestServices:
    def test_input_is_checked_and_nothing_changes_on_refusal(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        for title, body in [
            ("ab", "x"),
            ("   a  ", "x"),
            ("x" * 201, "x"),
            ("A title", ""),
            ("A title", " \n "),
            ("A title", "x" * 20_001),
            ("A\x00title", "x"),
            ("A title", "x\x00"),
            (None, "x"),
            ("A title", 42),
        ]:
            with pytest.raises(ServiceError):
                threads.thread_create(actor=cast.member, workgroup=g, title=title, body=body)
        assert not Thread.objects.exists()
        thread = start(g, cast.member, title="x" * 200, body="y" * 20_000)
        assert len(thread.title) == 200
        before = state(thread)
        with pytest.raises(ServiceError):
            threads.thread_edit(actor=cast.member, thread=thread, title="Good title", body="")
        with pytest.raises(ServiceError):
            threads.thread_moderate(actor=cast.moderator, thread=thread, pinned="yes")
        assert state(thread) == before
        assert Workgroup.objects.get(pk=g.pk).last_activity_at >= thread.created_at

    def test_ordering_pinned_first_then_last_activity(self):
        cast = group_with_cast("members")
        g = cast.workgroup
        a, b, c = (start(g, cast.member, title=f"Thread {n}") for n in "abc")
        answer(a, cast.owner)
        threads.thread_moderate(actor=cast.owner, thread=b, pinned=True)
        order = [t.title for t in threads.threads_visible(user=cast.member, workgroup=g)]
        assert order == ["Thread b", "Thread a", "Thread c"]

    def test_edits_are_marked_and_authors_only(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        for actor in (cast.owner, cast.moderator):
            with pytest.raises(NotAllowed):
                threads.thread_edit(actor=actor, thread=thread, title="Not yours")
            with pytest.raises(NotAllowed):
                threads.thread_delete(actor=actor, thread=thread)
        edited = threads.thread_edit(
            actor=cast.member, thread=thread, title="Better title", body="Better _body_"
        )
        assert edited.edited_at and edited.body_html == "<p>Better <em>body</em></p>"


class TestSanitizing:
    ATTACKS = "\n\n".join(
        [
            "<script>alert('x')</script>",
            "[click](javascript:alert(1))",
            "[click2](JaVaScRiPt:alert(1))",
            "<img src=x onerror=alert(1)>",
            '<a href="https://example.org" onclick="alert(1)">raw link</a>',
            "<iframe src='https://evil.example'></iframe>",
            "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            '<div style="background:url(javascript:alert(1))">styled</div>',
            "**bold** and https://example.org/autolink",
        ]
    )

    def assert_clean(self, html: str) -> None:
        tree = BeautifulSoup(html, "html.parser")
        assert tree.find(["script", "iframe", "img", "style", "div"]) is None
        for tag in tree.find_all(True):
            for name, value in tag.attrs.items():
                assert not name.lower().startswith("on"), (tag, name)
                assert name != "style", tag
                if name == "href":
                    assert value.split(":", 1)[0].lower() in ("http", "https", "mailto"), value

    def test_threads_and_replies_are_sanitized(self, client):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member, body=self.ATTACKS)
        reply = answer(thread, cast.owner, body=self.ATTACKS)
        edited = threads.reply_edit(actor=cast.owner, reply=reply, body=self.ATTACKS + "\n\nagain")
        for html in (thread.body_html, reply.body_html, edited.body_html):
            self.assert_clean(html)
            assert "<strong>bold</strong>" in html
            assert 'href="https://example.org/autolink"' in html
        client.force_login(cast.member)
        page = soup(client.get(f"{base(cast.workgroup)}{thread.pk}/"))
        bodies = page.select(".post-body")
        assert len(bodies) == 2
        for body in bodies:
            self.assert_clean(body.decode_contents())
        # Titles are text, escaped wherever they appear.
        evil = start(cast.workgroup, cast.member, title="<script>alert(1)</script> title")
        listed = soup(client.get(base(cast.workgroup)))
        assert listed.select_one(".thread-list script") is None
        assert "<script>alert(1)</script> title" in [
            a.get_text() for a in listed.select(".thread-title a")
        ]
        api = as_user(cast.member).get(f"{api_base(cast.workgroup)}{evil.pk}/").json()
        assert api["title"] == "<script>alert(1)</script> title"


class TestNotifications:
    def kinds(self, user) -> list[str]:
        return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))

    def test_a_new_thread_notifies_active_members_but_its_author(self):
        cast = group_with_cast("public")
        Notification.objects.all().delete()
        thread = start(cast.workgroup, cast.member)
        for role in ("owner", "moderator"):
            n = Notification.objects.get(recipient=cast[role])
            assert n.kind == "workgroup.thread"
            assert thread.title in n.title and n.url == threads.thread_url(thread)
        for role in ("member", "pending", "invited", "removed", "outsider"):
            assert self.kinds(cast[role]) == [], role

    def test_replies_notify_followers_who_are_still_members(self):
        cast = group_with_cast("public")
        g = cast.workgroup
        thread = start(g, cast.member)
        answer(thread, cast.moderator, "moderator joins in")  # now follows
        # A follow row left behind by someone no longer in the group.
        ThreadFollow.objects.create(thread=thread, user=cast.removed)
        Notification.objects.all().delete()
        reply = answer(thread, cast.owner, "owner's answer")
        for role in ("member", "moderator"):
            n = Notification.objects.get(recipient=cast[role])
            assert n.kind == "workgroup.reply"
            assert n.url == threads.reply_url(reply)
            assert "owner's answer" in n.body
        for role in ("owner", "removed", "outsider", "pending", "invited"):
            assert self.kinds(cast[role]) == [], role
        # The owner now follows; the member stops following.
        threads.thread_unfollow(actor=cast.member, thread=thread)
        Notification.objects.all().delete()
        answer(thread, cast.moderator, "again")
        assert self.kinds(cast.owner) == ["workgroup.reply"]
        assert self.kinds(cast.member) == []
        assert self.kinds(cast.removed) == []

    def test_replies_to_a_thread_come_as_one_unread_line(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        answer(thread, cast.owner, "one")
        answer(thread, cast.owner, "two")
        lines = Notification.objects.filter(recipient=cast.member, kind="workgroup.reply")
        assert lines.count() == 1 and "two" in lines.get().body

    def test_a_hidden_thread_notifies_moderators_only(self):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        answer(thread, cast.moderator)
        threads.thread_follow(actor=cast.owner, thread=thread)
        threads.thread_moderate(actor=cast.moderator, thread=thread, hidden=True)
        Notification.objects.all().delete()
        answer(thread, cast.moderator, "note for the owner")
        assert self.kinds(cast.owner) == ["workgroup.reply"]
        assert self.kinds(cast.member) == []

    def test_publishing_happens_after_commit(self, django_capture_on_commit_callbacks):
        cast = group_with_cast("members")
        with django_capture_on_commit_callbacks() as callbacks:
            start(cast.workgroup, cast.member)
        assert len(callbacks) >= 2  # the owner's and the moderator's sockets

    def test_a_rolled_back_write_publishes_nothing(self, django_capture_on_commit_callbacks):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.member)
        Notification.objects.all().delete()

        def write_then_fail():
            with transaction.atomic():
                start(cast.workgroup, cast.member, title="Never happened")
                answer(thread, cast.owner)
                raise RuntimeError

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            write_then_fail()
        assert callbacks == []
        assert not Notification.objects.exists()
        assert Thread.objects.count() == 1 and not Reply.objects.exists()

    def test_an_outsider_cannot_follow_to_get_news(self):
        cast = group_with_cast("public")
        thread = start(cast.workgroup, cast.member)
        with pytest.raises(NotAllowed):
            threads.thread_follow(actor=cast.outsider, thread=thread)
        assert not ThreadFollow.objects.filter(user=cast.outsider).exists()


class TestPages:
    def test_list_shows_badges_counts_and_empty_state(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        client.force_login(cast.member)
        empty = soup(client.get(base(g)))
        assert empty.select_one(".empty")
        assert empty.select_one(f"a[href='{base(g)}new/']")
        pinned = start(g, cast.owner, title="Read me first")
        threads.thread_moderate(actor=cast.owner, thread=pinned, pinned=True, locked=True)
        mine = start(g, cast.member, title="My question")
        answer(mine, cast.owner)
        page = soup(client.get(base(g)))
        rows = page.select(".thread-list > li")
        assert [r.select_one(".thread-title").get_text() for r in rows] == [
            "Read me first",
            "My question",
        ]
        assert rows[0].select_one(".badge-pinned") and rows[0].select_one(".badge-locked")
        assert rows[1].select_one(".badge-following")
        assert "Olga Owner" in rows[0].get_text()
        assert rows[1].select("dd")[0].get_text() == "1"

    def test_reply_form_hidden_with_the_reason(self, client):
        cast = group_with_cast("public")
        g = cast.workgroup
        thread = start(g, cast.member)
        reasons = {
            "outsider": "join it",
            "pending": "waiting for a moderator",
            "invited": "Accept the invitation",
            "removed": "join it",
        }
        for role, words in reasons.items():
            client.force_login(cast[role])
            page = soup(client.get(f"{base(g)}{thread.pk}/"))
            assert page.select_one(".reply-box form") is None, role
            assert words in page.select_one("#reply-refusal").get_text(), role
            assert page.select_one(f"a[href='{base(g)}new/']") is None
            assert words in soup(client.get(base(g))).select_one(".thread-notice").get_text()
        client.force_login(cast.member)
        page = soup(client.get(f"{base(g)}{thread.pk}/"))
        textarea = page.select_one(".reply-box form textarea[name=body]")
        assert page.select_one(f"label[for={textarea['id']}]")
        assert page.select_one(".moderation") is None
        client.force_login(cast.moderator)
        assert soup(client.get(f"{base(g)}{thread.pk}/")).select_one(".moderation form")

    def test_forms_show_errors_and_keep_the_text(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        client.force_login(cast.member)
        r = client.post(f"{base(g)}new/", {"title": "ab", "body": "Some long text"})
        assert r.status_code == 200
        page = soup(r)
        assert page.select_one(".errorlist")
        assert page.select_one("textarea[name=body]").get_text().strip() == "Some long text"
        assert page.select_one("input[name=title]").get("aria-invalid") == "true"
        r = client.post(f"{base(g)}new/", {"title": "A\x00b title", "body": "x"})
        assert r.status_code == 200 and soup(r).select_one(".errorlist")
        assert not Thread.objects.exists()
        thread = start(g, cast.member)
        r = client.post(f"{base(g)}{thread.pk}/reply/", {"body": "   "})
        assert r.status_code == 200 and soup(r).select_one(".reply-box .errorlist")
        assert not Reply.objects.exists()
        r = client.post(f"{base(g)}{thread.pk}/edit/", {"title": "Kept title", "body": ""})
        assert r.status_code == 200 and soup(r).select_one(".errorlist")
        assert Thread.objects.get().title == "Fill-finish capacity in 2026"

    def test_refusals_come_before_input_errors(self, client):
        cast = group_with_cast("public")
        g = cast.workgroup
        thread = start(g, cast.member)
        client.force_login(cast.outsider)
        assert client.post(f"{base(g)}{thread.pk}/reply/", {"body": ""}).status_code == 403
        assert client.post(f"{base(g)}new/", {"title": "", "body": ""}).status_code == 403
        assert as_user(cast.outsider).post(api_base(g), {}, format="json").status_code == 403
        replies = f"{api_base(g)}{thread.pk}/replies/"
        assert as_user(cast.outsider).post(replies, {}, format="json").status_code == 403

    def test_write_paths_without_javascript(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        client.force_login(cast.member)
        r = client.post(
            f"{base(g)}new/",
            {"title": "Plasmid DNA supply", "body": "Who supplies **GMP** plasmid?"},
        )
        thread = Thread.objects.get()
        assert r["Location"] == f"{base(g)}{thread.pk}/"
        assert ThreadFollow.objects.filter(thread=thread, user=cast.member).exists()
        client.force_login(cast.owner)
        r = client.post(f"{base(g)}{thread.pk}/reply/", {"body": "We do."})
        reply = Reply.objects.get()
        assert r["Location"] == f"{base(g)}{thread.pk}/replies/{reply.pk}/"
        assert client.get(r["Location"])["Location"] == f"{base(g)}{thread.pk}/#r{reply.pk}"
        assert ThreadFollow.objects.filter(thread=thread, user=cast.owner).exists()
        r = client.post(
            f"{base(g)}{thread.pk}/replies/{reply.pk}/edit/", {"body": "We do, from Q3."}
        )
        reply.refresh_from_db()
        assert reply.body == "We do, from Q3." and reply.edited_at
        assert client.get(f"{base(g)}{thread.pk}/replies/{reply.pk}/edit/").status_code == 200
        client.force_login(cast.member)
        assert client.get(f"{base(g)}{thread.pk}/replies/{reply.pk}/edit/").status_code == 403
        assert client.post(f"{base(g)}{thread.pk}/unfollow/").status_code == 302
        assert not ThreadFollow.objects.filter(thread=thread, user=cast.member).exists()
        client.force_login(cast.owner)
        for action in ("pin", "lock", "hide", "unhide", "unlock", "unpin"):
            assert client.post(f"{base(g)}{thread.pk}/{action}/").status_code == 302
        thread.refresh_from_db()
        assert (thread.pinned, thread.locked, thread.hidden) == (False, False, False)
        assert client.get(f"{base(g)}{thread.pk}/pin/").status_code == 405

    def test_replies_are_paginated_oldest_first_and_links_find_them(self, client):
        cast = group_with_cast("members")
        g = cast.workgroup
        thread = start(g, cast.member)
        replies = [
            Reply.objects.create(
                thread=thread, author=cast.owner, body=f"r{n}", body_html=f"<p>r{n}</p>"
            )
            for n in range(threads.REPLIES_PER_PAGE + 5)
        ]
        client.force_login(cast.member)
        first = soup(client.get(f"{base(g)}{thread.pk}/"))
        ids = [int(li["id"][1:]) for li in first.select(".reply-list > li")]
        assert ids == [r.pk for r in replies[: threads.REPLIES_PER_PAGE]]
        second = soup(client.get(f"{base(g)}{thread.pk}/?page=2"))
        assert [int(li["id"][1:]) for li in second.select(".reply-list > li")] == [
            r.pk for r in replies[threads.REPLIES_PER_PAGE :]
        ]
        assert second.select_one(".reply-list")["start"] == str(threads.REPLIES_PER_PAGE + 1)
        last = replies[-1]
        assert (
            client.get(f"{base(g)}{thread.pk}/replies/{last.pk}/")["Location"]
            == f"{base(g)}{thread.pk}/?page=2#r{last.pk}"
        )
        api = (
            as_user(cast.member)
            .get(f"{api_base(g)}{thread.pk}/replies/?page_size=10&page=6")
            .json()
        )
        assert [r["id"] for r in api["results"]] == [r.pk for r in replies[50:]]
        assert api["count"] == len(replies) and api["next"] is None


class TestQueryCounts:
    def fill_threads(self, cast, n: int) -> None:
        for i in range(n):
            author = UserFactory()
            t = Thread.objects.create(
                workgroup=cast.workgroup,
                author=author,
                title=f"Topic {i}",
                body="b",
                body_html="<p>b</p>",
                pinned=i % 7 == 0,
                locked=i % 5 == 0,
            )
            if i % 3 == 0:
                ThreadFollow.objects.create(thread=t, user=cast.member)

    def fill_replies(self, thread, n: int) -> None:
        for i in range(n):
            Reply.objects.create(
                thread=thread,
                author=UserFactory(),
                body=f"r{i}",
                body_html=f"<p>r{i}</p>",
                deleted_at=None,
            )

    @pytest.mark.parametrize("viewer", ["member", "moderator"])
    def test_thread_list_does_not_grow_with_threads(self, client, viewer):
        cast = group_with_cast("members")
        client.force_login(cast[viewer])
        api = as_user(cast[viewer])
        counts, api_counts = [], []
        for n in (2, 28):
            self.fill_threads(cast, n)
            count, response = queries_for(lambda: client.get(base(cast.workgroup)))
            assert response.status_code == 200
            counts.append(count)
            count, response = queries_for(
                lambda: api.get(api_base(cast.workgroup) + "?page_size=100")
            )
            api_counts.append(count)
        assert (
            len(soup(client.get(base(cast.workgroup))).select(".thread-list > li"))
            == threads.THREADS_PER_PAGE
        )
        assert len(response.json()["results"]) == 30
        assert counts[0] == counts[1], counts
        assert api_counts[0] == api_counts[1], api_counts

    @pytest.mark.parametrize("viewer", ["member", "moderator"])
    def test_thread_page_does_not_grow_with_replies(self, client, viewer):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.owner)
        client.force_login(cast[viewer])
        api = as_user(cast[viewer])
        url = f"{base(cast.workgroup)}{thread.pk}/"
        counts, api_counts = [], []
        for n in (2, 28):
            self.fill_replies(thread, n)
            Reply.objects.filter(thread=thread).first()
            count, response = queries_for(lambda: client.get(url))
            assert response.status_code == 200
            counts.append(count)
            count, response = queries_for(
                lambda: api.get(f"{api_base(cast.workgroup)}{thread.pk}/replies/?page_size=100")
            )
            api_counts.append(count)
        assert len(soup(client.get(url)).select(".reply-list > li")) == 30
        assert len(response.json()["results"]) == 30
        assert counts[0] == counts[1], counts
        assert api_counts[0] == api_counts[1], api_counts

    def test_the_thread_page_is_cheap(self, client):
        cast = group_with_cast("members")
        thread = start(cast.workgroup, cast.owner)
        client.force_login(cast.member)
        client.get(f"{base(cast.workgroup)}{thread.pk}/")
        with CaptureQueriesContext(connection) as captured:
            client.get(f"{base(cast.workgroup)}{thread.pk}/")
        assert len(captured) <= 30, [q["sql"] for q in captured]
