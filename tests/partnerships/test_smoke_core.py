import pytest

from partnerships import selectors, services
from partnerships.models import Call, Response
from tests.partnerships.helpers import cast, published_call

pytestmark = pytest.mark.django_db


def test_publish_find_respond_shortlist():
    c = cast()
    call = published_call(c)
    assert call.status == Call.Status.PUBLISHED
    matches, total = selectors.calls_for_you(c.responder_admin)
    assert total == 0  # the responder's organisation has no fields yet
    c.responder.fields.add(*call.fields.all())
    matches, total = selectors.calls_for_you(c.responder_admin)
    assert total == 1 and matches[0].call == call
    response = services.response_create(actor=c.responder_member, call=call, organisation=c.responder, message="We need two fill-finish batches in Q2.")
    assert response.status == Response.Status.SUBMITTED
    services.response_move(actor=c.publisher_delegate, response=response, status="shortlisted")
    assert selectors.calls_for_you(c.responder_admin)[1] == 0
