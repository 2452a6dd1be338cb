"""The rules of calls and responses, through the services, on the real database."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from community import services as community
from community.errors import Conflict, NotAllowed, ServiceError
from messaging.models import Notification
from partnerships import selectors, services, workflow
from partnerships.models import Call, Partnership, Response, ResponseEvent
from tests.factories import UserFactory
from tests.partnerships.helpers import cast, field, in_days, published_call, stage

pytestmark = pytest.mark.django_db
R = Response.Status


def respond(c, call, who="responder_member", org=None):
    return services.response_create(
        actor=c[who], call=call, organisation=org or c.responder, message="We can run two engineering batches in May."
    )


class TestWhoPublishes:
    def test_admin_and_delegate_publish_plain_member_does_not(self):
        c = cast()
        assert published_call(c).status == Call.Status.PUBLISHED
        assert published_call(c, actor=c.publisher_delegate).status == Call.Status.PUBLISHED
        with pytest.raises(NotAllowed):
            published_call(c, actor=c.publisher_member)
        with pytest.raises(NotAllowed):
            published_call(c, actor=c.outsider)

    def test_a_revoked_delegate_and_a_removed_member_lose_the_right(self):
        c = cast()
        call = published_call(c, actor=c.publisher_delegate)
        services.call_publisher_set(actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate, allowed=False)
        with pytest.raises(NotAllowed):
            services.call_close(actor=c.publisher_delegate, call=call)
        services.call_publisher_set(actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate, allowed=True)
        community.organisation_member_remove(actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate)
        with pytest.raises(NotAllowed):
            services.call_update(actor=c.publisher_delegate, call=call, title="Taken over by a former employee")

    def test_only_admins_choose_delegates_among_members(self):
        c = cast()
        with pytest.raises(NotAllowed):
            services.call_publisher_set(actor=c.publisher_delegate, organisation=c.publisher, user=c.publisher_member, allowed=True)
        with pytest.raises(ServiceError):
            services.call_publisher_set(actor=c.publisher_admin, organisation=c.publisher, user=c.outsider, allowed=True)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"deadline": timezone.now() - timedelta(days=1)}, "at least an hour"),
            ({"deadline": timezone.now() + timedelta(days=900)}, "within two years"),
            ({"title": "Hi"}, "at least 5"),
            ({"summary": "  "}, "summary"),
            ({"kind": "merger"}, "Unknown kind"),
            ({"countries": ["US"]}, "non-European"),
            ({"questions": [f"Question {n}?" for n in range(6)]}, "at most 5"),
            ({"audience": "groups"}, "working group"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(self, change, message):
        c = cast()
        with pytest.raises(ServiceError, match=message):
            published_call(c, **change)
        assert not Call.objects.exists()

    def test_a_naive_deadline_is_refused(self):
        c = cast()
        with pytest.raises(ServiceError, match="time zone"):
            published_call(c, deadline=timezone.now().replace(tzinfo=None) + timedelta(days=3))

    def test_publishing_needs_a_stage_or_field(self):
        c = cast()
        call = published_call(c, stages=[], fields=[], publish=False)
        with pytest.raises(ServiceError, match="stage or field"):
            services.call_publish(actor=c.publisher_admin, call=call)

    def test_groups_audience_only_with_ones_own_groups(self):
        from workgroups import services as groups

        c = cast()
        theirs = groups.workgroup_create(creator=c.outsider, name="Somebody else's group", visibility="public", join_policy="open")
        with pytest.raises(NotAllowed):
            published_call(c, audience="groups", workgroups=[theirs])


class TestLifecycle:
    def test_draft_publish_close_renew(self):
        c = cast()
        call = published_call(c, publish=False)
        assert call.status == Call.Status.DRAFT
        call = services.call_publish(actor=c.publisher_admin, call=call)
        with pytest.raises(Conflict):
            services.call_publish(actor=c.publisher_admin, call=call)
        call = services.call_close(actor=c.publisher_admin, call=call)
        assert call.status == Call.Status.CLOSED
        with pytest.raises(Conflict):
            services.call_update(actor=c.publisher_admin, call=call, title="Changed after closing")
        call = services.call_renew(actor=c.publisher_admin, call=call, deadline=in_days(60))
        assert (call.status, call.renewals) == (Call.Status.PUBLISHED, 1)

    def test_only_drafts_are_deleted(self):
        c = cast()
        call = published_call(c)
        with pytest.raises(Conflict):
            services.call_delete(actor=c.publisher_admin, call=call)
        draft = published_call(c, publish=False)
        services.call_delete(actor=c.publisher_admin, call=draft)
        assert not Call.objects.filter(pk=draft.pk).exists()

    def test_expiry_at_the_deadline(self):
        c = cast()
        call = published_call(c)
        Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - timedelta(minutes=1))
        assert services.expire_due_calls() == 1
        call.refresh_from_db()
        assert call.status == Call.Status.EXPIRED
        assert services.expire_due_calls() == 0  # idempotent
        assert Notification.objects.filter(recipient=c.publisher_admin, kind="partnerships.expired").exists()
        # Still readable, no longer answerable, renewable.
        assert selectors.call_get_visible(c.responder_member, call.pk) == call
        with pytest.raises(Conflict):
            respond(c, call)
        services.call_renew(actor=c.publisher_admin, call=call, deadline=in_days(10))
        assert respond(c, call).status == R.SUBMITTED

    def test_a_renewed_call_is_not_expired_by_its_old_timer(self):
        c = cast()
        call = published_call(c)
        assert services.expire_one(call.pk) == 0  # the deadline is a month away

    @override_settings(PARTNERSHIPS_REVIEW_BEFORE_PUBLISHING=True)
    def test_review_before_publishing(self):
        from django.contrib.auth.models import Permission

        c = cast()
        reviewer = UserFactory(is_staff=True)
        reviewer.user_permissions.add(Permission.objects.get(codename="review_call"))
        call = published_call(c)
        assert call.status == Call.Status.REVIEW
        assert Notification.objects.filter(recipient=reviewer, kind="partnerships.review").exists()
        # Nobody outside sees it yet; the reviewer does.
        with pytest.raises(Http404):
            selectors.call_get_visible(c.responder_member, call.pk)
        reviewer = type(reviewer).objects.get(pk=reviewer.pk)
        assert selectors.call_get_visible(reviewer, call.pk) == call
        with pytest.raises(NotAllowed):
            services.call_review(actor=c.publisher_admin, call=call, approve=True)
        call = services.call_review(actor=reviewer, call=call, approve=False, note="Say which vector serotypes.")
        assert call.status == Call.Status.DRAFT
        call = services.call_publish(actor=c.publisher_admin, call=call)
        call = services.call_review(actor=reviewer, call=call, approve=True)
        assert call.status == Call.Status.PUBLISHED


class TestResponding:
    def test_once_per_organisation_and_only_for_ones_own(self):
        c = cast()
        call = published_call(c)
        respond(c, call)
        with pytest.raises(Conflict, match="already responded"):
            respond(c, call, who="responder_admin")
        with pytest.raises(NotAllowed):
            respond(c, call, who="outsider")  # not a member of the responding organisation
        with pytest.raises(ServiceError):
            respond(c, call, who="publisher_admin", org=c.publisher)
        assert Response.objects.count() == 1
        call.refresh_from_db()
        assert call.response_count == 1

    def test_not_after_the_deadline_nor_on_a_closed_or_draft_call(self):
        c = cast()
        draft = published_call(c, publish=False)
        with pytest.raises(Http404):
            respond(c, draft)  # a draft does not exist for outsiders
        late = published_call(c)
        Call.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(seconds=1))
        with pytest.raises(Conflict, match="deadline"):
            respond(c, late)
        closed = services.call_close(actor=c.publisher_admin, call=published_call(c))
        with pytest.raises(Conflict, match="not open"):
            respond(c, closed)
        assert not Response.objects.exists()

    def test_answers_to_every_question(self):
        c = cast()
        call = published_call(c, questions=["Which serotypes?", "Batch size?"])
        with pytest.raises(ServiceError, match="every question"):
            services.response_create(actor=c.responder_member, call=call, organisation=c.responder, message="We are interested.", answers=["AAV9"])
        response = services.response_create(
            actor=c.responder_member, call=call, organisation=c.responder, message="We are interested.", answers=["AAV9", "200 L"]
        )
        assert response.answers == ["AAV9", "200 L"]
        with pytest.raises(Conflict):
            services.call_update(actor=c.publisher_admin, call=call, questions=["A new question?"])

    def test_a_groups_call_is_answered_only_by_those_who_see_it(self):
        from workgroups import services as groups

        c = cast()
        group = groups.workgroup_create(creator=c.publisher_admin, name="AAV fill-finish circle", visibility="members", join_policy="open")
        call = published_call(c, audience="groups", workgroups=[group])
        with pytest.raises(Http404):
            respond(c, call)
        groups.workgroup_join(actor=c.responder_member, workgroup=group)
        assert respond(c, call).status == R.SUBMITTED


class TestWorkflow:
    @pytest.mark.parametrize("start", list(R.values))
    @pytest.mark.parametrize("target", list(R.values))
    def test_every_owner_move(self, start, target):
        c = cast()
        call = published_call(c)
        response = respond(c, call)
        Response.objects.filter(pk=response.pk).update(status=start)
        allowed = target in workflow.OWNER_MOVES.get(start, set())
        if target == R.WITHDRAWN:
            with pytest.raises(NotAllowed):
                services.response_move(actor=c.publisher_admin, response=response, status=target)
        elif allowed:
            moved = services.response_move(actor=c.publisher_admin, response=response, status=target)
            assert moved.status == target
            assert ResponseEvent.objects.filter(response=response, from_status=start, to_status=target).exists()
        else:
            with pytest.raises(Conflict) as refused:
                services.response_move(actor=c.publisher_admin, response=response, status=target)
            assert refused.value.message
            response.refresh_from_db()
            assert response.status == start

    @pytest.mark.parametrize("start", list(R.values))
    def test_the_responder_only_withdraws(self, start):
        c = cast()
        response = respond(c, published_call(c))
        Response.objects.filter(pk=response.pk).update(status=start)
        if start in workflow.RESPONDER_MOVES:
            assert services.response_move(actor=c.responder_member, response=response, status=R.WITHDRAWN).status == R.WITHDRAWN
        else:
            with pytest.raises(Conflict):
                services.response_move(actor=c.responder_member, response=response, status=R.WITHDRAWN)
        with pytest.raises(NotAllowed):
            services.response_move(actor=c.responder_admin, response=response, status=R.SHORTLISTED)

    def test_strangers_and_plain_members_move_nothing(self):
        c = cast()
        response = respond(c, published_call(c))
        for who in ("publisher_member", "outsider"):
            with pytest.raises(NotAllowed):
                services.response_move(actor=c[who], response=response, status=R.SHORTLISTED)
        assert Response.objects.get(pk=response.pk).status == R.SUBMITTED

    def test_unknown_status_is_refused(self):
        c = cast()
        response = respond(c, published_call(c))
        with pytest.raises(Conflict, match="Unknown status"):
            services.response_move(actor=c.publisher_admin, response=response, status="merged")

    def test_accepting_records_a_partnership_shown_when_both_agree(self):
        c = cast()
        call = published_call(c)
        response = respond(c, call)
        for status in (R.SHORTLISTED, R.IN_DISCUSSION, R.ACCEPTED):
            services.response_move(actor=c.publisher_delegate, response=response, status=status)
        partnership = Partnership.objects.get(response=response)
        assert (partnership.publisher, partnership.partner, partnership.call) == (c.publisher, c.responder, call)
        assert not selectors.partnerships_public(c.publisher).exists()
        services.partnership_show(actor=c.publisher_admin, partnership=partnership, organisation=c.publisher, shown=True)
        assert not selectors.partnerships_public(c.responder).exists()
        with pytest.raises(NotAllowed):
            services.partnership_show(actor=c.responder_member, partnership=partnership, organisation=c.responder, shown=True)
        with pytest.raises(NotAllowed):
            services.partnership_show(actor=c.outsider, partnership=partnership, organisation=c.outsider_org, shown=True)
        services.partnership_show(actor=c.responder_admin, partnership=partnership, organisation=c.responder, shown=True)
        assert list(selectors.partnerships_public(c.responder)) == [partnership]
        assert list(selectors.partnerships_public(c.publisher)) == [partnership]

    def test_a_call_may_accept_several_responses(self):
        c = cast()
        call = published_call(c)
        first = respond(c, call)
        second = respond(c, call, who="outsider", org=c.outsider_org)
        for response in (first, second):
            services.response_move(actor=c.publisher_admin, response=response, status=R.IN_DISCUSSION)
            services.response_move(actor=c.publisher_admin, response=response, status=R.ACCEPTED)
        assert Partnership.objects.filter(call=call).count() == 2

    def test_in_discussion_opens_one_conversation_of_both_sides(self):
        from messaging import selectors as messaging

        c = cast()
        response = respond(c, published_call(c))
        response = services.response_move(actor=c.publisher_delegate, response=response, status=R.IN_DISCUSSION)
        assert response.conversation_id
        people = set(messaging.active_participant_ids(response.conversation_id))
        assert {c.publisher_delegate.pk, c.publisher_admin.pk, c.responder_member.pk, c.responder_admin.pk} <= people
        assert c.outsider.pk not in people and c.publisher_member.pk not in people


class TestNotifications:
    def test_each_step_reaches_the_right_people_only(self):
        c = cast()
        call = published_call(c)
        response = respond(c, call)
        got = lambda user, kind: Notification.objects.filter(recipient=user, kind=kind).count()  # noqa: E731
        assert got(c.publisher_admin, "partnerships.response") == 1
        assert got(c.publisher_delegate, "partnerships.response") == 1
        assert got(c.publisher_member, "partnerships.response") == 0
        assert got(c.outsider, "partnerships.response") == 0
        services.response_move(actor=c.publisher_admin, response=response, status=R.SHORTLISTED)
        assert got(c.responder_member, "partnerships.status") == 1  # the author
        assert got(c.responder_admin, "partnerships.status") == 1  # the organisation's admin
        assert got(c.publisher_member, "partnerships.status") == 0
        services.response_move(actor=c.responder_admin, response=response, status=R.WITHDRAWN)
        assert got(c.publisher_admin, "partnerships.withdrawn") == 1


class TestAnonymousCalls:
    def test_the_organisation_stays_hidden_until_acceptance(self):
        c = cast()
        call = published_call(c, anonymous=True, title="Anonymous capacity for AAV")
        name, slug = c.publisher.name, c.publisher.slug
        viewer = c.responder_member
        assert selectors.shown_organisation(call, viewer) is None
        assert selectors.shown_organisation(call, c.publisher_member) == c.publisher
        # Search by its name finds nothing; by its subject, the call.
        from partnerships.selectors import CallQuery

        assert not selectors.call_search(viewer, CallQuery(q=name)).exists()
        assert list(selectors.call_search(viewer, CallQuery(q="anonymous capacity"))) == [call]
        assert not selectors.call_search(viewer, CallQuery(organisation=slug)).exists()
        mail.outbox.clear()
        response = respond(c, call)
        for status in (R.SHORTLISTED, R.IN_DISCUSSION):
            services.response_move(actor=c.publisher_admin, response=response, status=status)
        told = Notification.objects.filter(recipient__in=[c.responder_member, c.responder_admin])
        assert told.exists()
        for notification in told:
            assert name not in f"{notification.title} {notification.body} {notification.url}"
            assert notification.actor_id is None
        for message in mail.outbox:
            if set(message.to) & {c.responder_member.email, c.responder_admin.email}:
                assert name not in f"{message.subject} {message.body}"
        services.response_move(actor=c.publisher_admin, response=response, status=R.ACCEPTED)
        assert selectors.shown_organisation(call, selectors.Viewer(viewer)) == c.publisher
        assert selectors.shown_organisation(call, c.outsider) is None  # still hidden from everyone else


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_accepting_at_once_leave_one_partnership():
    c = cast()
    response = respond(c, published_call(c))
    services.response_move(actor=c.publisher_admin, response=response, status=R.IN_DISCUSSION)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def accept(user):
        try:
            barrier.wait()
            services.response_move(actor=user, response=response, status=R.ACCEPTED)
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (c.publisher_admin, c.publisher_delegate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["accepted", "conflict"]
    assert Partnership.objects.filter(response=response).count() == 1
    assert ResponseEvent.objects.filter(response=response, to_status=R.ACCEPTED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_of_one_organisation_responding_at_once_leave_one_response():
    c = cast()
    call = published_call(c)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def go(who):
        try:
            barrier.wait()
            respond(c, call, who=who)
            outcomes.append("stored")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(w,)) for w in ("responder_member", "responder_admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["conflict", "stored"]
    call.refresh_from_db()
    assert call.response_count == Response.objects.filter(call=call).count() == 1


class TestCallsForYou:
    def test_matches_by_field_stage_and_country_with_reasons(self):
        c = cast()
        c.responder.fields.set([field("viral-vectors"), field("fill-finish")])
        c.responder.stages.set([stage("production")])
        everywhere = published_call(c)
        named = published_call(c, title="Capacity sought in Germany", countries=["DE", "AT"])
        elsewhere = published_call(c, title="Capacity sought in Spain", countries=["ES"])
        unrelated = published_call(c, title="Training in mRNA analytics", fields=[field("mrna")], stages=[stage("training")])
        matches, total = selectors.calls_for_you(c.responder_member)
        assert total == 2
        assert [m.call for m in matches] == [named, everywhere]  # the named country adds a point
        assert matches[0].reasons == ["Viral vectors", "Fill-finish", "Production", "DE"] or set(matches[0].reasons) == {
            "Viral vectors",
            "Fill-finish",
            "Production",
            "DE",
        }
        assert "DE" not in matches[1].reasons
        ids = {m.call.pk for m in matches}
        assert elsewhere.pk not in ids and unrelated.pk not in ids

    def test_own_answered_and_invisible_calls_are_left_out(self):
        from workgroups import services as groups

        c = cast()
        c.responder.fields.set([field("viral-vectors")])
        answered = published_call(c)
        respond(c, answered)
        group = groups.workgroup_create(creator=c.publisher_admin, name="Closed AAV circle", visibility="members", join_policy="invite")
        published_call(c, audience="groups", workgroups=[group])
        own_org_call = published_call(
            c, actor=c.responder_admin, organisation=c.responder, title="Our own capacity for viral vectors"
        )
        assert selectors.calls_for_you(c.responder_member)[1] == 0
        assert own_org_call.status == Call.Status.PUBLISHED

    def test_published_since_keeps_only_new_calls_whatever_their_score(self):
        c = cast()
        c.responder.fields.set([field("viral-vectors"), field("fill-finish")])
        old = published_call(c, title="An older, better matching call")
        Call.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=10))
        new = published_call(c, title="A new call sharing one field", fields=[field("fill-finish")], stages=[])
        since = timezone.now() - timedelta(days=7)
        matches, total = selectors.calls_for_you(c.responder_member, published_since=since)
        assert ([m.call for m in matches], total) == ([new], 1)
        assert selectors.calls_for_you(c.responder_member)[1] == 2

    def test_without_fields_nothing_matches(self):
        c = cast()
        published_call(c)
        lonely = UserFactory()
        assert selectors.calls_for_you(lonely) == ([], 0)


class TestSavedSearches:
    def test_a_new_matching_call_notifies_the_searcher_who_may_see_it(self, django_capture_on_commit_callbacks):
        c = cast()
        searcher = c.responder_member
        saved = services.saved_search_create(actor=searcher, name="Vectors", query={"field": ["viral-vectors"]})
        services.saved_search_create(actor=c.outsider, name="mRNA", query={"field": ["mrna"]})
        with django_capture_on_commit_callbacks(execute=True):
            call = published_call(c, anonymous=True)  # the immediate task backend matches after commit
        notes = Notification.objects.filter(kind="partnerships.match")
        assert [n.recipient for n in notes] == [searcher]
        assert c.publisher.name not in notes[0].title
        assert str(call.pk) in notes[0].url
        services.saved_search_delete(actor=searcher, saved=saved)

    def test_bad_saved_searches_are_refused(self):
        c = cast()
        with pytest.raises(ServiceError):
            services.saved_search_create(actor=c.outsider, name="Nothing", query={})
        with pytest.raises(ServiceError):
            services.saved_search_create(actor=c.outsider, name="Odd", query={"owner": "x"})
        saved = services.saved_search_create(actor=c.outsider, name="Mine", query={"q": "vectors"})
        with pytest.raises(NotAllowed):
            services.saved_search_delete(actor=c.responder_admin, saved=saved)


def test_the_expire_calls_command_catches_up():
    from io import StringIO

    from django.core.management import call_command

    c = cast()
    call = published_call(c)
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - timedelta(hours=2))
    out = StringIO()
    call_command("expire_calls", stdout=out)
    assert "1 call(s) expired" in out.getvalue()
    call.refresh_from_db()
    assert call.status == Call.Status.EXPIRED


def test_an_anonymous_calls_discussion_hides_the_publisher_until_acceptance(client):
    import uuid

    from messaging import services as messaging

    c = cast()
    call = published_call(c, anonymous=True)
    response = respond(c, call)
    response = services.response_move(actor=c.publisher_admin, response=response, status=R.IN_DISCUSSION)
    conversation = response.conversation_id
    messaging.message_send(actor=c.publisher_admin, conversation_id=conversation, body="Which serotype?", client_id=uuid.uuid4())
    hidden = (c.publisher_admin.display_name, c.publisher_admin.email, c.publisher.name, c.publisher.slug)
    client.force_login(c.responder_member)
    for url in (f"/api/v1/conversations/{conversation}/messages/?after=0", "/api/v1/conversations/", f"/messages/{conversation}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert not any(text in page.content.decode() for text in hidden), url
    assert "Which serotype?" in client.get(f"/api/v1/conversations/{conversation}/messages/?after=0").content.decode()
    services.response_move(actor=c.publisher_admin, response=response, status=R.ACCEPTED)
    messaging.message_send(actor=c.publisher_admin, conversation_id=conversation, body="Welcome aboard.", client_id=uuid.uuid4())
    latest = client.get(f"/api/v1/conversations/{conversation}/messages/?after=0").json()["results"][-1]
    assert latest["sender_name"] == c.publisher_admin.display_name


@pytest.mark.parametrize(
    "query",
    [{"q": ["x"]}, {"kind": "training"}, {"field": ["no-such-field"]}, {"country": ["US"]}, {"q": "x" * 201}, {"q": "  "}],
)
def test_saved_searches_take_only_well_formed_filters(query):
    c = cast()
    with pytest.raises(ServiceError):
        services.saved_search_create(actor=c.outsider, name="Odd", query=query)


def test_unchanged_questions_may_be_sent_back_after_responses():
    c = cast()
    call = published_call(c, questions=["Which serotypes?"])
    services.response_create(actor=c.responder_member, call=call, organisation=c.responder, message="We are interested.", answers=["AAV9"])
    call = services.call_update(actor=c.publisher_admin, call=call, questions=["Which serotypes?"], title="Fill-finish for AAV vectors")
    assert call.title == "Fill-finish for AAV vectors"
