import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community import services
from community.models import Field, Organisation, Stage
from tests.factories import OrganisationFactory, UserFactory, organisation_with_admin
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def tagged(org, stages=(), fields=()):
    org.stages.set(Stage.objects.filter(slug__in=stages))
    org.fields.set(Field.objects.filter(slug__in=fields))
    from community import search

    search.index(Organisation.objects.filter(pk=org.pk))
    return org


class TestToken:
    def test_verified_account_gets_a_token_that_authenticates(self, api):
        user = UserFactory(email="ana@example.org")
        response = api.post(
            "/api/v1/auth/token/",
            {"email": "Ana@Example.org", "password": "correct horse battery staple"},
            format="json",
        )
        assert response.status_code == 200
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        me = client.get("/api/v1/me/")
        assert me.status_code == 200
        assert me.json()["id"] == user.pk and me.json()["email"] == "ana@example.org"

    def test_unknown_email_and_wrong_password_get_the_same_answer(self, api):
        UserFactory(email="ana@example.org")
        wrong = api.post(
            "/api/v1/auth/token/", {"email": "ana@example.org", "password": "nope"}, format="json"
        )
        unknown = api.post(
            "/api/v1/auth/token/",
            {"email": "nobody@example.org", "password": "nope"},
            format="json",
        )
        assert wrong.status_code == unknown.status_code == 400
        assert wrong.json() == unknown.json()

    def test_unverified_account_gets_no_token(self, api):
        UserFactory(email="new@example.org", verified=False)
        response = api.post(
            "/api/v1/auth/token/",
            {"email": "new@example.org", "password": "correct horse battery staple"},
            format="json",
        )
        assert response.status_code == 403
        assert not Token.objects.exists()

    def test_malformed_bodies_are_400(self, api):
        assert (
            api.post(
                "/api/v1/auth/token/", {"email": "not-an-email", "password": "x"}, format="json"
            ).status_code
            == 400
        )
        assert (
            api.post("/api/v1/auth/token/", "garbage", content_type="application/json").status_code
            == 400
        )
        assert api.post("/api/v1/auth/token/", {}, format="json").status_code == 400

    def test_twenty_wrong_passwords_lock_the_account(self, api):
        UserFactory(email="ana@example.org")
        for _ in range(20):
            assert (
                api.post(
                    "/api/v1/auth/token/",
                    {"email": "ana@example.org", "password": "bad"},
                    format="json",
                ).status_code
                == 400
            )
        locked = api.post(
            "/api/v1/auth/token/",
            {"email": "ana@example.org", "password": "correct horse battery staple"},
            format="json",
        )
        assert locked.status_code == 429
        assert not Token.objects.exists()


class TestMeAndTaxonomy:
    def test_me_needs_a_signed_in_user(self, api):
        response = api.get("/api/v1/me/")
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_me_lists_my_organisations_and_can_be_patched(self):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        client = as_user(admin)
        data = client.get("/api/v1/me/").json()
        assert data["organisations"] == [{"slug": org.slug, "name": org.name, "role": "admin"}]
        assert data["email_verified"] is True
        response = client.patch(
            "/api/v1/me/",
            {"job_title": "QA lead", "interests": ["mrna", "fill-finish"]},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["job_title"] == "QA lead"
        assert sorted(response.json()["interests"]) == ["fill-finish", "mrna"]
        bad = client.patch(
            "/api/v1/me/", {"interests": ["no-such-field"], "job_title": "x" * 500}, format="json"
        )
        assert bad.status_code == 400
        assert client.get("/api/v1/me/").json()["job_title"] == "QA lead"

    def test_taxonomy_is_public_and_complete(self, api):
        data = api.get("/api/v1/taxonomy/").json()
        assert [s["slug"] for s in data["stages"]] == [
            "training",
            "research",
            "process-development",
            "production",
            "post-commercialisation",
        ]
        assert {"slug": "cdmo", "name": "CDMO"} in data["kinds"]
        assert {k["slug"] for k in data["kinds"]} == set(Organisation.Kind.values)
        assert any(f["slug"] == "viral-vectors" for f in data["fields"])
        codes = {c["code"] for c in data["countries"]}
        assert "GR" in codes and "EL" not in codes and "XK" in codes


class TestOrganisationList:
    def test_public_paginated_list_with_the_contract_shape(self, api):
        OrganisationFactory.create_batch(3)
        data = api.get("/api/v1/organisations/?page_size=2").json()
        assert set(data) == {"count", "next", "previous", "results"}
        assert data["count"] == 3 and len(data["results"]) == 2 and data["next"]
        first = data["results"][0]
        assert {
            "slug",
            "name",
            "kind",
            "country",
            "city",
            "stages",
            "fields",
            "verified",
            "claimed",
        } <= set(first)

    def test_filters_combine_and_take_lists(self, api):
        de_hospital = tagged(
            OrganisationFactory(name="Charité", country="DE", kind="hospital"),
            ["research"],
            ["cell-therapy"],
        )
        tagged(
            OrganisationFactory(name="Klinikum", country="DE", kind="hospital"),
            ["production"],
            ["vaccines"],
        )
        fr_company = tagged(
            OrganisationFactory(name="Yposkesi", country="FR", kind="cdmo"),
            ["production"],
            ["viral-vectors"],
        )
        tagged(
            OrganisationFactory(name="Novo", country="DK", kind="company"),
            ["production"],
            ["recombinant-proteins"],
        )

        def slugs(qs):
            return sorted(
                o["slug"] for o in api.get("/api/v1/organisations/" + qs).json()["results"]
            )

        assert slugs("?country=DE&stage=research") == [de_hospital.slug]
        assert slugs("?country=DE,FR&stage=production&kind=cdmo") == [fr_company.slug]
        assert len(slugs("?country=DE&country=FR")) == 3
        assert slugs("?field=viral-vectors&field=cell-therapy") == sorted(
            [de_hospital.slug, fr_company.slug]
        )
        assert slugs("?country=fr") == [fr_company.slug]

    def test_search_is_case_and_accent_insensitive(self, api):
        charite = tagged(
            OrganisationFactory(name="Charité Universitätsmedizin", country="DE", city="Berlin")
        )
        OrganisationFactory(name="Other", country="DE")
        for q in ("charite", "CHARITÉ", "universitatsmedizin", "berlin charit"):
            results = api.get("/api/v1/organisations/", {"search": q}).json()["results"]
            assert [r["slug"] for r in results] == [charite.slug], q

    def test_unknown_filter_values_are_a_clear_400(self, api):
        response = api.get(
            "/api/v1/organisations/?country=XX,FR&kind=spaceship&stage=moon&field=alchemy"
        )
        assert response.status_code == 400
        body = response.json()
        assert "XX" in body["country"][0] and "spaceship" in body["kind"][0]
        assert "moon" in body["stage"][0] and "alchemy" in body["field"][0]

    def test_page_size_is_capped_and_validated(self, api):
        OrganisationFactory.create_batch(3)
        assert api.get("/api/v1/organisations/?page_size=1000").status_code == 200
        assert api.get("/api/v1/organisations/?page_size=abc").status_code == 400
        assert api.get("/api/v1/organisations/?page_size=0").status_code == 400
        assert api.get("/api/v1/organisations/?page=99").status_code == 404

    def test_no_n_plus_one(self, api):
        counts = []
        for n in (2, 38):
            for org in OrganisationFactory.create_batch(n):
                tagged(org, ["research", "production"], ["vaccines", "mrna"])
            count, response = queries_for(
                lambda: api.get("/api/v1/organisations/?page_size=100&stage=research")
            )
            counts.append(count)
        assert response.json()["count"] == 40
        assert counts[0] == counts[1] <= 5, counts


class TestOrganisationWrite:
    payload = {
        "name": "Fill Finish Europe",
        "country": "BE",
        "kind": "cdmo",
        "stages": ["production"],
        "fields": ["fill-finish", "vaccines"],
        "city": "Gent",
        "website": "https://fillfinish.example",
    }

    def test_anonymous_cannot_create(self, api):
        assert api.post("/api/v1/organisations/", self.payload, format="json").status_code == 401
        assert not Organisation.objects.exists()

    def test_create_makes_the_caller_admin(self):
        user = UserFactory()
        response = as_user(user).post("/api/v1/organisations/", self.payload, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["slug"] == "fill-finish-europe"
        assert body["stages"] == ["production"] and sorted(body["fields"]) == [
            "fill-finish",
            "vaccines",
        ]
        org = Organisation.objects.get(slug=body["slug"])
        assert user.has_perm("community.change_organisation", org)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"country": "US"}, "country"),
            ({"country": "ZZZ"}, "country"),
            ({"kind": "spaceship"}, "kind"),
            ({"stages": ["moon"]}, "stages"),
            ({"name": "x" * 300}, "name"),
            ({"name": ""}, "name"),
            ({"website": "javascript:alert(1)"}, "website"),
            ({"latitude": 123}, "latitude"),
            ({"description": "d" * 6000}, "description"),
        ],
    )
    def test_bad_input_is_400_and_changes_nothing(self, change, field):
        response = as_user(UserFactory()).post(
            "/api/v1/organisations/", {**self.payload, **change}, format="json"
        )
        assert response.status_code == 400
        assert field in response.json()
        assert not Organisation.objects.exists()

    def test_greece_written_as_el_is_stored_as_gr(self):
        response = as_user(UserFactory()).post(
            "/api/v1/organisations/", {**self.payload, "country": "EL"}, format="json"
        )
        assert response.status_code == 201 and response.json()["country"] == "GR"

    def test_duplicate_is_409(self):
        as_user(UserFactory()).post("/api/v1/organisations/", self.payload, format="json")
        again = as_user(UserFactory()).post("/api/v1/organisations/", self.payload, format="json")
        assert again.status_code == 409
        assert Organisation.objects.count() == 1

    def test_patch_by_admin_only(self, api):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        member = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=member)
        url = f"/api/v1/organisations/{org.slug}/"
        assert api.patch(url, {"city": "Mainz"}, format="json").status_code == 401
        assert (
            as_user(UserFactory()).patch(url, {"city": "Mainz"}, format="json").status_code == 403
        )
        assert as_user(member).patch(url, {"city": "Mainz"}, format="json").status_code == 403
        org.refresh_from_db()
        assert org.city == ""
        response = as_user(admin).patch(url, {"city": "Mainz", "fields": ["mrna"]}, format="json")
        assert response.status_code == 200
        assert response.json()["city"] == "Mainz" and response.json()["fields"] == ["mrna"]
        assert as_user(admin).patch(url, {"country": "CN"}, format="json").status_code == 400

    def test_detail_is_public_and_missing_is_404(self, api):
        org = OrganisationFactory()
        assert api.get(f"/api/v1/organisations/{org.slug}/").json()["name"] == org.name
        missing = api.get("/api/v1/organisations/nope/")
        assert (
            missing.status_code == 404
            and missing.json() == {"detail": "No Organisation matches the given query."}
            or missing.status_code == 404
        )


class TestSchema:
    def test_schema_and_docs_are_public(self, api):
        schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        assert b"/api/v1/organisations/" in schema.content
        assert b"/cms/" not in schema.content
        assert api.get("/api/v1/docs/").status_code == 200


@pytest.mark.postgres
def test_postgres_search_ranks_name_matches_first(api):
    assert connection.vendor == "postgresql"
    in_description = tagged(
        OrganisationFactory(name="Alpha Labs", description="We make viral vectors for gene therapy")
    )
    in_name = tagged(OrganisationFactory(name="Viral Vector Works"))
    results = api.get("/api/v1/organisations/", {"search": "viral vector"}).json()["results"]
    assert [r["slug"] for r in results] == [in_name.slug, in_description.slug]


def test_nul_bytes_in_filters_are_not_a_server_error(api):
    for query in ("?field=%00", "?stage=a%00b", "?search=%00", "?country=%00"):
        response = api.get("/api/v1/organisations/" + query)
        assert response.status_code in (200, 400), query
    assert APIClient().get("/directory/?field=%00&q=%00").status_code == 200
