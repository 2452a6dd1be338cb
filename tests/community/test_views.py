import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from community import search, services
from community.models import Field, Organisation, OrganisationMembership, Stage, User
from tests.factories import OrganisationFactory, UserFactory, organisation_with_admin
from tests.querycount import queries_for

pytestmark = pytest.mark.django_db


def tagged(org, stages=(), fields=()):
    org.stages.set(Stage.objects.filter(slug__in=stages))
    org.fields.set(Field.objects.filter(slug__in=fields))
    search.index(Organisation.objects.filter(pk=org.pk))
    return org


def png_bytes(width: int, height: int, noise: bool = False) -> bytes:
    """A real PNG; with noise it does not compress (for size limits)."""
    import io
    import os

    from PIL import Image

    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (11, 90, 115))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def result_names(response) -> list[str]:
    return [h.a.get_text(strip=True) for h in soup(response).select("ol.results h3")]


class TestDirectory:
    def setup_data(self):
        tagged(
            OrganisationFactory(name="Charité", country="DE", kind="hospital"),
            ["research"],
            ["cell-therapy"],
        )
        tagged(
            OrganisationFactory(name="Yposkesi", country="FR", kind="cdmo"),
            ["production"],
            ["viral-vectors"],
        )
        tagged(
            OrganisationFactory(name="Sanofi Pasteur", country="FR", kind="company"),
            ["production"],
            ["vaccines"],
        )

    def test_facets_count_under_the_other_filters(self, client):
        self.setup_data()
        response = client.get("/directory/?country=FR")
        assert result_names(response) == ["Sanofi Pasteur", "Yposkesi"]
        page = soup(response)
        # The country facet still offers Germany (counted without the country filter) ...
        de = page.select_one("label[for=f-country-DE] .count")
        assert de.get_text() == "1"
        assert page.select_one("#f-country-FR").has_attr("checked")
        # ... while the kind facet counts only French organisations.
        assert page.select_one("label[for=f-kind-cdmo] .count").get_text() == "1"
        assert page.select_one("#f-kind-hospital") is None

    def test_filters_combine_and_show_removable_chips(self, client):
        self.setup_data()
        response = client.get("/directory/?country=FR&stage=production&field=viral-vectors")
        assert result_names(response) == ["Yposkesi"]
        chips = soup(response).select(".active-filters .chip")
        assert [c.get_text(strip=True) for c in chips] == ["France", "Production", "Viral vectors"]
        assert "field=" not in chips[2]["href"] and "country=FR" in chips[2]["href"]

    def test_search_is_accent_insensitive_and_prefix(self, client):
        self.setup_data()
        assert result_names(client.get("/directory/?q=charite")) == ["Charité"]
        assert result_names(client.get("/directory/?q=PASTEU")) == ["Sanofi Pasteur"]
        assert result_names(client.get("/directory/?q=viral+vectors")) == ["Yposkesi"]

    def test_unknown_values_are_ignored_on_the_page(self, client):
        self.setup_data()
        response = client.get("/directory/?country=ZZ&kind=spaceship&field=nothing")
        assert response.status_code == 200
        assert len(result_names(response)) == 3

    def test_empty_states(self, client):
        empty = client.get("/directory/")
        assert "The directory is empty for now." in empty.content.decode()
        self.setup_data()
        none = client.get("/directory/?q=zzzzzz")
        assert "No organisation matches all of these filters." in none.content.decode()

    def test_htmx_gets_only_the_results(self, client):
        self.setup_data()
        response = client.get("/directory/?country=DE", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html and "Charité" in html
        assert response["Vary"].count("HX-Request") == 1

    def test_pagination_keeps_the_filters(self, client):
        OrganisationFactory.create_batch(45, country="IT")
        page2 = client.get("/directory/?country=IT&page=2")
        assert len(result_names(page2)) == 20
        links = [a["href"] for a in soup(page2).select(".pagination a")]
        assert "?country=IT&page=3" in links
        assert client.get("/directory/?page=999").status_code == 200

    def test_no_n_plus_one(self, client):
        counts = []
        for n in (2, 38):
            for org in OrganisationFactory.create_batch(n):
                tagged(org, ["research"], ["vaccines", "mrna"])
            count, response = queries_for(
                lambda: client.get("/directory/?stage=research&q=biologics")
            )
            assert response.status_code == 200
            counts.append(count)
        assert counts[0] == counts[1] <= 12, counts


class TestOrganisationPage:
    def test_no_n_plus_one(self, client):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        tagged(org, ["research", "production"], ["vaccines", "mrna", "fill-finish"])
        client.force_login(admin)
        counts = []
        for n in (2, 38):
            for user in UserFactory.create_batch(n):
                services.organisation_member_add(actor=admin, organisation=org, user=user)
            count, response = queries_for(lambda: client.get(org.get_absolute_url()))
            assert response.status_code == 200
            counts.append(count)
        assert len(soup(response).select(".people .person")) == 41
        assert counts[0] == counts[1] <= 16, counts

    def test_people_shown_follow_their_privacy(self, client):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        public = UserFactory(display_name="Public Person", profile_visibility="public")
        members_only = UserFactory(display_name="Members Person")
        colleagues_only = UserFactory(
            display_name="Colleague Person", profile_visibility="colleagues"
        )
        unlisted = UserFactory(display_name="Hidden Person", profile_visibility="public")
        for user in (public, members_only, colleagues_only, unlisted):
            services.organisation_member_add(actor=admin, organisation=org, user=user)
        membership = OrganisationMembership.objects.get(user=unlisted)
        services.membership_set_listed(actor=unlisted, membership=membership, listed=False)

        def shown(viewer=None):
            client.logout()
            if viewer:
                client.force_login(viewer)
            return {
                a.get_text() for a in soup(client.get(org.get_absolute_url())).select(".people a")
            }

        assert shown() == {"Public Person"}
        assert shown(UserFactory()) == {"Public Person", "Members Person", str(admin)}
        assert shown(admin) == {"Public Person", "Members Person", "Colleague Person", str(admin)}

    def test_missing_is_404(self, client):
        assert client.get("/organisations/nope/").status_code == 404


class TestOrganisationWritesOverHtml:
    def setup_org(self):
        org = organisation_with_admin(name="Grid Biotech", country="NL")
        admin = org.memberships.get().user
        member = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=member)
        return org, admin, member

    @pytest.mark.parametrize("path", ["edit/", "members/"])
    def test_denial_grid(self, client, path):
        org, admin, member = self.setup_org()
        url = f"/organisations/{org.slug}/{path}"
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        for actor in (UserFactory(), member):
            client.force_login(actor)
            assert client.get(url).status_code == 403
            assert (
                client.post(
                    url, {"name": "Taken", "email": actor.email, "role": "admin"}
                ).status_code
                == 403
            )
        client.force_login(admin)
        assert client.get(url).status_code == 200
        org.refresh_from_db()
        assert org.name == "Grid Biotech"
        assert not OrganisationMembership.objects.filter(role="admin").exclude(user=admin).exists()

    def test_admin_edits_with_a_logo(self, client):
        org, admin, _member = self.setup_org()
        client.force_login(admin)
        png = png_bytes(64, 64)
        response = client.post(
            f"/organisations/{org.slug}/edit/",
            {
                "name": "Grid Biotech",
                "kind": "cdmo",
                "country": "NL",
                "city": "Leiden",
                "stages": [Stage.objects.get(slug="production").pk],
                "fields": [Field.objects.get(slug="plasmid-dna").pk],
                "logo": SimpleUploadedFile("logo.png", png, content_type="image/png"),
            },
        )
        assert response.status_code == 302
        org.refresh_from_db()
        assert org.city == "Leiden" and org.kind == "cdmo" and org.logo
        assert list(org.fields.values_list("slug", flat=True)) == ["plasmid-dna"]

    def test_a_fake_image_is_refused(self, client):
        org, admin, _member = self.setup_org()
        client.force_login(admin)
        response = client.post(
            f"/organisations/{org.slug}/edit/",
            {
                "name": "Grid Biotech",
                "kind": "company",
                "country": "NL",
                "logo": SimpleUploadedFile("x.png", b"<script>", content_type="image/png"),
            },
        )
        assert response.status_code == 200
        assert "not an image" in response.content.decode()
        org.refresh_from_db()
        assert not org.logo

    def test_members_page_adds_promotes_removes(self, client):
        org, admin, member = self.setup_org()
        newcomer = UserFactory(email="new@grid.example")
        client.force_login(admin)
        client.post(
            f"/organisations/{org.slug}/members/", {"email": "NEW@grid.example", "role": "member"}
        )
        assert OrganisationMembership.objects.filter(user=newcomer, organisation=org).exists()
        unknown = client.post(
            f"/organisations/{org.slug}/members/", {"email": "ghost@grid.example", "role": "member"}
        )
        assert "Nobody has signed up with this address" in unknown.content.decode()
        client.post(f"/organisations/{org.slug}/members/{member.pk}/role/", {"role": "admin"})
        assert member.has_perm("community.change_organisation", org)
        client.post(f"/organisations/{org.slug}/members/{newcomer.pk}/remove/")
        assert not OrganisationMembership.objects.filter(user=newcomer).exists()

    def test_outsider_cannot_remove_or_promote_over_html(self, client):
        org, admin, member = self.setup_org()
        client.force_login(member)
        client.post(f"/organisations/{org.slug}/members/{member.pk}/role/", {"role": "admin"})
        client.post(f"/organisations/{org.slug}/members/{admin.pk}/remove/")
        assert OrganisationMembership.objects.get(user=member).role == "member"
        assert OrganisationMembership.objects.filter(user=admin).exists()

    def test_create_page(self, client):
        assert client.get("/organisations/new/").status_code == 302
        user = UserFactory()
        client.force_login(user)
        response = client.post(
            "/organisations/new/",
            {
                "name": "Brand New Bio",
                "kind": "company",
                "country": "PL",
                "city": "Kraków",
                "stages": [Stage.objects.get(slug="research").pk],
            },
        )
        org = Organisation.objects.get(name="Brand New Bio")
        assert response["Location"] == org.get_absolute_url()
        assert user.has_perm("community.change_organisation", org)
        duplicate = client.post(
            "/organisations/new/", {"name": "brand new bio", "kind": "company", "country": "PL"}
        )
        assert "already in the directory" in duplicate.content.decode()


class TestClaimOverHtml:
    def test_claim_button_and_outcomes(self, client):
        org = OrganisationFactory(
            name="Uni Bio", website="https://uni.example", website_domain="uni.example"
        )
        page = client.get(org.get_absolute_url()).content.decode()
        assert "Sign in to claim it" in page
        matching = UserFactory(email="prof@uni.example")
        client.force_login(matching)
        client.post(f"/organisations/{org.slug}/claim/")
        org.refresh_from_db()
        assert org.claimed and matching.has_perm("community.change_organisation", org)

    def test_non_matching_claim_waits(self, client):
        org = OrganisationFactory(name="Uni Bio", website_domain="uni.example")
        user = UserFactory(email="prof@elsewhere.example")
        client.force_login(user)
        response = client.post(
            f"/organisations/{org.slug}/claim/", {"message": "I lead the lab"}, follow=True
        )
        assert "Your claim was sent" in response.content.decode()
        assert "waiting for a platform admin" in response.content.decode()


class TestProfiles:
    def test_privacy_grid(self, client):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        colleague = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=colleague)
        stranger = UserFactory()
        people = {v: UserFactory(profile_visibility=v) for v in ("public", "members", "colleagues")}
        for person in people.values():
            services.organisation_member_add(actor=admin, organisation=org, user=person)

        def status(viewer, person):
            client.logout()
            if viewer:
                client.force_login(viewer)
            return client.get(f"/people/{person.pk}/").status_code

        assert [status(None, p) for p in people.values()] == [200, 404, 404]
        assert [status(stranger, p) for p in people.values()] == [200, 200, 404]
        assert [status(colleague, p) for p in people.values()] == [200, 200, 200]
        people["colleagues"].is_active = False
        people["colleagues"].save()
        assert status(colleague, people["colleagues"]) == 404

    def test_edit_my_profile(self, client):
        user = UserFactory()
        client.force_login(user)
        response = client.post(
            "/accounts/profile/",
            {
                "display_name": "Dr Lin",
                "job_title": "Head of QC",
                "bio": "",
                "interests": [Field.objects.get(slug="analytics-qc").pk],
                "language": "fr",
                "time_zone": "Europe/Paris",
                "profile_visibility": "colleagues",
            },
        )
        assert response.status_code == 302
        user = User.objects.get(pk=user.pk)
        assert (user.display_name, user.language, user.time_zone, user.profile_visibility) == (
            "Dr Lin",
            "fr",
            "Europe/Paris",
            "colleagues",
        )
        oversized = SimpleUploadedFile(
            "a.png", png_bytes(1100, 1100, noise=True), content_type="image/png"
        )
        response = client.post(
            "/accounts/profile/",
            {
                "display_name": "Dr Lin",
                "time_zone": "Europe/Paris",
                "profile_visibility": "members",
                "avatar": oversized,
            },
        )
        assert response.status_code == 200
        assert "too large" in str(response.context["form"].errors["avatar"])
        assert User.objects.get(pk=user.pk).profile_visibility == "colleagues"


def test_cached_facet_counts_follow_changes(client):
    first = OrganisationFactory(name="Alpha", country="FI")
    search.index(Organisation.objects.filter(pk=first.pk))
    count = lambda: soup(client.get("/directory/")).select_one("label[for=f-country-FI] .count").get_text()  # noqa: E731
    assert count() == "1"
    organisation_with_admin(name="Beta", country="FI")
    assert count() == "2"
    Organisation.objects.get(name="Alpha").delete()
    assert count() == "1"
