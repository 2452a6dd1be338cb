import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from guardian.models import UserObjectPermission

from community import services
from community.errors import Conflict, NotAllowed, ServiceError
from community.models import ClaimRequest, Field, Organisation, OrganisationMembership, Stage
from tests.factories import OrganisationFactory, UserFactory, organisation_with_admin

pytestmark = pytest.mark.django_db

ADMIN_PERMS = {"change_organisation", "manage_organisation_members"}


def perms_of(user, organisation) -> set[str]:
    return set(
        UserObjectPermission.objects.filter(user=user, object_pk=str(organisation.pk)).values_list(
            "permission__codename", flat=True
        )
    )


class TestOrganisationCreate:
    def test_creator_becomes_admin_with_permissions(self):
        creator = UserFactory()
        org = services.organisation_create(
            creator=creator,
            name="Genethon Biomanufacturing",
            country="FR",
            kind="cdmo",
            stages=Stage.objects.filter(slug="production"),
            fields=Field.objects.filter(slug__in=["viral-vectors", "gene-therapy"]),
            city="Évry",
            website="https://www.genethon.example/",
        )
        assert org.slug == "genethon-biomanufacturing"
        assert org.claimed and org.source == "member"
        assert OrganisationMembership.objects.get(organisation=org).role == "admin"
        assert perms_of(creator, org) == ADMIN_PERMS
        org.refresh_from_db()
        assert org.website_domain == "genethon.example"
        assert "evry" in org.search_document and "viral vectors" in org.search_document

    def test_slugs_stay_unique(self):
        a = organisation_with_admin(name="Same Name", country="DE")
        b = organisation_with_admin(name="Same Name", country="AT")
        assert a.slug == "same-name" and b.slug == "same-name-2"

    def test_duplicate_name_and_country_is_refused(self):
        OrganisationFactory(
            name="Institut Pasteur", country="FR", normalised_name="institut pasteur"
        )
        with pytest.raises(Conflict):
            organisation_with_admin(name="INSTITUT  PASTEUR", country="FR")
        assert Organisation.objects.count() == 1

    def test_duplicate_website_domain_is_refused(self):
        OrganisationFactory(name="Charité", country="DE", website_domain="charite.de")
        with pytest.raises(Conflict):
            organisation_with_admin(
                name="Charité Berlin", country="DE", website="https://www.charite.de/en"
            )

    def test_invalid_values_change_nothing(self):
        with pytest.raises(Exception):  # noqa: B017, PT011 (full_clean's ValidationError)
            organisation_with_admin(name="Somewhere Ltd", country="US")
        with pytest.raises(ServiceError):
            organisation_with_admin(name="Somewhere Ltd", country="FR", verified=True)
        assert Organisation.objects.count() == 0
        assert OrganisationMembership.objects.count() == 0


class TestOrganisationUpdate:
    def test_admin_edits(self):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        services.organisation_update(
            actor=admin,
            organisation=org,
            description="Fill-finish for clinical batches",
            fields=Field.objects.filter(slug="fill-finish"),
        )
        org.refresh_from_db()
        assert org.description.startswith("Fill-finish")
        assert "fill finish" in org.search_document

    @pytest.mark.parametrize("who", ["outsider", "member", "inactive_admin"])
    def test_others_cannot_edit(self, who):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        actor = UserFactory()
        if who == "member":
            services.organisation_member_add(actor=admin, organisation=org, user=actor)
        if who == "inactive_admin":
            actor = admin
            actor.is_active = False
            actor.save()
        with pytest.raises(NotAllowed):
            services.organisation_update(actor=actor, organisation=org, description="defaced")
        org.refresh_from_db()
        assert org.description == ""

    def test_verified_is_not_editable_by_admins(self):
        org = organisation_with_admin()
        admin = org.memberships.get().user
        with pytest.raises(ServiceError):
            services.organisation_update(actor=admin, organisation=org, verified=True)


class TestMembers:
    def setup_org(self):
        org = organisation_with_admin()
        return org, org.memberships.get().user

    def test_roles_and_permission_rows_move_together(self):
        org, admin = self.setup_org()
        colleague = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=colleague)
        assert perms_of(colleague, org) == set()
        services.organisation_member_set_role(
            actor=admin, organisation=org, user=colleague, role="admin"
        )
        assert perms_of(colleague, org) == ADMIN_PERMS
        services.organisation_member_set_role(
            actor=colleague, organisation=org, user=admin, role="member"
        )
        assert perms_of(admin, org) == set()
        services.organisation_member_remove(actor=colleague, organisation=org, user=admin)
        assert not OrganisationMembership.objects.filter(user=admin).exists()

    def test_a_member_cannot_manage(self):
        org, admin = self.setup_org()
        member, other = UserFactory(), UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=member)
        with pytest.raises(NotAllowed):
            services.organisation_member_add(actor=member, organisation=org, user=other)
        with pytest.raises(NotAllowed):
            services.organisation_member_set_role(
                actor=member, organisation=org, user=member, role="admin"
            )
        with pytest.raises(NotAllowed):
            services.organisation_member_remove(actor=member, organisation=org, user=admin)
        assert perms_of(member, org) == set()

    def test_an_outsider_cannot_add_themselves(self):
        org, _admin = self.setup_org()
        outsider = UserFactory()
        with pytest.raises(NotAllowed):
            services.organisation_member_add(
                actor=outsider, organisation=org, user=outsider, role="admin"
            )

    def test_adding_twice_is_a_conflict(self):
        org, admin = self.setup_org()
        colleague = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=colleague)
        with pytest.raises(Conflict):
            services.organisation_member_add(actor=admin, organisation=org, user=colleague)

    def test_the_last_admin_stays_while_others_remain(self):
        org, admin = self.setup_org()
        services.organisation_member_add(actor=admin, organisation=org, user=UserFactory())
        with pytest.raises(Conflict):
            services.organisation_leave(actor=admin, organisation=org)
        with pytest.raises(Conflict):
            services.organisation_member_set_role(
                actor=admin, organisation=org, user=admin, role="member"
            )
        assert perms_of(admin, org) == ADMIN_PERMS

    def test_the_last_member_leaving_makes_it_claimable(self):
        org, admin = self.setup_org()
        services.organisation_leave(actor=admin, organisation=org)
        org.refresh_from_db()
        assert not org.claimed
        assert perms_of(admin, org) == set()

    def test_a_member_may_leave(self):
        org, admin = self.setup_org()
        member = UserFactory()
        services.organisation_member_add(actor=admin, organisation=org, user=member)
        services.organisation_leave(actor=member, organisation=org)
        assert not OrganisationMembership.objects.filter(user=member).exists()

    def test_listed_is_the_members_own_choice(self):
        org, admin = self.setup_org()
        member = UserFactory()
        membership = services.organisation_member_add(actor=admin, organisation=org, user=member)
        with pytest.raises(NotAllowed):
            services.membership_set_listed(actor=admin, membership=membership, listed=False)
        services.membership_set_listed(actor=member, membership=membership, listed=False)
        membership.refresh_from_db()
        assert membership.listed is False


class TestClaims:
    def test_matching_verified_domain_claims_at_once(self):
        org = OrganisationFactory(
            website="https://www.uni-heidelberg.de", website_domain="uni-heidelberg.de"
        )
        user = UserFactory(email="anna@med.uni-heidelberg.de")
        result = services.organisation_claim(actor=user, organisation=org)
        assert isinstance(result, OrganisationMembership) and result.role == "admin"
        org.refresh_from_db()
        assert org.claimed and org.claimed_at is not None
        assert perms_of(user, org) == ADMIN_PERMS

    def test_other_domain_files_a_request(self):
        org = OrganisationFactory(website_domain="uni-heidelberg.de")
        user = UserFactory(email="anna@gmail.example")
        result = services.organisation_claim(
            actor=user, organisation=org, message="I run the GMP unit"
        )
        assert isinstance(result, ClaimRequest) and result.status == "pending"
        assert perms_of(user, org) == set()
        with pytest.raises(Conflict):
            services.organisation_claim(actor=user, organisation=org)

    def test_lookalike_domain_does_not_claim(self):
        org = OrganisationFactory(website_domain="charite.de")
        user = UserFactory(email="mallory@notcharite.de")
        assert isinstance(services.organisation_claim(actor=user, organisation=org), ClaimRequest)

    def test_unverified_email_cannot_claim(self):
        org = OrganisationFactory(website_domain="charite.de")
        user = UserFactory(email="anna@charite.de", verified=False)
        with pytest.raises(NotAllowed):
            services.organisation_claim(actor=user, organisation=org)
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
        with pytest.raises(NotAllowed):
            services.organisation_claim(actor=user, organisation=org)
        assert not OrganisationMembership.objects.exists()

    def test_claimed_organisation_cannot_be_claimed(self):
        org = organisation_with_admin(website="https://charite.de")
        user = UserFactory(email="someone@charite.de")
        with pytest.raises(Conflict):
            services.organisation_claim(actor=user, organisation=org)

    def test_platform_admin_approves_and_the_claimant_is_emailed(
        self, django_capture_on_commit_callbacks
    ):
        org = OrganisationFactory(name="Klinikum", website_domain="klinikum.example")
        first, second = UserFactory(), UserFactory()
        claim = services.organisation_claim(actor=first, organisation=org)
        other = services.organisation_claim(actor=second, organisation=org)
        staff = UserFactory(is_staff=True, is_superuser=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.claim_request_approve(actor=staff, claim=claim)
        claim.refresh_from_db()
        other.refresh_from_db()
        assert claim.status == "approved" and claim.decided_by == staff
        assert other.status == "declined"
        assert perms_of(first, org) == ADMIN_PERMS
        assert [m.to for m in mail.outbox] == [[first.email]]
        assert "Klinikum" in mail.outbox[0].subject
        with pytest.raises(Conflict):
            services.claim_request_approve(actor=staff, claim=claim)

    def test_only_platform_admins_decide(self):
        org = OrganisationFactory()
        claim = services.organisation_claim(actor=UserFactory(), organisation=org)
        org_admin = organisation_with_admin().memberships.get().user
        for actor in (UserFactory(), org_admin, claim.user):
            with pytest.raises(NotAllowed):
                services.claim_request_approve(actor=actor, claim=claim)
            with pytest.raises(NotAllowed):
                services.claim_request_decline(actor=actor, claim=claim)
        claim.refresh_from_db()
        assert claim.status == "pending"

    def test_rollback_sends_no_email(self, django_capture_on_commit_callbacks):
        from django.db import transaction

        org = OrganisationFactory()
        claim = services.organisation_claim(actor=UserFactory(), organisation=org)
        staff = UserFactory(is_staff=True, is_superuser=True)

        def decide_then_fail():
            with transaction.atomic():
                services.claim_request_decline(actor=staff, claim=claim)
                raise RuntimeError("rolled back")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            decide_then_fail()
        claim.refresh_from_db()
        assert claim.status == "pending"
        assert mail.outbox == []


class TestVerifiedAndProfile:
    def test_only_staff_verify(self):
        org = OrganisationFactory()
        with pytest.raises(NotAllowed):
            services.organisation_set_verified(actor=UserFactory(), organisation=org, verified=True)
        services.organisation_set_verified(
            actor=UserFactory(is_staff=True, is_superuser=True), organisation=org, verified=True
        )
        org.refresh_from_db()
        assert org.verified

    def test_profile_is_edited_by_its_owner_only(self):
        owner, other = UserFactory(), UserFactory()
        with pytest.raises(NotAllowed):
            services.user_profile_update(actor=other, user=owner, display_name="Hacked")
        services.user_profile_update(
            actor=owner,
            user=owner,
            display_name="Dr Ada",
            interests=Field.objects.filter(slug="mrna"),
        )
        owner.refresh_from_db()
        assert owner.display_name == "Dr Ada"
        assert list(owner.interests.values_list("slug", flat=True)) == ["mrna"]
        with pytest.raises(ServiceError):
            services.user_profile_update(actor=owner, user=owner, is_staff=True)
