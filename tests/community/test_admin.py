import pytest

from community import services
from community.models import ClaimRequest, Organisation
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_claims_are_approved_from_the_admin(staff_client):
    org = OrganisationFactory(name="Hospital Claimed")
    claimant = UserFactory()
    claim = services.organisation_claim(actor=claimant, organisation=org)
    assert staff_client.get("/admin/community/claimrequest/").status_code == 200
    response = staff_client.post(
        "/admin/community/claimrequest/",
        {"action": "approve", "_selected_action": [claim.pk]},
        follow=True,
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimRequest.Status.APPROVED
    assert claimant.has_perm("community.change_organisation", org)


def test_verified_badge_is_set_from_the_admin(staff_client):
    org = OrganisationFactory()
    staff_client.post(
        "/admin/community/organisation/", {"action": "mark_verified", "_selected_action": [org.pk]}
    )
    assert Organisation.objects.get(pk=org.pk).verified


def test_people_without_staff_status_do_not_get_in(client):
    client.force_login(UserFactory())
    response = client.get("/admin/community/claimrequest/")
    assert response.status_code == 302


def test_admin_lists_render(staff_client):
    OrganisationFactory.create_batch(3)
    for path in ("organisation", "field", "stage", "user", "coveragetarget"):
        assert staff_client.get(f"/admin/community/{path}/").status_code == 200, path
