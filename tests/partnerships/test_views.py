"""The HTML pages of partnerships: who sees what, who may do what, what an anonymous call hides, query counts."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from partnerships import services
from partnerships.models import Call, Partnership, Response, SavedSearch
from tests.factories import UserFactory, organisation_with_admin
from tests.partnerships.helpers import cast, field, published_call, stage
from tests.querycount import queries_for
from workgroups import services as workgroups

pytestmark = pytest.mark.django_db

PUBLISHER = "Lyon Fill Finish SAS"
ROLES = ("publisher_admin", "publisher_member", "publisher_delegate", "responder_admin", "responder_member", "outsider")
MANAGERS = ("publisher_admin", "publisher_delegate")


def url(name: str, **kwargs) -> str:
    return reverse(f"partnerships:{name}", kwargs=kwargs)


def page(client, user, path: str, **kwargs):
    client.force_login(user)
    return client.get(path, **kwargs)


def body(response) -> str:
    return response.content.decode()


def respond(c, call, user=None, organisation=None, message="We need two fill-finish batches in Q2 for our AAV programme.") -> Response:
    return services.response_create(
        actor=user or c.responder_member,
        call=call,
        organisation=organisation or c.responder,
        message=message,
        answers=["An answer."] * len(call.questions),
    )


@pytest.fixture
def c():
    return cast()


@pytest.fixture
def call(c):
    return published_call(c)


def form_data(c, **overrides) -> dict:
    deadline = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    data = {
        "organisation": c.publisher.pk,
        "kind": "capacity-offer",
        "title": "Aseptic fill-finish for mRNA",
        "summary": "One line free for clinical batches from May.",
        "description": "We offer **two** runs a month.",
        "topic_reference": "",
        "stages": [stage("production").pk],
        "fields": [field("fill-finish").pk, field("mrna").pk],
        "countries": ["DE", "FR"],
        "deadline_date": deadline,
        "deadline_time": "17:30",
        "time_zone": "Europe/Lisbon",
        "audience": "members",
        "question_1": "What batch size do you need?",
        "action": "publish",
    }
    data.update(overrides)
    return data


class TestSignIn:
    def test_every_page_sends_anonymous_visitors_to_sign_in(self, client, call):
        paths = [
            url("call-list"), url("calls-for-you"), url("my-calls"), url("call-create"), url("saved-searches"),
            url("call-detail", pk=call.pk), url("call-edit", pk=call.pk), url("call-board", pk=call.pk), url("partnerships"),
        ]
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith("/accounts/login/"), path
        for path in (url("call-lifecycle", pk=call.pk), url("call-respond", pk=call.pk)):
            assert client.post(path, {"action": "close"}).status_code == 302
        call.refresh_from_db()
        assert call.status == Call.Status.PUBLISHED


class TestListAndSearch:
    def test_everyone_signed_in_finds_a_published_call(self, client, c, call):
        for role in ROLES:
            response = page(client, c[role], url("call-list"))
            assert response.status_code == 200, role
            text = body(response)
            assert call.title in text, role
            assert PUBLISHER in text
            assert "All of Europe" in text
            assert re.search(r"closes in (29|30) days", text), role

    def test_drafts_are_listed_for_no_one(self, client, c, call):
        draft = published_call(c, title="A draft nobody lists", publish=False)
        for role in ROLES:
            assert draft.title not in body(page(client, c[role], url("call-list"))), role

    def test_facets_filters_and_states(self, client, c, call):
        published_call(c, title="Downstream partner wanted", kind="rnd-partnership", fields=[field("downstream-processing")], countries=["IT"])
        client.force_login(c.responder_admin)
        text = body(client.get(url("call-list") + "?kind=rnd-partnership"))
        assert "Downstream partner wanted" in text and call.title not in text
        assert 'name="kind" value="rnd-partnership" id="f-kind-rnd-partnership" checked' in text
        # A country filter keeps calls open to all of Europe.
        text = body(client.get(url("call-list") + "?country=it"))
        assert "Downstream partner wanted" in text and call.title in text
        text = body(client.get(url("call-list") + "?field=fill-finish&stage=production"))
        assert call.title in text and "Downstream partner wanted" not in text
        text = body(client.get(url("call-list") + "?q=downstream"))
        assert "Downstream partner wanted" in text and call.title not in text
        # Closing by a date before the deadlines: nothing.
        text = body(client.get(url("call-list") + f"?closing_by={(dt.date.today() + dt.timedelta(days=3)).isoformat()}"))
        assert "No call matches all of these filters." in text
        services.call_close(actor=c.publisher_admin, call=call)
        assert call.title not in body(client.get(url("call-list")))
        assert call.title in body(client.get(url("call-list") + "?state=closed"))
        assert call.title in body(client.get(url("call-list") + "?state=all"))
        # Nonsense is ignored, never an error.
        assert client.get(url("call-list") + "?state=x&kind=x&country=123&closing_by=never&page=99").status_code == 200

    def test_htmx_gets_the_results_only(self, client, c, call):
        client.force_login(c.outsider)
        response = client.get(url("call-list") + "?q=fill", headers={"HX-Request": "true"})
        text = body(response)
        assert call.title in text
        assert "<html" not in text and 'id="call-q"' not in text
        assert "HX-Request" in response["Vary"]

    def test_empty_states(self, client, c):
        client.force_login(c.publisher_admin)
        text = body(client.get(url("call-list")))
        assert "No open call right now." in text
        assert url("call-create") in text
        client.force_login(c.responder_member)
        assert url("call-create") not in body(client.get(url("call-list")))

    def test_pagination(self, client, c):
        for i in range(23):
            published_call(c, title=f"Capacity call number {i:02d}")
        client.force_login(c.outsider)
        text = body(client.get(url("call-list")))
        assert text.count('class="card call-card"') == 20
        assert 'href="?page=2"' in text
        second = body(client.get(url("call-list") + "?page=2"))
        assert second.count('class="card call-card"') == 3

    def test_list_query_count_does_not_grow(self, client, c):
        client.force_login(c.responder_member)
        counts = []
        for n in (2, 18):
            for i in range(n):
                published_call(
                    c, title=f"Call {n}-{i}", countries=["DE", "FR"], anonymous=i % 2 == 0,
                    fields=[field("viral-vectors"), field("fill-finish"), field("mrna")],
                )
            count, response = queries_for(lambda: client.get(url("call-list") + "?field=fill-finish"))
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts


class TestSavedSearches:
    def test_save_open_and_delete(self, client, c, call):
        client.force_login(c.responder_member)
        text = body(client.get(url("call-list") + "?field=fill-finish&country=DE"))
        assert 'form="save-search-form"' in text
        response = client.post(url("saved-searches"), {"name": "Fill-finish in Germany", "field": "fill-finish", "country": "DE"})
        assert response.status_code == 302
        saved = SavedSearch.objects.get(user=c.responder_member)
        assert saved.query == {"field": ["fill-finish"], "country": ["DE"]}
        text = body(client.get(url("saved-searches")))
        assert "Fill-finish in Germany" in text
        assert "/calls/?field=fill-finish&amp;country=DE" in text
        # Another person cannot delete it.
        client.force_login(c.outsider)
        client.post(url("saved-searches"), {"delete": saved.pk})
        assert SavedSearch.objects.filter(pk=saved.pk).exists()
        assert "Fill-finish in Germany" not in body(client.get(url("saved-searches")))
        client.force_login(c.responder_member)
        client.post(url("saved-searches"), {"delete": saved.pk})
        assert not SavedSearch.objects.filter(pk=saved.pk).exists()

    def test_refusals_are_messages(self, client, c):
        client.force_login(c.responder_member)
        response = client.post(url("saved-searches"), {"name": "Everything"}, follow=True)
        assert response.status_code == 200
        assert "at least one filter" in body(response)
        response = client.post(url("saved-searches"), {"name": "", "q": "vectors"}, follow=True)
        assert "Name the search" in body(response)
        assert not SavedSearch.objects.exists()


class TestCallsForYou:
    def test_matches_with_their_reasons(self, client, c, call):
        c.responder.fields.add(field("viral-vectors"), field("fill-finish"))
        c.responder.stages.add(stage("production"))
        text = body(page(client, c.responder_member, url("calls-for-you")))
        assert call.title in text
        assert "Why you see this:" in text
        assert "Fill-finish" in text and "Viral vectors" in text and "Production" in text

    def test_a_named_country_is_a_reason(self, client, c):
        call = published_call(c, countries=["DE", "AT"])
        c.responder.fields.add(field("fill-finish"))
        text = body(page(client, c.responder_admin, url("calls-for-you")))
        assert call.title in text
        assert re.search(r"Fill-finish \+ DE", text)

    def test_chooser_between_organisations(self, client, c, call):
        second = organisation_with_admin(c.responder_admin, name="Second Vector Co", country="FR")
        second.fields.add(field("viral-vectors"))
        client.force_login(c.responder_admin)
        text = body(client.get(url("calls-for-you")))
        assert 'id="for-organisation"' in text
        text = body(client.get(url("calls-for-you") + f"?organisation={second.slug}"))
        assert call.title in text
        assert f'value="{second.slug}" selected' in text
        # Someone else's organisation is not a choice: the first of one's own is used.
        assert client.get(url("calls-for-you") + f"?organisation={c.publisher.slug}").status_code == 200

    def test_explains_an_empty_profile(self, client, c, call):
        text = body(page(client, c.responder_admin, url("calls-for-you")))
        assert "has no fields or value-chain stages yet" in text
        assert reverse("community:organisation-edit", kwargs={"slug": c.responder.slug}) in text
        text = body(page(client, c.responder_member, url("calls-for-you")))
        assert "Ask one of its admins" in text

    def test_explains_having_no_organisation(self, client, call):
        loner = UserFactory()
        text = body(page(client, loner, url("calls-for-you")))
        assert "You are not a member of an organisation yet." in text
        assert reverse("community:organisation-create") in text

    def test_without_an_organisation_ones_interests_match(self, client, call):
        loner = UserFactory()
        loner.interests.add(field("viral-vectors"))
        text = body(page(client, loner, url("calls-for-you")))
        assert "these calls match the fields of interest of your profile" in text
        assert call.title in text and "Why you see this:" in text

    def test_query_count_does_not_grow(self, client, c):
        c.responder.fields.add(field("fill-finish"))
        c.responder.stages.add(stage("production"))
        client.force_login(c.responder_member)
        counts = []
        for n in (2, 18):
            for i in range(n):
                published_call(c, title=f"Call {n}-{i}", anonymous=i % 2 == 0, countries=["DE"] if i % 3 else [])
            count, response = queries_for(lambda: client.get(url("calls-for-you")))
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts


class TestAnonymousCall:
    def test_the_publisher_is_never_named_to_responders(self, client, c):
        call = published_call(c, anonymous=True, title="Anonymous capacity for viral vectors")
        c.responder.fields.add(field("viral-vectors"))
        respond(c, call)
        for role in ("responder_member", "responder_admin", "outsider"):
            client.force_login(c[role])
            for path in (
                url("call-list"),
                url("call-list") + "?q=Lyon",
                url("call-list") + "?q=fill+finish+sas",
                url("calls-for-you"),
                url("call-detail", pk=call.pk),
                url("my-calls"),
            ):
                text = body(client.get(path))
                assert PUBLISHER not in text, (role, path)
                assert c.publisher.slug not in text, (role, path)
                assert c.publisher_admin.display_name not in text, (role, path)
            assert "Anonymous organisation" in body(client.get(url("call-detail", pk=call.pk)))
        # Searching by the publisher's name does not find it.
        assert call.title not in body(page(client, c.outsider, url("call-list") + "?q=Lyon"))
        # Its own people see their name.
        assert PUBLISHER in body(page(client, c.publisher_member, url("call-detail", pk=call.pk)))

    def test_accepting_reveals_the_name_to_the_accepted_only(self, client, c, django_capture_on_commit_callbacks):
        call = published_call(c, anonymous=True)
        response = respond(c, call)
        other = organisation_with_admin(c.outsider, name="Outsider Two")
        respond(c, call, user=c.outsider, organisation=other)
        services.response_move(actor=c.publisher_admin, response=response, status="in-discussion")
        services.response_move(actor=c.publisher_admin, response=response, status="accepted")
        assert PUBLISHER in body(page(client, c.responder_member, url("call-detail", pk=call.pk)))
        assert PUBLISHER not in body(page(client, c.outsider, url("call-detail", pk=call.pk)))


class TestCallPage:
    def test_each_role_sees_what_it_may_do(self, client, c, call):
        respond(c, call)
        for role in ROLES:
            text = body(page(client, c[role], url("call-detail", pk=call.pk)))
            assert call.title in text and "<strong>fill-finish</strong>" in text
            board = url("call-board", pk=call.pk)
            assert (board in text) == (role in MANAGERS), role
            assert (url("call-edit", pk=call.pk) in text) == (role in MANAGERS), role
            assert ('action="' + url("call-respond", pk=call.pk) + '"' in text) == (role == "outsider"), role
        text = body(page(client, c.responder_admin, url("call-detail", pk=call.pk)))
        assert "Your organisation's response" in text
        assert "Withdraw…" in text
        assert "Each of your organisations has responded" in text

    def test_draft_and_group_calls_are_404_for_those_who_may_not_see_them(self, client, c):
        draft = published_call(c, publish=False)
        for role in ("publisher_member", "responder_admin", "outsider"):
            assert page(client, c[role], url("call-detail", pk=draft.pk)).status_code == 404, role
        for role in MANAGERS:
            assert page(client, c[role], url("call-detail", pk=draft.pk)).status_code == 200, role
        group = workgroups.workgroup_create(creator=c.publisher_admin, name="ATMP fill-finish")
        restricted = published_call(c, audience="groups", workgroups=[group])
        assert page(client, c.outsider, url("call-detail", pk=restricted.pk)).status_code == 404
        assert restricted.title not in body(page(client, c.outsider, url("call-list")))
        assert page(client, c.publisher_admin, url("call-detail", pk=restricted.pk)).status_code == 200
        assert page(client, c.outsider, url("call-detail", pk=999999)).status_code == 404

    def test_respond_through_the_form(self, client, c):
        call = published_call(c, questions=["What batch size do you need?"])
        client.force_login(c.responder_member)
        text = body(client.get(url("call-detail", pk=call.pk)))
        assert "What batch size do you need?" in text
        # Errors stay on the form.
        response = client.post(url("call-respond", pk=call.pk), {"organisation": c.responder.pk, "message": "short"})
        assert response.status_code == 200
        assert "at least 10 characters" in body(response)
        assert not Response.objects.exists()
        # Another organisation is not a choice.
        response = client.post(url("call-respond", pk=call.pk), {"organisation": c.outsider_org.pk, "message": "We can help you with this." , "answer_1": "1000 vials"})
        assert "Select a valid choice" in body(response)
        response = client.post(url("call-respond", pk=call.pk), {"organisation": c.responder.pk, "message": "We can fill 2,000 vials a week.", "answer_1": "1000 vials"})
        assert response.status_code == 302
        created = Response.objects.get()
        assert (created.organisation, created.answers) == (c.responder, ["1000 vials"])
        text = body(client.get(url("call-detail", pk=call.pk)))
        assert "Submitted" in text and "1000 vials" in text
        # Once is enough: no form left for this organisation.
        assert 'action="' + url("call-respond", pk=call.pk) + '"' not in text

    def test_a_closed_call_takes_no_response(self, client, c, call):
        services.call_close(actor=c.publisher_admin, call=call)
        client.force_login(c.responder_member)
        assert "This call no longer takes responses." in body(client.get(url("call-detail", pk=call.pk)))
        response = client.post(url("call-respond", pk=call.pk), {"organisation": c.responder.pk, "message": "We can fill 2,000 vials a week."}, follow=True)
        assert response.status_code == 200
        assert not Response.objects.exists()

    def test_publishers_own_people_do_not_respond(self, client, c, call):
        text = body(page(client, c.publisher_member, url("call-detail", pk=call.pk)))
        assert "This is your organisation's call" in text
        response = client.post(url("call-respond", pk=call.pk), {"organisation": c.publisher.pk, "message": "We respond to ourselves."})
        assert response.status_code == 200
        assert not Response.objects.exists()

    def test_deadline_in_the_viewers_time_zone(self, client, c):
        deadline = dt.datetime(2031, 1, 15, 16, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
        call = published_call(c)
        Call.objects.filter(pk=call.pk).update(deadline=deadline)
        viewer = c.outsider
        viewer.time_zone = "Europe/Helsinki"
        viewer.save(update_fields=["time_zone"])
        text = body(page(client, viewer, url("call-detail", pk=call.pk)))
        assert "15 Jan 2031, 18:00" in text and "Europe/Helsinki" in text


class TestCallForm:
    def test_who_may_open_it(self, client, c, call):
        for role in MANAGERS:
            assert page(client, c[role], url("call-create")).status_code == 200, role
            assert page(client, c[role], url("call-edit", pk=call.pk)).status_code == 200, role
        for role in ("publisher_member", "responder_member"):
            response = page(client, c[role], url("call-create"))
            assert response.status_code == 403, role
            assert "organisation you manage" in body(response)
        for role in ("publisher_member", "responder_admin", "outsider"):
            assert page(client, c[role], url("call-edit", pk=call.pk)).status_code == 403, role
        draft = published_call(c, publish=False)
        assert page(client, c.responder_admin, url("call-edit", pk=draft.pk)).status_code == 404

    def test_the_organisation_chooser_holds_only_managed_organisations(self, client, c):
        text = body(page(client, c.publisher_delegate, url("call-create")))
        assert f'<option value="{c.publisher.pk}"' in text
        assert f'<option value="{c.responder.pk}"' not in text
        client.force_login(c.outsider)  # manages Elsewhere Bio only
        response = client.post(url("call-create"), form_data(c))
        assert "Select a valid choice" in body(response)
        assert not Call.objects.exists()

    def test_publish_through_the_form(self, client, c):
        client.force_login(c.publisher_admin)
        response = client.post(url("call-create"), form_data(c))
        call = Call.objects.get()
        assert response.status_code == 302 and response["Location"] == call.get_absolute_url()
        assert call.status == Call.Status.PUBLISHED
        assert call.questions == ["What batch size do you need?"]
        assert sorted(str(r.country) for r in call.country_rows.all()) == ["DE", "FR"]
        assert set(call.fields.values_list("slug", flat=True)) == {"fill-finish", "mrna"}
        expected = dt.datetime.combine(dt.date.today() + dt.timedelta(days=40), dt.time(17, 30), tzinfo=zoneinfo.ZoneInfo("Europe/Lisbon"))
        assert call.deadline == expected
        assert call.topic_reference == ""  # only consortia keep one

    def test_save_a_draft_then_publish_it(self, client, c):
        client.force_login(c.publisher_delegate)
        client.post(url("call-create"), form_data(c, action="draft", kind="consortium", topic_reference="HORIZON-HLTH-2027-01"))
        call = Call.objects.get()
        assert (call.status, call.topic_reference) == (Call.Status.DRAFT, "HORIZON-HLTH-2027-01")
        text = body(client.get(url("call-edit", pk=call.pk)))
        assert 'value="Aseptic fill-finish for mRNA"' in text and "Save draft" in text
        client.post(url("call-edit", pk=call.pk), form_data(c, title="Aseptic fill-finish for mRNA vaccines", kind="consortium", topic_reference="HORIZON-HLTH-2027-01"))
        call.refresh_from_db()
        assert (call.status, call.title) == (Call.Status.PUBLISHED, "Aseptic fill-finish for mRNA vaccines")

    def test_service_refusals_are_form_errors(self, client, c):
        client.force_login(c.publisher_admin)
        response = client.post(url("call-create"), form_data(c, deadline_date=(dt.date.today() - dt.timedelta(days=2)).isoformat()))
        assert response.status_code == 200
        assert "The deadline must be at least an hour from now." in body(response)
        response = client.post(url("call-create"), form_data(c, stages=[], fields=[]))
        assert "Choose at least one value-chain stage or field" in body(response)
        response = client.post(url("call-create"), form_data(c, audience="groups"))
        assert "Choose at least one working group" in body(response)
        response = client.post(url("call-create"), form_data(c, deadline_time="nonsense", time_zone="Mars/Base"))
        assert response.status_code == 200
        assert not Call.objects.exists()

    def test_a_call_for_my_working_groups(self, client, c):
        mine = workgroups.workgroup_create(creator=c.publisher_admin, name="Fill-finish circle")
        theirs = workgroups.workgroup_create(creator=c.outsider, name="Not my group")
        client.force_login(c.publisher_admin)
        text = body(client.get(url("call-create")))
        assert "Fill-finish circle" in text and "Not my group" not in text
        client.post(url("call-create"), form_data(c, audience="groups", workgroups=[theirs.pk]))
        assert not Call.objects.exists()
        client.post(url("call-create"), form_data(c, audience="groups", workgroups=[mine.pk]))
        call = Call.objects.get()
        assert list(call.workgroups.all()) == [mine]

    def test_editing_a_published_call_keeps_what_is_locked(self, client, c):
        call = published_call(c, questions=["Batch size?"], anonymous=True)
        respond(c, call)
        client.force_login(c.publisher_admin)
        text = body(client.get(url("call-edit", pk=call.pk)))
        assert "can no longer change" in text
        data = form_data(c, title="New title for the call", question_1="Changed?", anonymous="")
        data.pop("organisation")
        local = call.deadline.astimezone(zoneinfo.ZoneInfo("Europe/Brussels"))
        data.update(deadline_date=local.date().isoformat(), deadline_time=local.strftime("%H:%M"), time_zone="Europe/Brussels")
        response = client.post(url("call-edit", pk=call.pk), data)
        assert response.status_code == 302, body(response)
        call.refresh_from_db()
        assert call.title == "New title for the call"
        assert call.questions == ["Batch size?"] and call.anonymous


class TestLifecycle:
    def test_close_renew_publish_delete(self, client, c, call):
        client.force_login(c.publisher_delegate)
        client.post(url("call-lifecycle", pk=call.pk), {"action": "close"})
        call.refresh_from_db()
        assert call.status == Call.Status.CLOSED
        assert "Open it again" in body(client.get(url("call-detail", pk=call.pk)))
        new = (dt.date.today() + dt.timedelta(days=20)).isoformat()
        client.post(url("call-lifecycle", pk=call.pk), {"action": "renew", "renew-deadline_date": new, "renew-deadline_time": "12:00", "renew-time_zone": "Europe/Berlin"})
        call.refresh_from_db()
        assert call.status == Call.Status.PUBLISHED and call.renewals == 1
        draft = published_call(c, publish=False)
        client.post(url("call-lifecycle", pk=draft.pk), {"action": "publish"})
        draft.refresh_from_db()
        assert draft.status == Call.Status.PUBLISHED
        other = published_call(c, publish=False)
        response = client.post(url("call-lifecycle", pk=other.pk), {"action": "delete"})
        assert response["Location"] == url("my-calls")
        assert not Call.objects.filter(pk=other.pk).exists()

    def test_refusals(self, client, c, call):
        client.force_login(c.publisher_admin)
        response = client.post(url("call-lifecycle", pk=call.pk), {"action": "delete"}, follow=True)
        assert "A published call is closed, not deleted" in body(response)
        response = client.post(url("call-lifecycle", pk=call.pk), {"action": "renew", "renew-deadline_date": "2020-01-01", "renew-deadline_time": "12:00", "renew-time_zone": "UTC"}, follow=True)
        assert response.status_code == 200
        assert client.post(url("call-lifecycle", pk=call.pk), {"action": "explode"}).status_code == 404
        assert client.get(url("call-lifecycle", pk=call.pk)).status_code == 405
        for role in ("publisher_member", "responder_admin", "outsider"):
            assert page(client, c[role], "/").status_code in (200, 302)
            assert client.post(url("call-lifecycle", pk=call.pk), {"action": "close"}).status_code == 403, role
        draft = published_call(c, publish=False)
        client.force_login(c.outsider)
        assert client.post(url("call-lifecycle", pk=draft.pk), {"action": "delete"}).status_code == 404
        call.refresh_from_db()
        assert call.status == Call.Status.PUBLISHED and Call.objects.filter(pk=draft.pk).exists()


class TestBoard:
    def test_only_managers_see_it(self, client, c, call):
        respond(c, call)
        for role in ("publisher_member", "responder_admin", "responder_member", "outsider"):
            assert page(client, c[role], url("call-board", pk=call.pk)).status_code == 404, role
        for role in MANAGERS:
            text = body(page(client, c[role], url("call-board", pk=call.pk)))
            assert "Vector Labs GmbH" in text and "Shortlist" in text, role

    def test_moves_through_the_workflow(self, client, c, call, django_capture_on_commit_callbacks):
        response = respond(c, call)
        move = url("response-move", pk=call.pk, rid=response.pk)
        client.force_login(c.publisher_admin)
        # A move the workflow forbids is a message, never a 500.
        result = client.post(move, {"status": "accepted"}, follow=True)
        assert result.status_code == 200
        assert "Discuss first" in body(result)
        client.post(move, {"status": "shortlisted"})
        response.refresh_from_db()
        assert response.status == Response.Status.SHORTLISTED
        with django_capture_on_commit_callbacks(execute=True):
            client.post(move, {"status": "in-discussion"})
        response.refresh_from_db()
        assert response.status == Response.Status.IN_DISCUSSION and response.conversation_id
        conversation = reverse("messaging:conversation", kwargs={"conversation_id": response.conversation_id})
        assert conversation in body(client.get(url("call-board", pk=call.pk)))
        assert conversation in body(page(client, c.responder_member, url("call-detail", pk=call.pk)))
        # The responder may not decide.
        assert client.post(move, {"status": "accepted"}).status_code == 403
        client.force_login(c.publisher_delegate)
        client.post(move, {"status": "accepted", "note": "Welcome aboard"})
        response.refresh_from_db()
        assert response.status == Response.Status.ACCEPTED
        text = body(client.get(url("call-board", pk=call.pk)))
        assert "Welcome aboard" in text and "Delia Delegate: accepted" in text
        assert Partnership.objects.filter(response=response).exists()
        assert client.post(move, {"status": "nonsense"}).status_code == 302

    def test_responders_withdraw_and_outsiders_get_404(self, client, c, call):
        response = respond(c, call)
        move = url("response-move", pk=call.pk, rid=response.pk)
        assert page(client, c.outsider, "/").status_code in (200, 302)
        assert client.post(move, {"status": "withdrawn"}).status_code == 404
        client.force_login(c.publisher_admin)
        assert client.post(move, {"status": "withdrawn"}).status_code == 403
        client.force_login(c.responder_member)
        assert client.post(move, {"status": "withdrawn"})["Location"].endswith("#my-responses")
        response.refresh_from_db()
        assert response.status == Response.Status.WITHDRAWN

    def test_query_count_does_not_grow(self, client, c, call):
        client.force_login(c.publisher_admin)
        counts = []
        for n in (2, 18):
            for _ in range(n):
                admin = UserFactory()
                org = organisation_with_admin(admin)
                response = respond(c, call, user=admin, organisation=org)
                services.response_move(actor=c.publisher_admin, response=response, status="shortlisted", note="Looks good")
            count, result = queries_for(lambda: client.get(url("call-board", pk=call.pk)))
            assert result.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts


class TestMineAndPartnerships:
    def test_my_calls_and_responses(self, client, c, call):
        draft = published_call(c, title="A draft of ours", publish=False)
        respond(c, call)
        text = body(page(client, c.publisher_delegate, url("my-calls")))
        assert call.title in text and draft.title in text
        assert url("call-board", pk=call.pk) in text and "1 response: the board" in text
        text = body(page(client, c.publisher_member, url("my-calls")))
        assert draft.title not in text
        text = body(page(client, c.responder_member, url("my-calls")))
        assert call.title in text and "Submitted" in text

    def test_my_page_query_count_does_not_grow(self, client, c):
        client.force_login(c.responder_member)
        counts = []
        for n in (2, 18):
            for i in range(n):
                respond(c, published_call(c, title=f"Call {n}-{i}", anonymous=i % 2 == 0))
            count, response = queries_for(lambda: client.get(url("my-calls")))
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1], counts
        assert PUBLISHER in body(response)  # named calls name their publisher, anonymous ones do not

    def test_partnerships_and_their_show_toggles(self, client, c, call, django_capture_on_commit_callbacks):
        response = respond(c, call)
        services.response_move(actor=c.publisher_admin, response=response, status="in-discussion")
        services.response_move(actor=c.publisher_admin, response=response, status="accepted")
        partnership = Partnership.objects.get()
        toggle = {"partnership": partnership.pk, "organisation": c.responder.pk, "shown": "1"}
        text = body(page(client, c.responder_member, url("partnerships")))
        assert PUBLISHER in text and "Show on the profile of" not in text
        assert client.post(url("partnerships"), toggle).status_code == 403
        text = body(page(client, c.responder_admin, url("partnerships")))
        assert "Show on the profile of Vector Labs GmbH" in text
        client.post(url("partnerships"), toggle)
        client.force_login(c.publisher_admin)
        client.post(url("partnerships"), {**toggle, "organisation": c.publisher.pk})
        partnership.refresh_from_db()
        assert partnership.public
        # Someone else's partnership: 404; an organisation not of it: refused.
        assert page(client, c.outsider, url("partnerships")).status_code == 200
        assert client.post(url("partnerships"), toggle).status_code == 404
        client.force_login(c.responder_admin)
        assert client.post(url("partnerships"), {**toggle, "organisation": c.outsider_org.pk}).status_code == 403
        # Shown on both profiles now, for everyone.
        client.logout()
        text = body(client.get(c.responder.get_absolute_url()))
        assert "Partnerships made through calls" in text and PUBLISHER in text


class TestSharedPages:
    def test_nav_link_for_signed_in_people(self, client, c):
        assert 'href="/calls/"' not in body(client.get("/directory/"))
        text = body(page(client, c.outsider, url("call-list")))
        assert re.search(r'<a href="/calls/" aria-current="page">Calls</a>', text)

    def test_organisation_page_lists_open_named_calls(self, client, c, call):
        anonymous = published_call(c, title="Our anonymous request", anonymous=True)
        text = body(page(client, c.outsider, c.publisher.get_absolute_url()))
        assert call.title in text and anonymous.title not in text
        client.logout()
        assert call.title not in body(client.get(c.publisher.get_absolute_url()))

    def test_coverage_loads_the_outcomes_after_the_page(self, client, c, call):
        respond(c, call)
        text = body(client.get("/coverage/"))
        assert 'hx-get="/coverage/?section=partnerships"' in text
        fragment = body(client.get("/coverage/?section=partnerships", headers={"HX-Request": "true"}))
        assert "<html" not in fragment
        assert "call published" in fragment and "Fill-finish" in fragment and "Production" in fragment
        assert 'class="progress-bar' in fragment
        whole = body(client.get("/coverage/?section=partnerships"))
        assert "<html" in whole and "call published" in whole

    def test_coverage_page_without_calls(self, client):
        fragment = body(client.get("/coverage/?section=partnerships", headers={"HX-Request": "true"}))
        assert "No call published yet" in fragment

