import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from partnerships.models import Call
from tests.factories import UserFactory
from tests.partnerships.helpers import cast, published_call

pytestmark = pytest.mark.django_db


@override_settings(PARTNERSHIPS_REVIEW_BEFORE_PUBLISHING=True)
def test_a_reviewer_publishes_from_the_admin_and_a_plain_staff_member_cannot(client):
    c = cast()
    call = published_call(c)
    assert call.status == Call.Status.REVIEW
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    client.force_login(staff)
    url = "/admin/partnerships/call/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "approve", "_selected_action": [call.pk]})
    call.refresh_from_db()
    assert call.status == Call.Status.REVIEW  # viewing is not reviewing
    staff.user_permissions.add(Permission.objects.get(codename="review_call"))
    client.post(url, {"action": "approve", "_selected_action": [call.pk]})
    call.refresh_from_db()
    assert call.status == Call.Status.PUBLISHED
    assert client.get(f"/admin/partnerships/call/{call.pk}/change/").status_code == 200
