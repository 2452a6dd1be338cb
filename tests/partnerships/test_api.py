"""The partnerships API (DESIGN.md's contract): calls, responses, the workflow, who sees what."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community import services as community
from partnerships import services
from partnerships.models import Call, Partnership, SavedSearch
from partnerships.models import Response as CallResponse
from tests.factories import UserFactory, organisation_with_admin
from tests.partnerships.helpers import cast, field, in_days, published_call, stage
from tests.querycount import queries_for
from workgroups import services as workgroups

pytestmark = pytest.mark.django_db
R = CallResponse.Status
CALLS = "/api/v1/calls/"
MESSAGE = "We can run two engineering batches in May."


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def iso(when) -> str:
    return when.isoformat()


def call_body(c, **overrides) -> dict:
    body = {
        "organisation": c.publisher.slug,
        "kind": "capacity-offer",
        "title": "Fill-finish capacity for viral vectors",
        "summary": "Two aseptic lines free from March for clinical batches.",
        "description": "We offer **fill-finish** slots.",
        "stages": ["production"],
        "fields": ["viral-vectors", "fill-finish"],
        "countries": [],
        "deadline": iso(in_days(30)),
    }
    body.update(overrides)
    return body


def respond(c, call, who="responder_member", org=None, **extra):
    return services.response_create(
        actor=c[who], call=call, organisation=org or c.responder, message=MESSAGE, **extra
    )


def moved(c, response, *steps):
    """Moves a response through the services: the publisher's admin moves, the responder withdraws."""
    for step in steps:
        actor = c.responder_member if step == R.WITHDRAWN else c.publisher_admin
        response = services.response_move(actor=actor, response=response, status=step)
    return response


# How a response reaches each status through the workflow.
PATHS = {
    R.SUBMITTED: [],
    R.SHORTLISTED: [R.SHORTLISTED],
    R.IN_DISCUSSION: [R.SHORTLISTED, R.IN_DISCUSSION],
    R.ACCEPTED: [R.IN_DISCUSSION, R.ACCEPTED],
    R.DECLINED: [R.DECLINED],
    R.WITHDRAWN: [R.WITHDRAWN],
}
OWNER_ALLOWED = {
    (R.SUBMITTED, R.SHORTLISTED),
    (R.SUBMITTED, R.IN_DISCUSSION),
    (R.SUBMITTED, R.DECLINED),
    (R.SHORTLISTED, R.IN_DISCUSSION),
    (R.SHORTLISTED, R.DECLINED),
    (R.IN_DISCUSSION, R.ACCEPTED),
    (R.IN_DISCUSSION, R.DECLINED),
}


def ids(payload) -> set[int]:
    return {row["id"] for row in payload["results"]}


@pytest.fixture
def c():
    return cast()


class TestSignedOut:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "calls/"),
            ("post", "calls/"),
            ("get", "calls/facets/"),
            ("get", "calls/for-you/"),
            ("get", "calls/{id}/"),
            ("patch", "calls/{id}/"),
            ("delete", "calls/{id}/"),
            ("post", "calls/{id}/publish/"),
            ("post", "calls/{id}/close/"),
            ("post", "calls/{id}/renew/"),
            ("get", "calls/{id}/responses/"),
            ("post", "calls/{id}/responses/"),
            ("get", "calls/{id}/responses/{rid}/"),
            ("patch", "calls/{id}/responses/{rid}/"),
            ("get", "partnerships/"),
            ("get", "partnerships/1/"),
            ("patch", "partnerships/1/"),
            ("get", "saved-searches/"),
            ("post", "saved-searches/"),
            ("delete", "saved-searches/1/"),
        ],
    )
    def test_everything_needs_a_signed_in_user(self, c, method, path):
        call = published_call(c)
        response = respond(c, call)
        url = "/api/v1/" + path.format(id=call.pk, rid=response.pk)
        answer = getattr(APIClient(), method)(url, {}, format="json")
        assert answer.status_code == 401, answer.content
        assert "detail" in answer.json()

    def test_a_bad_token_is_401(self, c):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token nope")
        assert client.get(CALLS).status_code == 401


class TestCreate:
    def test_admin_creates_a_draft(self, c):
        answer = as_user(c.publisher_admin).post(CALLS, call_body(c), format="json")
        assert answer.status_code == 201, answer.content
        data = answer.json()
        call = Call.objects.get(pk=data["id"])
        assert call.status == data["status"] == "draft" and call.created_by == c.publisher_admin
        assert data["organisation"] == {"slug": c.publisher.slug, "name": "Lyon Fill Finish SAS"}
        assert data["kind"] == "capacity-offer" and data["anonymous"] is False
        assert data["stages"] == ["production"] and sorted(data["fields"]) == [
            "fill-finish",
            "viral-vectors",
        ]
        assert data["countries"] == [] and data["all_europe"] is True
        assert (
            data["is_open"] is False and data["can_manage"] is True and data["response_count"] == 0
        )
        deadline = parse_datetime(data["deadline"])
        assert deadline.utcoffset() is not None and abs(deadline - call.deadline) < timedelta(
            seconds=1
        )
        assert data["description"] == "We offer **fill-finish** slots."
        assert "<strong>fill-finish</strong>" in data["description_html"]
        for leak in ("organisation_id", "created_by", "url"):
            assert leak not in data

    def test_delegate_publishes_at_once_with_every_option(self, c):
        group = workgroups.workgroup_create(
            creator=c.publisher_delegate, name="Viral vector makers", join_policy="open"
        )
        body = call_body(
            c,
            kind="consortium",
            topic_reference="HORIZON-HLTH-2027-IND-13-01",
            countries=["fr", "DE", "Greece"],
            audience="groups",
            workgroups=[group.slug],
            anonymous=True,
            questions=["Which scale?", "  When could you start?  "],
            status="published",
        )
        answer = as_user(c.publisher_delegate).post(CALLS, body, format="json")
        assert answer.status_code == 201, answer.content
        data = answer.json()
        assert data["status"] == "published" and data["is_open"] is True and data["published_at"]
        assert data["countries"] == ["DE", "FR", "GR"] and data["all_europe"] is False
        assert data["audience"] == "groups" and data["workgroups"] == [group.slug]
        assert data["anonymous"] is True and data["organisation"] == {
            "slug": c.publisher.slug,
            "name": c.publisher.name,
        }
        assert data["questions"] == ["Which scale?", "When could you start?"]
        assert data["topic_reference"] == "HORIZON-HLTH-2027-IND-13-01"

    @pytest.mark.parametrize(
        "who", ["publisher_member", "outsider", "responder_admin", "responder_member"]
    )
    def test_people_who_may_not_publish_for_the_organisation_get_403(self, c, who):
        answer = as_user(c[who]).post(CALLS, call_body(c), format="json")
        assert answer.status_code == 403 and answer.json()["detail"]
        assert not Call.objects.exists()

    def test_a_removed_member_may_no_longer_publish(self, c):
        community.organisation_member_remove(
            actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate
        )
        answer = as_user(c.publisher_delegate).post(CALLS, call_body(c), format="json")
        assert answer.status_code == 403


NOW = timezone.now()
BAD_BODIES = [
    ("stages", {"stages": "production"}),
    ("fields", {"fields": "viral-vectors"}),
    ("countries", {"countries": "FR"}),
    ("countries", {"countries": ["ZZ"]}),
    ("countries", {"countries": ["US"]}),
    ("countries", {"countries": [{"code": "FR"}]}),
    ("stages", {"stages": ["no-such-stage"]}),
    ("fields", {"fields": ["no-such-field", "mrna"]}),
    ("fields", {"fields": ["viral-vectors"] * 51}),
    ("organisation", {"organisation": "no-such-organisation"}),
    ("organisation", {"organisation": 5}),
    ("organisation", {"organisation": None}),
    ("deadline", {"deadline": "2030-01-31T17:00:00"}),
    ("deadline", {"deadline": "2030-01-31"}),
    ("deadline", {"deadline": "tomorrow"}),
    ("deadline", {"deadline": 1893456000}),
    ("deadline", {"deadline": "0001-01-01T00:00:00+14:00"}),
    ("detail", {"deadline": iso(NOW - timedelta(days=1))}),
    ("detail", {"deadline": iso(NOW + timedelta(days=3000))}),
    ("title", {"title": "x" * 100_000}),
    ("title", {"title": "abc"}),
    ("title", {"title": None}),
    ("title", {"title": "Null\x00byte title"}),
    ("title", {"title": ["a", "list"]}),
    ("summary", {"summary": ""}),
    ("description", {"description": "y" * 20_000}),
    ("questions", {"questions": [f"Question {n}?" for n in range(50)]}),
    ("questions", {"questions": "Why?"}),
    ("questions", {"questions": [{"q": 1}]}),
    ("questions", {"questions": ["z" * 301]}),
    ("kind", {"kind": "free-lunch"}),
    ("status", {"status": "closed"}),
    ("status", {"status": "expired"}),
    ("status", {"status": "bogus"}),
    ("audience", {"audience": "everyone"}),
    ("detail", {"audience": "groups"}),  # groups without a group
    ("workgroups", {"audience": "groups", "workgroups": ["no-such-group"]}),
    ("workgroups", {"workgroups": "a-group"}),
    ("anonymous", {"anonymous": "maybe"}),
    (
        "detail",
        {"status": "published", "stages": [], "fields": []},
    ),  # nothing for partners to find it by
]


class TestMalformedInput:
    @pytest.mark.parametrize(
        ("key", "change"), BAD_BODIES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD_BODIES)]
    )
    def test_is_a_400_naming_the_problem(self, c, key, change):
        answer = as_user(c.publisher_admin).post(CALLS, call_body(c, **change), format="json")
        assert answer.status_code == 400, answer.content
        assert key in answer.json(), answer.json()
        assert not Call.objects.exists()

    def test_a_working_group_one_is_not_in_reads_as_unknown(self, c):
        group = workgroups.workgroup_create(
            creator=c.outsider, name="Somebody else's group", visibility="secret"
        )
        answer = as_user(c.publisher_admin).post(
            CALLS, call_body(c, audience="groups", workgroups=[group.slug]), format="json"
        )
        assert answer.status_code == 400 and "workgroups" in answer.json()

    @pytest.mark.parametrize(
        "body",
        [b"{not json", b"[1, 2, 3]", b'"a string"', b"null", b"\xff\xfe", b'{"title": "\\ud800"}'],
    )
    def test_bodies_that_are_not_an_object(self, c, body):
        answer = as_user(c.publisher_admin).post(CALLS, body, content_type="application/json")
        assert answer.status_code == 400, answer.content
        assert answer.json()

    def test_a_form_encoded_body_is_refused_not_crashed(self, c):
        answer = as_user(c.publisher_admin).post(
            CALLS, "title=x", content_type="application/x-www-form-urlencoded"
        )
        assert answer.status_code == 415

    @pytest.mark.parametrize(
        "query",
        [
            "kind=free-lunch",
            "stage=nope",
            "field=nope,mrna",
            "country=ZZ",
            "country=US",
            "status=bogus",
            "order=random",
            f"search={'a' * 201}",
            "page_size=abc",
            "page_size=0",
        ],
    )
    def test_bad_list_parameters_are_400(self, c, query):
        answer = as_user(c.responder_member).get(f"{CALLS}?{query}")
        assert answer.status_code == 400, answer.content
        assert answer.json()

    @pytest.mark.parametrize("query", ["page=99", "page=abc", "page=0"])
    def test_a_missing_page_is_404(self, c, query):
        published_call(c)
        answer = as_user(c.responder_member).get(f"{CALLS}?{query}")
        assert answer.status_code == 404 and answer.json()["detail"]

    def test_odd_but_harmless_parameters(self, c):
        call = published_call(c)
        client = as_user(c.responder_member)
        assert ids(client.get(f"{CALLS}?search=%00fill%00").json()) == {call.pk}
        assert client.get(f"{CALLS}?page_size=1000").status_code == 200
        assert ids(client.get(f"{CALLS}?country=gr&kind=capacity-offer,training").json()) == {
            call.pk
        }


class TestList:
    def test_who_sees_which_calls(self, c):
        open_call = published_call(c)
        closed = published_call(c, title="A call closed early")
        services.call_close(actor=c.publisher_admin, call=closed)
        expired = published_call(c, title="A call past its deadline")
        Call.objects.filter(pk=expired.pk).update(deadline=in_days(-1))
        services.expire_due_calls()
        draft = published_call(c, title="A draft in progress", publish=False)
        everyone = {open_call.pk, closed.pk, expired.pk}
        for who in ("responder_member", "outsider", "publisher_member"):
            assert ids(as_user(c[who]).get(CALLS).json()) == everyone, who
            assert ids(as_user(c[who]).get(f"{CALLS}?status=draft").json()) == set(), who
        for who in ("publisher_admin", "publisher_delegate"):
            assert ids(as_user(c[who]).get(CALLS).json()) == everyone | {draft.pk}, who
            assert ids(as_user(c[who]).get(f"{CALLS}?status=draft").json()) == {draft.pk}, who
        client = as_user(c.responder_member)
        assert ids(client.get(f"{CALLS}?status=open").json()) == {open_call.pk}
        assert ids(client.get(f"{CALLS}?status=published").json()) == {open_call.pk}
        assert ids(client.get(f"{CALLS}?status=closed").json()) == {closed.pk}
        assert ids(client.get(f"{CALLS}?status=closed,expired").json()) == {closed.pk, expired.pk}
        assert ids(client.get(f"{CALLS}?status=closed&status=expired").json()) == {
            closed.pk,
            expired.pk,
        }
        rows = {row["id"]: row for row in client.get(CALLS).json()["results"]}
        assert rows[expired.pk]["status"] == "expired" and rows[expired.pk]["is_open"] is False
        assert (
            "response_count" not in rows[open_call.pk] and rows[open_call.pk]["can_manage"] is False
        )
        mine = {
            row["id"]: row for row in as_user(c.publisher_delegate).get(CALLS).json()["results"]
        }
        assert (
            mine[open_call.pk]["response_count"] == 0 and mine[open_call.pk]["can_manage"] is True
        )

    def test_removed_member_loses_the_drafts(self, c):
        draft = published_call(c, publish=False)
        community.organisation_member_remove(
            actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate
        )
        client = as_user(c.publisher_delegate)
        assert draft.pk not in ids(client.get(CALLS).json())
        assert client.get(f"{CALLS}{draft.pk}/").status_code == 404

    def test_filters_and_search(self, c):
        everywhere = published_call(c)
        german = published_call(
            c,
            title="Academic partner for continuous downstream",
            kind="rnd-partnership",
            stages=[stage("research")],
            fields=[field("mrna")],
            countries=["DE", "AT"],
        )
        client = as_user(c.outsider)

        def found(query):
            answer = client.get(f"{CALLS}?{query}")
            assert answer.status_code == 200, answer.content
            return ids(answer.json())

        assert found("country=DE") == {
            everywhere.pk,
            german.pk,
        }  # all of Europe matches every country
        assert found("country=FR") == {everywhere.pk}
        assert found("kind=rnd-partnership") == {german.pk}
        assert found("stage=research") == {german.pk}
        assert found("field=mrna,viral-vectors") == {everywhere.pk, german.pk}
        assert found("field=mrna&field=viral-vectors&country=FR") == {everywhere.pk}
        assert found("search=DOWNSTREAM") == {german.pk}
        assert found("search=d%C3%A9wnstream") == set()
        assert found("search=Continuous%20DOWNSTR%C3%89AM") == {german.pk}  # case and accents fold
        assert found("search=Lyon%20Fill") == {
            everywhere.pk,
            german.pk,
        }  # a named call's organisation
        assert found(f"organisation={c.publisher.slug}") == {everywhere.pk, german.pk}
        assert found("organisation=nobody") == set()

    def test_pagination_and_order(self, c):
        calls = [
            published_call(c, title=f"Call number {n}", deadline=in_days(30 - n)) for n in range(5)
        ]
        client = as_user(c.outsider)
        page = client.get(f"{CALLS}?page_size=2").json()
        assert set(page) == {"count", "next", "previous", "results"}
        assert page["count"] == 5 and len(page["results"]) == 2 and page["previous"] is None
        assert [r["id"] for r in page["results"]] == [calls[4].pk, calls[3].pk]  # newest first
        second = client.get(page["next"]).json()
        assert [r["id"] for r in second["results"]] == [calls[2].pk, calls[1].pk] and second[
            "previous"
        ]
        soonest = client.get(f"{CALLS}?status=open").json()["results"]
        assert [r["id"] for r in soonest] == [c.pk for c in reversed(calls)]
        assert [r["id"] for r in client.get(f"{CALLS}?order=deadline").json()["results"]][
            0
        ] == calls[4].pk

    def test_facets_are_slugs_and_codes(self, c):
        published_call(c)
        published_call(
            c, title="German mRNA call", fields=[field("mrna")], countries=["DE"], kind="training"
        )
        answer = as_user(c.outsider).get("/api/v1/calls/facets/?country=DE")
        assert answer.status_code == 200, answer.content
        facets = answer.json()
        kinds = {f["value"]: f["count"] for f in facets["kind"]}
        assert kinds["capacity-offer"] == 1 and kinds["training"] == 1
        assert {f["value"] for f in facets["field"]} >= {"mrna", "viral-vectors"}
        assert {f["value"]: f["count"] for f in facets["country"]}["DE"] == 2
        assert facets["all_europe"] == 1
        assert as_user(c.outsider).get("/api/v1/calls/facets/?state=bogus").status_code == 400
        assert as_user(c.outsider).get("/api/v1/calls/facets/?field=nope").status_code == 400


class TestCallDetailAndLifecycle:
    def test_read(self, c):
        call = published_call(c)
        draft = published_call(c, publish=False)
        for who in ("responder_member", "outsider", "publisher_member"):
            answer = as_user(c[who]).get(f"{CALLS}{call.pk}/")
            assert answer.status_code == 200
            assert (
                answer.json()["description"] == call.description
                and "response_count" not in answer.json()
            )
            assert as_user(c[who]).get(f"{CALLS}{draft.pk}/").status_code == 404, who
        assert as_user(c.publisher_delegate).get(f"{CALLS}{draft.pk}/").json()["status"] == "draft"
        assert as_user(c.outsider).get(f"{CALLS}999999/").status_code == 404

    def test_change(self, c):
        call = published_call(c)
        url = f"{CALLS}{call.pk}/"
        answer = as_user(c.publisher_delegate).patch(
            url,
            {
                "title": "Fill-finish capacity, now three lines",
                "countries": ["IT"],
                "fields": ["mrna"],
            },
            format="json",
        )
        assert answer.status_code == 200, answer.content
        data = answer.json()
        assert (
            data["title"] == "Fill-finish capacity, now three lines"
            and data["countries"] == ["IT"]
            and data["fields"] == ["mrna"]
        )
        assert data["stages"] == ["production"]  # left alone
        for who in ("publisher_member", "responder_admin", "outsider"):
            refused = as_user(c[who]).patch(
                url, {"title": "Taken over by someone else"}, format="json"
            )
            assert refused.status_code == 403, who
        assert (
            as_user(c.publisher_admin)
            .patch(url, {"organisation": c.outsider_org.slug}, format="json")
            .status_code
            == 400
        )
        assert (
            as_user(c.publisher_admin)
            .patch(url, {"deadline": "2031-01-01T00:00:00"}, format="json")
            .status_code
            == 400
        )
        assert (
            as_user(c.publisher_admin).patch(url, {"anonymous": True}, format="json").status_code
            == 409
        )
        assert (
            as_user(c.publisher_admin).patch(url, {"status": "draft"}, format="json").status_code
            == 409
        )
        assert (
            as_user(c.publisher_admin)
            .patch(url, b"{oops", content_type="application/json")
            .status_code
            == 400
        )
        Call.objects.filter(pk=call.pk).update(title="Fill-finish capacity for viral vectors")
        closed = as_user(c.publisher_admin).patch(url, {"status": "closed"}, format="json")
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        late = as_user(c.publisher_admin).patch(
            url, {"title": "Changed after closing"}, format="json"
        )
        assert late.status_code == 409 and "renew" in late.json()["detail"]

    def test_a_draft_is_changed_then_published_by_patch_and_invisible_to_others(self, c):
        draft = published_call(c, publish=False)
        url = f"{CALLS}{draft.pk}/"
        assert (
            as_user(c.outsider).patch(url, {"title": "Not mine at all"}, format="json").status_code
            == 404
        )
        answer = as_user(c.publisher_admin).patch(
            url, {"summary": "Updated summary.", "status": "published"}, format="json"
        )
        assert (
            answer.status_code == 200
            and answer.json()["status"] == "published"
            and answer.json()["summary"] == "Updated summary."
        )
        assert as_user(c.outsider).get(url).status_code == 200

    def test_a_refused_publish_undoes_the_changes_of_the_same_patch(self, c):
        draft = published_call(c, publish=False)
        answer = as_user(c.publisher_admin).patch(
            f"{CALLS}{draft.pk}/",
            {"title": "Renamed then refused", "stages": [], "fields": [], "status": "published"},
            format="json",
        )
        assert answer.status_code == 400
        draft.refresh_from_db()
        assert draft.title == "Fill-finish capacity for viral vectors" and draft.status == "draft"

    def test_publish_close_renew_delete(self, c):
        draft = published_call(c, publish=False)
        admin = as_user(c.publisher_admin)
        base = f"{CALLS}{draft.pk}/"
        assert (
            as_user(c.publisher_member).post(base + "publish/").status_code == 404
        )  # a draft: not theirs to see
        assert admin.post(base + "close/").status_code == 409
        assert (
            admin.post(base + "renew/", {"deadline": iso(in_days(10))}, format="json").status_code
            == 409
        )
        published = admin.post(base + "publish/")
        assert published.status_code == 200 and published.json()["status"] == "published"
        again = admin.post(base + "publish/")
        assert again.status_code == 409 and again.json()["detail"]
        assert as_user(c.publisher_member).post(base + "close/").status_code == 403
        assert as_user(c.responder_admin).post(base + "close/").status_code == 403
        assert admin.delete(base).status_code == 409
        assert as_user(c.responder_admin).delete(base).status_code == 403
        assert admin.post(base + "close/").json()["status"] == "closed"
        assert admin.post(base + "renew/", {}, format="json").status_code == 400
        assert (
            admin.post(
                base + "renew/", {"deadline": "2030-05-01T12:00:00"}, format="json"
            ).status_code
            == 400
        )
        assert (
            admin.post(base + "renew/", {"deadline": iso(in_days(-2))}, format="json").status_code
            == 400
        )
        assert (
            as_user(c.publisher_member)
            .post(base + "renew/", {"deadline": iso(in_days(10))}, format="json")
            .status_code
            == 403
        )
        renewed = admin.post(base + "renew/", {"deadline": iso(in_days(10))}, format="json")
        assert (
            renewed.status_code == 200
            and renewed.json()["status"] == "published"
            and renewed.json()["renewals"] == 1
        )
        other = published_call(c, publish=False)
        assert as_user(c.outsider).delete(f"{CALLS}{other.pk}/").status_code == 404
        assert as_user(c.publisher_member).delete(f"{CALLS}{other.pk}/").status_code == 404
        assert as_user(c.publisher_delegate).delete(f"{CALLS}{other.pk}/").status_code == 204
        assert not Call.objects.filter(pk=other.pk).exists()


class TestResponding:
    def test_respond_once_for_ones_organisation(self, c):
        call = published_call(c, questions=["Which scale?"])
        url = f"{CALLS}{call.pk}/responses/"
        answer = as_user(c.responder_member).post(
            url,
            {"organisation": c.responder.slug, "message": MESSAGE, "answers": ["200 L"]},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        data = answer.json()
        assert data["organisation"] == {"slug": c.responder.slug, "name": "Vector Labs GmbH"}
        assert (
            data["status"] == "submitted"
            and data["answers"] == ["200 L"]
            and data["conversation"] is None
        )
        assert data["call"] == call.pk and "history" not in data
        again = as_user(c.responder_admin).post(
            url,
            {"organisation": c.responder.slug, "message": MESSAGE, "answers": ["1 L"]},
            format="json",
        )
        assert again.status_code == 409 and "already" in again.json()["detail"]
        call.refresh_from_db()
        assert call.response_count == 1

    def test_questions_are_fixed_once_answered(self, c):
        call = published_call(c, questions=["Which scale?"])
        respond(c, call, answers=["200 L"])
        url = f"{CALLS}{call.pk}/"
        admin = as_user(c.publisher_admin)
        refused = admin.patch(url, {"questions": ["Which scale?", "Which country?"]}, format="json")
        assert refused.status_code == 409 and "answered" in refused.json()["detail"]
        same = admin.patch(
            url, {"questions": ["Which scale? "], "summary": "A new summary."}, format="json"
        )
        assert (
            same.status_code == 200
            and same.json()["questions"] == ["Which scale?"]
            and same.json()["response_count"] == 1
        )

    def test_the_organisation_may_be_left_out_by_a_member_of_one(self, c):
        call = published_call(c)
        answer = as_user(c.responder_member).post(
            f"{CALLS}{call.pk}/responses/", {"message": MESSAGE}, format="json"
        )
        assert (
            answer.status_code == 201 and answer.json()["organisation"]["slug"] == c.responder.slug
        )
        nobody = UserFactory()
        refused = as_user(nobody).post(
            f"{CALLS}{call.pk}/responses/", {"message": MESSAGE}, format="json"
        )
        assert refused.status_code == 403
        both = c.responder_admin
        community.organisation_member_add(actor=c.outsider, organisation=c.outsider_org, user=both)
        ambiguous = as_user(both).post(
            f"{CALLS}{call.pk}/responses/", {"message": MESSAGE}, format="json"
        )
        assert ambiguous.status_code == 400 and "organisation" in ambiguous.json()

    def test_refusals(self, c):
        call = published_call(c, questions=["Which scale?"])
        url = f"{CALLS}{call.pk}/responses/"
        member = as_user(c.responder_member)
        body = {"organisation": c.responder.slug, "message": MESSAGE, "answers": ["200 L"]}
        not_mine = member.post(url, {**body, "organisation": c.outsider_org.slug}, format="json")
        assert not_mine.status_code == 403 and not_mine.json()["detail"]
        own = as_user(c.publisher_admin).post(
            url, {**body, "organisation": c.publisher.slug}, format="json"
        )
        assert own.status_code == 400
        for change in (
            {"answers": []},
            {"answers": "200 L"},
            {"answers": ["a", "b"]},
            {"answers": ["x" * 2001]},
            {"message": "short"},
            {"message": "m" * 100_000},
            {"message": ["a list"]},
            {"message": None},
            {"organisation": "no-such-organisation"},
            {"organisation": ["x"]},
        ):
            refused = member.post(url, {**body, **change}, format="json")
            assert refused.status_code == 400, (change, refused.content)
        assert member.post(url, b"{oops", content_type="application/json").status_code == 400
        assert member.post(f"{CALLS}999999/responses/", body, format="json").status_code == 404
        assert not CallResponse.objects.exists()

    def test_409_on_a_call_not_open(self, c):
        body = {"organisation": c.responder.slug, "message": MESSAGE}
        closed = published_call(c)
        services.call_close(actor=c.publisher_admin, call=closed)
        answer = as_user(c.responder_member).post(
            f"{CALLS}{closed.pk}/responses/", body, format="json"
        )
        assert answer.status_code == 409 and "closed" in answer.json()["detail"]
        late = published_call(c)
        Call.objects.filter(pk=late.pk).update(
            deadline=in_days(-0.01)
        )  # past the deadline, not yet swept
        answer = as_user(c.responder_member).post(
            f"{CALLS}{late.pk}/responses/", body, format="json"
        )
        assert answer.status_code == 409 and "deadline" in answer.json()["detail"]
        draft = published_call(c, publish=False)
        assert (
            as_user(c.responder_member)
            .post(f"{CALLS}{draft.pk}/responses/", body, format="json")
            .status_code
            == 404
        )

    def test_who_reads_the_responses(self, c):
        call = published_call(c)
        mine = respond(c, call)
        theirs = respond(c, call, who="outsider", org=c.outsider_org)
        url = f"{CALLS}{call.pk}/responses/"
        for who in ("publisher_admin", "publisher_delegate"):
            rows = as_user(c[who]).get(url).json()["results"]
            assert [r["id"] for r in rows] == [mine.pk, theirs.pk], who
            assert rows[0]["history"][0]["to_status"] == "submitted"
        for who in ("responder_member", "responder_admin"):
            rows = as_user(c[who]).get(url).json()["results"]
            assert [r["id"] for r in rows] == [mine.pk] and "history" not in rows[0], who
            assert as_user(c[who]).get(f"{url}{theirs.pk}/").status_code == 404
            assert as_user(c[who]).get(f"{url}{mine.pk}/").status_code == 200
        assert as_user(c.publisher_member).get(url).json()["results"] == []
        stranger = UserFactory()
        assert as_user(stranger).get(url).json()["results"] == []
        community.organisation_member_remove(
            actor=c.responder_admin, organisation=c.responder, user=c.responder_member
        )
        assert as_user(c.responder_member).get(url).json()["results"] == []
        assert as_user(c.responder_member).get(f"{url}{mine.pk}/").status_code == 404
        draft = published_call(c, publish=False)
        assert as_user(c.responder_admin).get(f"{CALLS}{draft.pk}/responses/").status_code == 404
        assert as_user(c.publisher_admin).get(f"{CALLS}{draft.pk}/responses/").json()["count"] == 0

    def test_a_responding_organisation_keeps_seeing_a_group_call(self, c):
        group = workgroups.workgroup_create(
            creator=c.publisher_admin, name="Vector makers", join_policy="open"
        )
        workgroups.workgroup_join(actor=c.responder_member, workgroup=group)
        call = published_call(c, audience="groups", workgroups=[group])
        respond(c, call)
        workgroups.workgroup_leave(actor=c.responder_member, workgroup=group)
        assert as_user(c.responder_member).get(f"{CALLS}{call.pk}/").status_code == 200
        assert as_user(c.responder_admin).get(f"{CALLS}{call.pk}/responses/").json()["count"] == 1


class TestGroupAudience:
    def test_only_the_groups_members_see_and_respond(self, c):
        group = workgroups.workgroup_create(
            creator=c.publisher_admin, name="Viral vector makers", join_policy="open"
        )
        workgroups.workgroup_join(actor=c.responder_member, workgroup=group)
        answer = as_user(c.publisher_admin).post(
            CALLS,
            call_body(c, audience="groups", workgroups=[group.slug], status="published"),
            format="json",
        )
        assert answer.status_code == 201, answer.content
        pk = answer.json()["id"]
        body = {"organisation": c.responder.slug, "message": MESSAGE}
        member = as_user(c.responder_member)
        assert pk in ids(member.get(CALLS).json())
        assert member.get(f"{CALLS}{pk}/").status_code == 200
        assert "workgroups" not in member.get(f"{CALLS}{pk}/").json()
        for who in ("responder_admin", "outsider", "publisher_member"):
            client = as_user(c[who])
            assert pk not in ids(client.get(CALLS).json()), who
            assert pk not in ids(client.get(f"{CALLS}?search=viral").json()), who
            assert client.get(f"{CALLS}{pk}/").status_code == 404, who
            assert client.get(f"{CALLS}{pk}/responses/").status_code == 404, who
            assert client.post(f"{CALLS}{pk}/responses/", body, format="json").status_code == 404, (
                who
            )
        assert member.post(f"{CALLS}{pk}/responses/", body, format="json").status_code == 201
        assert as_user(c.publisher_delegate).get(f"{CALLS}{pk}/").json()["workgroups"] == [
            group.slug
        ]


class TestWorkflow:
    @pytest.mark.parametrize("current", list(PATHS))
    @pytest.mark.parametrize("target", list(PATHS))
    def test_every_move_by_the_calls_manager(self, c, current, target):
        call = published_call(c)
        response = moved(c, respond(c, call), *PATHS[current])
        answer = as_user(c.publisher_delegate).patch(
            f"{CALLS}{call.pk}/responses/{response.pk}/", {"status": target}, format="json"
        )
        if target == R.WITHDRAWN:
            assert answer.status_code == 403, answer.content  # only the responder withdraws
        elif (current, target) in OWNER_ALLOWED:
            assert answer.status_code == 200, answer.content
            assert (
                answer.json()["status"] == target
                and answer.json()["history"][-1]["to_status"] == target
            )
        else:
            assert answer.status_code == 409, answer.content
            assert answer.json()["detail"]
        response.refresh_from_db()
        assert response.status == (target if answer.status_code == 200 else current)

    @pytest.mark.parametrize("current", list(PATHS))
    def test_the_responder_only_withdraws(self, c, current):
        call = published_call(c)
        response = moved(c, respond(c, call), *PATHS[current])
        url = f"{CALLS}{call.pk}/responses/{response.pk}/"
        responder = as_user(c.responder_admin)
        for target in (R.SHORTLISTED, R.IN_DISCUSSION, R.ACCEPTED, R.DECLINED):
            assert responder.patch(url, {"status": target}, format="json").status_code == 403, (
                target
            )
        answer = responder.patch(url, {"status": "withdrawn"}, format="json")
        if current in (R.SUBMITTED, R.SHORTLISTED, R.IN_DISCUSSION):
            assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"
        else:
            assert answer.status_code == 409 and "final" in answer.json()["detail"]

    def test_who_may_not_move(self, c):
        call = published_call(c)
        response = respond(c, call)
        url = f"{CALLS}{call.pk}/responses/{response.pk}/"
        for who in ("publisher_member", "outsider"):
            assert (
                as_user(c[who]).patch(url, {"status": "shortlisted"}, format="json").status_code
                == 404
            ), who
        owner_withdraws = as_user(c.publisher_admin).patch(
            url, {"status": "withdrawn"}, format="json"
        )
        assert owner_withdraws.status_code == 403 and owner_withdraws.json()["detail"]
        responder_shortlists = as_user(c.responder_member).patch(
            url, {"status": "shortlisted"}, format="json"
        )
        assert responder_shortlists.status_code == 403 and responder_shortlists.json()["detail"]
        for bad in (
            {"status": "bogus"},
            {},
            {"status": 5},
            {"status": None},
            {"status": ["accepted"]},
            {"status": "shortlisted", "note": "n" * 1001},
        ):
            assert as_user(c.publisher_admin).patch(url, bad, format="json").status_code == 400, bad
        assert (
            as_user(c.publisher_admin)
            .patch(f"{CALLS}{call.pk}/responses/999999/", {"status": "shortlisted"}, format="json")
            .status_code
            == 404
        )
        other = published_call(c, title="Another call of ours")
        assert (
            as_user(c.publisher_admin)
            .patch(
                f"{CALLS}{other.pk}/responses/{response.pk}/",
                {"status": "shortlisted"},
                format="json",
            )
            .status_code
            == 404
        )
        community.organisation_member_remove(
            actor=c.responder_admin, organisation=c.responder, user=c.responder_member
        )
        assert (
            as_user(c.responder_member)
            .patch(url, {"status": "withdrawn"}, format="json")
            .status_code
            == 404
        )
        community.organisation_member_remove(
            actor=c.publisher_admin, organisation=c.publisher, user=c.publisher_delegate
        )
        assert (
            as_user(c.publisher_delegate)
            .patch(url, {"status": "shortlisted"}, format="json")
            .status_code
            == 404
        )
        response.refresh_from_db()
        assert response.status == "submitted"

    def test_discussion_opens_a_conversation_both_sides_see_and_acceptance_records_a_partnership(
        self, c
    ):
        call = published_call(c)
        response = respond(c, call)
        url = f"{CALLS}{call.pk}/responses/{response.pk}/"
        manager = as_user(c.publisher_admin)
        assert (
            manager.patch(
                url, {"status": "shortlisted", "note": "Promising"}, format="json"
            ).status_code
            == 200
        )
        discussed = manager.patch(url, {"status": "in-discussion"}, format="json").json()
        assert discussed["conversation"]
        assert (
            as_user(c.responder_member).get(url).json()["conversation"] == discussed["conversation"]
        )
        accepted = manager.patch(url, {"status": "accepted"}, format="json").json()
        assert [(e["from_status"], e["to_status"]) for e in accepted["history"]] == [
            ("", "submitted"),
            ("submitted", "shortlisted"),
            ("shortlisted", "in-discussion"),
            ("in-discussion", "accepted"),
        ]
        assert (
            accepted["history"][1]["note"] == "Promising"
            and accepted["history"][1]["actor"] == c.publisher_admin.pk
        )
        assert Partnership.objects.filter(response=response).exists()


class TestAnonymousCall:
    def test_the_publisher_stays_hidden_until_acceptance(self, c):
        c.responder.fields.add(field("viral-vectors"))
        call = published_call(c, anonymous=True, questions=["Which scale?"])
        named = published_call(c, title="A named call for comparison")
        secrets = (c.publisher.name, c.publisher.slug, "Lyon")
        member = as_user(c.responder_member)

        def hidden(client, *, for_you=True):
            """Nothing the responder reads about the anonymous call names its organisation."""
            detail = client.get(f"{CALLS}{call.pk}/")
            assert (
                detail.status_code == 200
                and detail.json()["organisation"] is None
                and detail.json()["anonymous"] is True
            )
            whole = [
                detail,
                client.get(f"{CALLS}{call.pk}/responses/"),
                client.get("/api/v1/partnerships/"),
            ]
            for answer in whole:
                assert answer.status_code == 200
                assert not any(secret in answer.content.decode() for secret in secrets), (
                    answer.content
                )
            paths = [CALLS, f"{CALLS}?search=fill", f"{CALLS}?field=viral-vectors"]
            for path in paths + (
                ["/api/v1/calls/for-you/"] if for_you else []
            ):  # answered calls leave for-you
                rows = [r for r in client.get(path).json()["results"] if r["id"] == call.pk]
                assert len(rows) == 1, path
                assert rows[0]["organisation"] is None, path
                assert not any(secret in json.dumps(rows[0]) for secret in secrets), path

        hidden(member)
        assert call.pk not in ids(member.get(f"{CALLS}?search=Lyon%20Fill%20Finish").json())
        assert named.pk in ids(member.get(f"{CALLS}?search=Lyon%20Fill%20Finish").json())
        assert call.pk not in ids(member.get(f"{CALLS}?organisation={c.publisher.slug}").json())
        for who in ("publisher_member", "publisher_admin"):
            assert (
                as_user(c[who]).get(f"{CALLS}{call.pk}/").json()["organisation"]["slug"]
                == c.publisher.slug
            )
            assert call.pk in ids(
                as_user(c[who]).get(f"{CALLS}?organisation={c.publisher.slug}").json()
            )

        created = member.post(
            f"{CALLS}{call.pk}/responses/",
            {"organisation": c.responder.slug, "message": MESSAGE, "answers": ["200 L"]},
            format="json",
        )
        assert created.status_code == 201
        assert all(s not in created.content.decode() for s in secrets)
        other = respond(c, call, who="outsider", org=c.outsider_org, answers=["5 L"])
        rid = created.json()["id"]
        manager = as_user(c.publisher_delegate)
        for step in ("shortlisted", "in-discussion"):
            moved_answer = manager.patch(
                f"{CALLS}{call.pk}/responses/{rid}/", {"status": step}, format="json"
            )
            assert moved_answer.status_code == 200
            hidden(member, for_you=False)
            hidden(as_user(c.responder_admin), for_you=False)

        assert (
            manager.patch(
                f"{CALLS}{call.pk}/responses/{rid}/", {"status": "accepted"}, format="json"
            ).status_code
            == 200
        )
        for who in ("responder_member", "responder_admin"):
            client = as_user(c[who])
            assert client.get(f"{CALLS}{call.pk}/").json()["organisation"] == {
                "slug": c.publisher.slug,
                "name": c.publisher.name,
            }
            row = next(r for r in client.get(CALLS).json()["results"] if r["id"] == call.pk)
            assert row["organisation"]["name"] == c.publisher.name
            assert call.pk in ids(client.get(f"{CALLS}?organisation={c.publisher.slug}").json())
            assert c.publisher.name in client.get("/api/v1/partnerships/").content.decode()
        # The organisation whose response was not accepted still does not know.
        outsider = as_user(c.outsider)
        assert outsider.get(f"{CALLS}{call.pk}/").json()["organisation"] is None
        assert all(
            s not in outsider.get(f"{CALLS}{call.pk}/responses/").content.decode() for s in secrets
        )
        assert outsider.get(f"{CALLS}{call.pk}/responses/").json()["results"][0]["id"] == other.pk


class TestForYou:
    def test_matches_with_reasons_and_score(self, c):
        c.responder.fields.add(field("viral-vectors"), field("fill-finish"))
        c.responder.stages.add(stage("production"))
        best = published_call(c, countries=["DE"])
        good = published_call(c, title="Fill-finish only", fields=[field("fill-finish")], stages=[])
        published_call(
            c, title="Elsewhere only", fields=[field("mrna")], stages=[stage("research")]
        )
        published_call(c, title="Seeks Italy", countries=["IT"])
        answer = as_user(c.responder_member).get("/api/v1/calls/for-you/")
        assert answer.status_code == 200, answer.content
        data = answer.json()
        assert set(data) == {"count", "next", "previous", "results"} and data["count"] == 2
        first, second = data["results"]
        assert first["id"] == best.pk and first["score"] == 3 * 2 + 2 + 1
        assert set(first["reasons"]) == {"Viral vectors", "Fill-finish", "Production", "DE"}
        assert (
            second["id"] == good.pk
            and second["score"] == 3
            and second["reasons"] == ["Fill-finish"]
        )
        page = as_user(c.responder_member).get("/api/v1/calls/for-you/?page_size=1").json()
        assert (
            page["count"] == 2
            and len(page["results"]) == 1
            and page["next"]
            and page["previous"] is None
        )
        page2 = as_user(c.responder_member).get(page["next"]).json()
        assert page2["results"][0]["id"] == good.pk and page2["next"] is None and page2["previous"]
        assert as_user(c.responder_member).get("/api/v1/calls/for-you/?page=9").status_code == 404
        assert (
            as_user(c.responder_member).get("/api/v1/calls/for-you/?page_size=x").status_code == 400
        )

    def test_pages_keep_the_best_first_order(self, c):
        c.responder.fields.add(field("fill-finish"))
        early = published_call(
            c,
            title="All of Europe, early deadline",
            fields=[field("fill-finish")],
            stages=[],
            deadline=in_days(5),
        )
        named = published_call(
            c,
            title="Seeks Germany, later deadline",
            fields=[field("fill-finish")],
            stages=[],
            countries=["DE"],
            deadline=in_days(20),
        )
        client = as_user(c.responder_member)
        whole = client.get("/api/v1/calls/for-you/").json()["results"]
        assert [(r["id"], r["score"]) for r in whole] == [(named.pk, 4), (early.pk, 3)]
        first_page = client.get("/api/v1/calls/for-you/?page_size=1").json()["results"]
        assert first_page[0]["id"] == named.pk

    def test_choosing_the_organisation(self, c):
        c.outsider_org.fields.add(field("viral-vectors"))
        call = published_call(c)
        client = as_user(c.outsider)
        assert ids(
            client.get(f"/api/v1/calls/for-you/?organisation={c.outsider_org.slug}").json()
        ) == {call.pk}
        refused = client.get(f"/api/v1/calls/for-you/?organisation={c.responder.slug}")
        assert refused.status_code == 400 and "organisation" in refused.json()
        assert client.get("/api/v1/calls/for-you/?organisation=nope").status_code == 400
        # The publisher is not offered its own calls.
        assert as_user(c.publisher_admin).get("/api/v1/calls/for-you/").json()["count"] == 0


class TestPartnershipsAndSavedSearches:
    def test_partnerships_of_my_organisations(self, c):
        call = published_call(c)
        moved(c, respond(c, call), R.IN_DISCUSSION, R.ACCEPTED)
        partnership = Partnership.objects.get()
        for who in ("publisher_admin", "publisher_member", "responder_member"):
            data = as_user(c[who]).get("/api/v1/partnerships/").json()
            assert data["count"] == 1, who
            row = data["results"][0]
            assert (
                row["publisher"]["slug"] == c.publisher.slug
                and row["partner"]["slug"] == c.responder.slug
            )
            assert row["call"] == {"id": call.pk, "title": call.title} and row["public"] is False
        assert as_user(c.outsider).get("/api/v1/partnerships/").json()["count"] == 0
        url = f"/api/v1/partnerships/{partnership.pk}/"
        assert as_user(c.outsider).patch(url, {"shown": True}, format="json").status_code == 404
        assert (
            as_user(c.responder_member).patch(url, {"shown": True}, format="json").status_code
            == 403
        )
        assert (
            as_user(c.responder_admin).patch(url, {"shown": "perhaps"}, format="json").status_code
            == 400
        )
        assert (
            as_user(c.responder_admin)
            .patch(url, {"shown": True}, format="json")
            .json()["partner_shows"]
            is True
        )
        both = (
            as_user(c.publisher_admin)
            .patch(url, {"shown": True, "organisation": c.publisher.slug}, format="json")
            .json()
        )
        assert both["public"] is True

    def test_saved_searches_are_ones_own(self, c):
        url = "/api/v1/saved-searches/"
        mine = as_user(c.responder_member)
        created = mine.post(
            url,
            {
                "name": "Vectors in Germany",
                "query": {"q": "vector", "field": ["viral-vectors"], "country": ["de"]},
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        assert (
            created.json()["query"]
            == {"q": "vector", "field": ["viral-vectors"], "country": ["DE"]}
            and created.json()["notify"] is True
        )
        theirs = SavedSearch.objects.create(user=c.outsider, name="Theirs", query={"q": "x"})
        assert [s["name"] for s in mine.get(url).json()["results"]] == ["Vectors in Germany"]
        assert mine.delete(f"{url}{theirs.pk}/").status_code == 404
        for bad in (
            {"name": "No filter", "query": {}},
            {"name": "Blank", "query": {"q": ""}},
            {"name": "Unknown key", "query": {"owner": "x"}},
            {"name": "String kind", "query": {"kind": "training"}},
            {"name": "Unknown field", "query": {"field": ["nope"]}},
            {"name": "Query not an object", "query": "vector"},
            {"name": "", "query": {"q": "vector"}},
            {"name": "n" * 500, "query": {"q": "vector"}},
        ):
            assert mine.post(url, bad, format="json").status_code == 400, bad
        assert mine.delete(f"{url}{created.json()['id']}/").status_code == 204
        assert not SavedSearch.objects.filter(user=c.responder_member).exists()

    def test_a_saved_search_hears_of_a_new_call(self, c, django_capture_on_commit_callbacks):
        from messaging.models import Notification

        as_user(c.responder_member).post(
            "/api/v1/saved-searches/",
            {"name": "Vectors", "query": {"field": ["viral-vectors"]}},
            format="json",
        )
        with django_capture_on_commit_callbacks(execute=True):
            answer = as_user(c.publisher_admin).post(
                CALLS, call_body(c, status="published"), format="json"
            )
        assert answer.status_code == 201
        assert Notification.objects.filter(
            recipient=c.responder_member, kind="partnerships.match"
        ).exists()


class TestQueryCounts:
    def _more_calls(self, c, n):
        group = workgroups.workgroup_create(
            creator=c.publisher_admin, name=f"Group {Call.objects.count()}", join_policy="open"
        )
        workgroups.workgroup_join(actor=c.responder_member, workgroup=group)
        for i in range(n):
            published_call(
                c,
                title=f"Call number {Call.objects.count()}",
                anonymous=i % 3 == 0,
                countries=["DE", "FR"] if i % 2 else [],
                audience="groups" if i % 4 == 1 else "members",
                workgroups=[group] if i % 4 == 1 else [],
                questions=["Which scale?"] if i % 5 == 0 else None,
            )

    @pytest.mark.parametrize("who", ["publisher_admin", "responder_member"])
    def test_the_list_costs_the_same_for_2_and_20_calls(self, c, who):
        c.responder.fields.add(field("viral-vectors"))
        client = as_user(c[who])
        counts = []
        for n in (2, 18):
            self._more_calls(c, n)
            for path in (f"{CALLS}?page_size=100", "/api/v1/calls/for-you/?page_size=100"):
                count, answer = queries_for(lambda path=path: client.get(path))
                assert answer.status_code == 200
                counts.append(count)
            assert (
                len(client.get(f"{CALLS}?page_size=100").json()["results"]) == Call.objects.count()
            )
        assert counts[:2] == counts[2:], counts

    def test_the_responses_cost_the_same_for_2_and_20_responses(self, c):
        call = published_call(c, questions=["Which scale?"])
        url = f"{CALLS}{call.pk}/responses/?page_size=100"
        clients = {who: as_user(c[who]) for who in ("publisher_admin", "responder_member")}
        counts = []
        for n in (2, 18):
            for _ in range(n):
                admin = UserFactory()
                org = organisation_with_admin(admin)
                response = services.response_create(
                    actor=admin, call=call, organisation=org, message=MESSAGE, answers=["1 L"]
                )
                services.response_move(
                    actor=c.publisher_admin, response=response, status="shortlisted"
                )
            for who in ("publisher_admin", "responder_member"):
                count, answer = queries_for(lambda who=who: clients[who].get(url))
                assert answer.status_code == 200
                counts.append(count)
        assert as_user(c.publisher_admin).get(url).json()["count"] == 20
        assert counts[:2] == counts[2:], counts


def test_the_schema_documents_every_endpoint_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(
        patterns=[path("api/v1/", include("partnerships.api_urls"))]
    ).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
    for route in (
        "calls/",
        "calls/{id}/",
        "calls/{id}/responses/",
        "calls/{id}/responses/{rid}/",
        "calls/for-you/",
        "partnerships/",
        "saved-searches/",
    ):
        assert f"/api/v1/{route}" in schema["paths"], route
    assert set(schema["paths"]["/api/v1/calls/"]) >= {"get", "post"}
    assert "PaginatedCallOutputList" in schema["components"]["schemas"]
